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
  /** The registry to live in; default a new one. */
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
  const tuner =
    options.optimizationEnabled === false
      ? undefined
      : new AdaptiveTuner(registry, {
          learningRate: options.learningRate,
          retrainingInterval: options.retrainingInterval,
          minDataPoints: options.minDataPoints,
        });
  if (tuner !== undefined) closers.push(() => tuner.stop());

  let earlyWarning: EarlyWarning | undefined;
  let predictionError: Error | undefined;
  if (options.predictionEnabled !== false) {
    try {
      const model = await Predictor.load(options.modelPath ?? defaultModelPath(), {
        featureList: CORE_FEATURES,
        executionProviders: options.executionProviders ?? ['cpu', 'typescript'],
      });
      earlyWarning = new EarlyWarning(registry, model, { predictionThreshold: options.predictionThreshold });
      closers.push(() => earlyWarning!.stop());
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
