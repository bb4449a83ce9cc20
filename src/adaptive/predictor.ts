import { readFile } from 'node:fs/promises';
import { unreadableFile } from '../fs/readable-file';
import { availableParallelism } from 'node:os';
import { CORE_FEATURES } from '../features/core-features';
import { featureListMismatch, validateFeatureList, type FeatureList } from '../features/feature-list';
import { FeatureListMismatchError } from '../errors/FeatureListMismatchError';
import { exportTensorised } from './onnx/export-tensorised';
import { modelFromTreeEnsemble } from './onnx/import-tree-ensemble';
import { decodeModel, modelInfo, type ModelDescription } from './onnx/model-file';
import { ModelFileError } from './errors/ModelFileError';
import { loadOnnxRuntime, type OnnxRuntime } from './onnxruntime';
import { OnnxRuntimeScorer, TreeWalkerScorer, type Scorer } from './scorers';
import { show } from '../error-message';
import { knownOptions } from '../options-object';

/**
 * Where the model runs: onnxruntime on the CPU or on CUDA, or breakwater's own TypeScript tree
 * walker (tree-ensemble models only; needs no optional package).
 */
export type ExecutionProvider = 'cpu' | 'cuda' | 'typescript';

const PROVIDERS: readonly ExecutionProvider[] = ['cpu', 'cuda', 'typescript'];

export interface PredictorOptions {
  /**
   * The layout of the rows the caller will score; it must equal the model's own feature list.
   * Default CORE_FEATURES, the rows the early warning scores.
   */
  readonly featureList?: FeatureList;
  /**
   * Providers in order of preference, each tried until one runs the model. Default `['cpu']`.
   * `'cuda'` runs the tensorised form of the model on the GPU; onnxruntime throws when the CUDA
   * libraries are missing, and the predictor moves on to the next provider and warns once.
   * `['cpu', 'typescript']` scores with the tree walker where onnxruntime-node is not installed.
   */
  readonly executionProviders?: readonly ExecutionProvider[];
  /**
   * onnxruntime's intra-op threads on the CPU. Default: the cores Node may use, at most 4
   * (onnxruntime-node alone takes one). A batch scores while the event loop waits, so more threads
   * hold it up for less time (`npm run bench:scoring` shows one thread beside the default).
   */
  readonly intraOpThreads?: number;
}

/** More threads than any machine runs one model on: a larger count is a mistake, named here rather than by onnxruntime. */
const MAX_INTRA_OP_THREADS = 1024;
/** See PredictorOptions.intraOpThreads. */
const DEFAULT_INTRA_OP_THREADS = Math.min(4, availableParallelism());

const warned = new Set<string>();

/** A process warning, once per distinct message: a fleet of predictors must not flood the log. */
function warnOnce(message: string, code: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(message, { code });
}

/**
 * Scores feature rows with a breakwater model: P(failure) for every row of a batch (one row per
 * breaker) in one session.run. The model's feature list is checked against the caller's when
 * loading, so rows of another layout are refused rather than scored.
 */
export class Predictor {
  private closed = false;

  private constructor(
    private readonly scorer: Scorer,
    /** The model's feature list (equal to the caller's). */
    readonly featureList: FeatureList,
    /** What the model file says about itself: form, trees, training summary. */
    readonly description: ModelDescription,
    /** The provider that runs the model. */
    readonly executionProvider: ExecutionProvider,
    /** Why the providers before it were passed over, when they were. */
    readonly fallbackReason: string | undefined,
  ) {}

  /**
   * Loads a model from a file path or its bytes. Throws a ModelFileError for a missing, truncated
   * or foreign file, a FeatureListMismatchError when the model was trained on other features, and
   * an error naming onnxruntime-node when that optional package is needed and not installed.
   */
  static async load(model: string | Uint8Array, given?: PredictorOptions): Promise<Predictor> {
    const options = knownOptions(given, 'breakwater/adaptive: Predictor.load options', {
      featureList: true,
      executionProviders: true,
      intraOpThreads: true,
    });
    const callerList = validateFeatureList(options.featureList ?? CORE_FEATURES, 'options.featureList');
    const providers = validateProviders(options.executionProviders);
    const threads = options.intraOpThreads;
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > MAX_INTRA_OP_THREADS))
      throw new RangeError(
        `breakwater/adaptive: options.intraOpThreads must be an integer from 1 to ${MAX_INTRA_OP_THREADS}, got ${show(threads)}`,
      );
    const source = typeof model === 'string' ? model : '<bytes>';
    const bytes = typeof model === 'string' ? await readModelFile(model) : model;
    const message = decodeModel(bytes, source);
    const info = modelInfo(message, source);
    const mismatch = featureListMismatch(info.featureList, callerList);
    if (mismatch) throw new FeatureListMismatchError(info.featureList, callerList, mismatch);
    const sessionOptions = { intraOpNumThreads: threads ?? DEFAULT_INTRA_OP_THREADS };

    const passedOver: string[] = [];
    for (const [index, provider] of providers.entries()) {
      const last = index === providers.length - 1;
      const fallbackReason = passedOver.length > 0 ? passedOver.join('; ') : undefined;
      if (provider === 'typescript') {
        const walker = new TreeWalkerScorer(modelFromTreeEnsemble(message, source));
        return new Predictor(walker, info.featureList, info.description, 'typescript', fallbackReason);
      }
      let runtime: OnnxRuntime;
      try {
        runtime = loadOnnxRuntime();
      } catch (error) {
        if (last) throw error;
        passedOver.push(`${provider}: ${(error as Error).message.replace('breakwater/adaptive: ', '')}`);
        warnOnce(
          `breakwater/adaptive: onnxruntime-node is not available, scoring with the next provider (${providers[index + 1]}): ${(error as Error).message}`,
          'BREAKWATER_ONNXRUNTIME_MISSING',
        );
        continue;
      }
      if (provider === 'cuda') {
        // Tree-ensemble operators have no CUDA kernels: the GPU gets the tensorised form.
        const gpuBytes =
          info.description.form === 'tensorised'
            ? bytes
            : exportTensorised(modelFromTreeEnsemble(message, source), { extra: info.description.extra });
        try {
          const session = await runtime.InferenceSession.create(gpuBytes, {
            ...sessionOptions,
            executionProviders: ['cuda'],
          });
          return new Predictor(
            new OnnxRuntimeScorer(runtime, session, { ...info.description, form: 'tensorised' }),
            info.featureList,
            info.description,
            'cuda',
            fallbackReason,
          );
        } catch (error) {
          // onnxruntime throws instead of falling back when the CUDA libraries are absent.
          const reason = `CUDA execution provider unavailable: ${(error as Error).message.split('\n')[0]}`;
          if (last) throw new Error(`breakwater/adaptive: ${reason} (add 'cpu' to executionProviders to fall back)`);
          passedOver.push(reason);
          warnOnce(
            `breakwater/adaptive: ${reason}; scoring with the next provider (${providers[index + 1]})`,
            'BREAKWATER_CUDA_UNAVAILABLE',
          );
          continue;
        }
      }
      try {
        const session = await runtime.InferenceSession.create(bytes, {
          ...sessionOptions,
          executionProviders: ['cpu'],
        });
        return new Predictor(
          new OnnxRuntimeScorer(runtime, session, info.description),
          info.featureList,
          info.description,
          'cpu',
          fallbackReason,
        );
      } catch (error) {
        throw new ModelFileError(source, `onnxruntime cannot load it: ${(error as Error).message}`);
      }
    }
    throw new Error('breakwater/adaptive: options.executionProviders is empty');
  }

  /**
   * P(failure) of every row of `rows`, a row-major Float32Array (one row per breaker, NaN for a
   * missing value), in one call of the runtime.
   */
  async score(rows: Float32Array): Promise<Float32Array> {
    if (this.closed) throw new Error('breakwater/adaptive: this predictor is closed');
    if (!(rows instanceof Float32Array))
      throw new TypeError('breakwater/adaptive: score(rows) needs a Float32Array of feature rows');
    const width = this.featureList.features.length;
    if (rows.length % width !== 0)
      throw new RangeError(
        `breakwater/adaptive: score(rows) got ${rows.length} values, not whole rows of ${width} features (${this.featureList.name}@${this.featureList.version})`,
      );
    const count = rows.length / width;
    if (count === 0) return new Float32Array(0);
    return this.scorer.score(rows, count, width);
  }

  /** Releases the runtime's session; scoring afterwards throws. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.scorer.release();
  }
}

function validateProviders(providers: unknown): ExecutionProvider[] {
  if (providers === undefined) return ['cpu'];
  if (!Array.isArray(providers) || providers.length === 0)
    throw new TypeError(
      "breakwater: options.executionProviders must be a non-empty array of 'cpu' | 'cuda' | 'typescript'",
    );
  for (const provider of providers) {
    if (!PROVIDERS.includes(provider))
      throw new RangeError(
        `breakwater/adaptive: options.executionProviders: unknown provider ${show(provider)} (known: ${PROVIDERS.map((p) => `'${p}'`).join(', ')})`,
      );
  }
  return providers as ExecutionProvider[];
}

/** The largest model file Predictor.load() reads (the shipped one is under 1 MiB). */
const MAX_MODEL_BYTES = 512 * 1024 * 1024;

async function readModelFile(path: string): Promise<Uint8Array> {
  if (path.trim() === '')
    throw new ModelFileError(
      JSON.stringify(path),
      "an empty path; give the model file's path, or its bytes as a Uint8Array",
    );
  const unreadable = unreadableFile(path, MAX_MODEL_BYTES);
  if (unreadable !== undefined) throw new ModelFileError(path, unreadable);
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ModelFileError(
      path,
      code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? (error as Error).message})`,
    );
  }
}
