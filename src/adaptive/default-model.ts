import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The model that ships with breakwater, trained on the scenario simulator (see models/default.onnx.card.md). */
export const DEFAULT_MODEL_FILE = 'models/default.onnx';

/**
 * The path of the shipped default model: found by walking up from this module (it sits at a
 * different depth in the source tree and in each bundle of dist/).
 */
export function defaultModelPath(): string {
  let dir = __dirname;
  for (let depth = 0; depth < 5; depth++) {
    const candidate = join(dir, DEFAULT_MODEL_FILE);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(
    `breakwater/adaptive: the default model (${DEFAULT_MODEL_FILE}) is missing from this installation; train one with \`breakwater train --from simulator --out model.onnx\``,
  );
}
