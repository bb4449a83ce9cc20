import type { CircuitBreaker } from '../breaker';
import { createDuckDbSink } from '../observe/sinks/duckdb';
import { createJsonlSink } from '../observe/sinks/jsonl';
import type { CircuitBreakerOptions } from '../options';
import { Registry } from '../registry/registry';
import { CORE_FEATURES } from '../features/core-features';
import { defaultModelPath } from './default-model';
import { ensureHistoryFolder } from './history-folder';
import { EarlyWarning } from './early-warning';
import { Predictor, type ExecutionProvider } from './predictor';
import { AdaptiveTuner } from './tuner';

/** The adaptive breaker's options, named as users of adaptive breakers know them. */
export interface AdaptiveBreakerOptions extends Omit<CircuitBreakerOptions, 'name'> {
  /** Tune thresholds and timeouts from the breaker's history. Default true. */
  optimizationEnabled?: boolean;
  /** Act (shed, the early warning's default mode) when the early-warning model predicts a trip. Default true. */
  predictionEnabled?: boolean;
  /** The tuner's step toward learned values, (0, 1]. Default 0.3. */
  learningRate?: number;
  /** Milliseconds between tuning rounds. Default 60000. */
  retrainingInterval?: number;
  /** Observations before a value moves. Default 5. */
  minDataPoints?: number;
  /** The early-warning model; default the shipped models/default.onnx. */
  modelPath?: string;
  /** Where the model runs. Default ['cpu', 'typescript'] (the built-in walker without onnxruntime-node). */
  executionProviders?: readonly ExecutionProvider[];
  /** Pre-open at or above this probability. Default 0.7. */
  predictionThreshold?: number;
  /** A JSONL file for the event history (rotating). */
  metricsPath?: string;
  /** A DuckDB file for the event history (table circuit_breaker_metrics; @duckdb/node-api needed). */
  dbPath?: string;
  /** The hardware class the breaker guards (its `hardware` label: cpu, gpu, webgpu, webnn, ...). */
  hardwareType?: string;
  /** Starting values the tuner moves from. */
  baseFailureThreshold?: number;
  baseFailureRateThreshold?: number;
  baseRecoveryTimeout?: number;
  baseHalfOpenTimeout?: number;
  /**
   * The registry to live in; default a new one. The adaptive breakers of one registry share one
   * tuner and one early warning (two would each act on every breaker of it), made with the options
   * of the first of them; they stop when the last one is closed.
   */
  registry?: Registry;
  /** Its kind in the registry. Default 'adaptive'. */
  kind?: string;
}

/** An adaptive breaker and the machinery around it. */
export interface AdaptiveBreaker {
  readonly breaker: CircuitBreaker;
  readonly registry: Registry;
  readonly tuner: AdaptiveTuner | undefined;
  readonly earlyWarning: EarlyWarning | undefined;
  /** Why prediction is off although it was asked for (a bad or missing model file, no runtime). */
  readonly predictionError: Error | undefined;
  /** Stops tuning and prediction and closes the history sinks; the breaker stays usable. */
  close(): Promise<void>;
}

const ADAPTIVE_OPTIONS = new Set([
  'optimizationEnabled',
  'predictionEnabled',
  'learningRate',
  'retrainingInterval',
  'minDataPoints',
  'modelPath',
  'executionProviders',
  'predictionThreshold',
  'metricsPath',
  'dbPath',
  'hardwareType',
  'baseFailureThreshold',
  'baseFailureRateThreshold',
  'baseRecoveryTimeout',
  'baseHalfOpenTimeout',
  'registry',
  'kind',
]);

/**
 * A breaker that learns: tuned from its own history and pre-opened by the early-warning model.
 * A model that can't load (missing, truncated, other features, no runtime) turns prediction off
 * with one warning that says why; the breaker keeps working.
 */
export async function createAdaptiveBreaker(
  name: string,
  options: AdaptiveBreakerOptions = {},
): Promise<AdaptiveBreaker> {
  if (options === null || typeof options !== 'object')
    throw new TypeError('breakwater/adaptive: createAdaptiveBreaker(name, options) needs an object of options');
  const breakerOptions: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (!ADAPTIVE_OPTIONS.has(key)) breakerOptions[key] = value;
  const base = {
    failureThreshold: options.baseFailureThreshold,
    failureRateThreshold: options.baseFailureRateThreshold,
    recoveryTimeout: options.baseRecoveryTimeout,
    halfOpenTimeout: options.baseHalfOpenTimeout,
  };
  for (const [key, value] of Object.entries(base)) if (value !== undefined) breakerOptions[key] = value;
  if (options.hardwareType !== undefined) breakerOptions.labels = { ...options.labels, hardware: options.hardwareType };
  if (options.metricsPath !== undefined) ensureHistoryFolder('metricsPath', options.metricsPath);
  if (options.dbPath !== undefined) ensureHistoryFolder('dbPath', options.dbPath);

  const registry = options.registry ?? new Registry();
  const breaker = registry.getOrCreate(options.kind ?? 'adaptive', name, breakerOptions as CircuitBreakerOptions);
  const closers: (() => Promise<void> | void)[] = [];
  if (options.metricsPath !== undefined) {
    const sink = createJsonlSink({ path: options.metricsPath });
    const remove = registry.addSink(sink);
    closers.push(async () => (remove(), await sink.close()));
  }
  if (options.dbPath !== undefined) {
    const sink = await createDuckDbSink({ path: options.dbPath });
    const remove = registry.addSink(sink);
    closers.push(async () => (remove(), await sink.close()));
  }
  let tuner: AdaptiveTuner | undefined;
  if (options.optimizationEnabled !== false) {
    const shared = await sharedLoop(
      registry,
      'tuner',
      () =>
        new AdaptiveTuner(registry, {
          learningRate: options.learningRate,
          retrainingInterval: options.retrainingInterval,
          minDataPoints: options.minDataPoints,
        }),
    );
    tuner = shared.loop;
    closers.push(shared.letGo);
  }

  let earlyWarning: EarlyWarning | undefined;
  let predictionError: Error | undefined;
  if (options.predictionEnabled !== false) {
    try {
      const shared = await sharedLoop(registry, 'early warning', async () => {
        const model = await Predictor.load(options.modelPath ?? defaultModelPath(), {
          featureList: CORE_FEATURES,
          executionProviders: options.executionProviders ?? ['cpu', 'typescript'],
        });
        return new EarlyWarning(registry, model, { predictionThreshold: options.predictionThreshold });
      });
      earlyWarning = shared.loop;
      closers.push(shared.letGo);
    } catch (error) {
      predictionError = error instanceof Error ? error : new Error(String(error));
      process.emitWarning(
        `breakwater/adaptive: prediction is off for breaker "${breaker.name}": ${predictionError.message}`,
        {
          code: 'BREAKWATER_PREDICTION_OFF',
        },
      );
    }
  }
  return {
    breaker,
    registry,
    tuner,
    earlyWarning,
    predictionError,
    async close() {
      for (const close of closers.splice(0)) await close();
    },
  };
}

interface Loop {
  stop(): void;
}

/** The loops (the tuner, the early warning) each registry's adaptive breakers share, with how many share each. */
const sharedLoops = new WeakMap<Registry, Map<string, { made: Promise<Loop>; users: number }>>();

/**
 * The registry's `name` loop: made by `make` for the first adaptive breaker that asks, shared by
 * the next ones, and stopped when the last of them lets it go. A loop that failed to be made is
 * made afresh for the next breaker that asks (a model file fixed meanwhile, say).
 */
async function sharedLoop<T extends Loop>(
  registry: Registry,
  name: string,
  make: () => T | Promise<T>,
): Promise<{ loop: T; letGo: () => void }> {
  let loops = sharedLoops.get(registry);
  if (loops === undefined) sharedLoops.set(registry, (loops = new Map()));
  const held = loops.get(name) ?? { made: Promise.resolve().then(make), users: 0 };
  loops.set(name, held);
  held.users++;
  const forget = () => {
    if (loops.get(name) === held) loops.delete(name);
  };
  let loop: T;
  try {
    loop = (await held.made) as T;
  } catch (error) {
    held.users--;
    forget();
    throw error;
  }
  let holding = true;
  const letGo = () => {
    if (!holding) return;
    holding = false;
    if (--held.users > 0) return;
    forget();
    loop.stop();
  };
  return { loop, letGo };
}
