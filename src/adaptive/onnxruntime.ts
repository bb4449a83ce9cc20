import { createRequire } from 'node:module';

/** The parts of onnxruntime-node the predictor uses, typed here so its types never leak into ours. */
export interface OrtSession {
  run(feeds: Record<string, unknown>, fetches: readonly string[]): Promise<Record<string, { readonly data: unknown }>>;
  release(): Promise<void>;
}

export interface OnnxRuntime {
  readonly InferenceSession: {
    create(
      model: Uint8Array,
      options: { executionProviders: readonly string[]; intraOpNumThreads?: number },
    ): Promise<OrtSession>;
  };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

export const ONNXRUNTIME_PACKAGE = 'onnxruntime-node';

/**
 * Loads onnxruntime-node on first use. It is an optional peer dependency, so it is required here,
 * inside a function, and never by a module that `import { CircuitBreaker } from 'breakwater'` loads.
 */
export function loadOnnxRuntime(packageName = ONNXRUNTIME_PACKAGE): OnnxRuntime {
  const requireHere = createRequire(__filename);
  try {
    return requireHere(packageName) as OnnxRuntime;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'MODULE_NOT_FOUND' && (error as Error).message.includes(packageName)) {
      throw new Error(
        `breakwater/adaptive: scoring a model with onnxruntime needs the optional peer dependency ${packageName}; install it with \`npm install ${packageName}\`, or score with the built-in tree walker: Predictor.load(model, { executionProviders: ['typescript'] })`,
      );
    }
    throw new Error(`breakwater/adaptive: ${packageName} is installed but failed to load: ${(error as Error).message}`);
  }
}
