import { predictProbabilities, type GbdtModel } from './gbdt/model';
import type { ModelDescription } from './onnx/model-file';
import type { OnnxRuntime, OrtSession } from './onnxruntime';

/** One way to turn a batch of feature rows into P(failure) per row. */
export interface Scorer {
  score(rows: Float32Array, count: number, width: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/**
 * Values one intermediate tensor of the tensorised graph may hold (16 MB of float32). Its
 * intermediates are [trees, rows, leaves]: 10,000 rows of a 200-tree, 64-leaf model would need
 * ~500 MB each, so such batches run in chunks of rows.
 */
const TENSORISED_BUDGET = 4 * 1024 * 1024;

/** Rows per session.run: the whole batch for a tree ensemble, a memory-bounded chunk for the tensorised form. */
export function chunkRows(description: ModelDescription): number {
  if (description.form === 'tree-ensemble') return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.floor(TENSORISED_BUDGET / (Math.max(1, description.trees) * description.maxLeaves)));
}

/** onnxruntime: one session.run per batch (or chunk); the probability output is [N, 2] = [1 - p, p]. */
export class OnnxRuntimeScorer implements Scorer {
  private readonly chunk: number;

  constructor(
    private readonly runtime: OnnxRuntime,
    private readonly session: OrtSession,
    private readonly description: ModelDescription,
  ) {
    this.chunk = chunkRows(description);
  }

  async score(rows: Float32Array, count: number, width: number): Promise<Float32Array> {
    const { input, output } = this.description;
    const probabilities = new Float32Array(count);
    for (let start = 0; start < count; start += this.chunk) {
      const size = Math.min(this.chunk, count - start);
      const feed = new this.runtime.Tensor('float32', rows.subarray(start * width, (start + size) * width), [
        size,
        width,
      ]);
      const pairs = (await this.session.run({ [input]: feed }, [output]))[output].data as Float32Array;
      for (let i = 0; i < size; i++) probabilities[start + i] = pairs[2 * i + 1];
    }
    return probabilities;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * The built-in tree walker: scores a tree-ensemble model read back from its ONNX file, in
 * TypeScript (the trees compiled to JavaScript, see gbdt/compiled.ts), when onnxruntime-node is
 * not installed. Same trees, same thresholds, so the same probabilities (within float32 rounding
 * of onnxruntime's output).
 */
export class TreeWalkerScorer implements Scorer {
  constructor(private readonly model: GbdtModel) {}

  async score(rows: Float32Array): Promise<Float32Array> {
    return Float32Array.from(predictProbabilities(this.model, rows));
  }

  async release(): Promise<void> {}
}
