import type { ManualClock } from '../clock';
import { BreakerEdge, type EdgeBreakerOptions } from './guards';
import type { EdgeContext, Policy } from './policy';
import { STATIC_BREAKER_OPTIONS } from './policies';
import { Registry } from '../registry/registry';
import { EarlyWarning, type EarlyWarningOptions, type ScoringModel } from '../adaptive/early-warning';
import { AdaptiveTuner, type TunerOptions } from '../adaptive/tuner';

/** The control plane of one simulated run: a registry on the run's clock, with its tuner and early warning. */
interface RunControl {
  readonly registry: Registry;
}

/** An edge guarded by a registry breaker, whose registry (tuner, predictor) ticks on the run's virtual clock. */
class RegistryEdge extends BreakerEdge {
  private readonly name: string;

  constructor(
    edge: EdgeContext,
    private readonly control: RunControl,
    start: EdgeBreakerOptions,
  ) {
    super(control.registry.getOrCreate('edge', edge.name, { ...start, timeout: edge.timeoutMs }));
    this.name = edge.name;
  }

  /** The run is over: the breaker leaves the registry, which shuts down with its last one (no task may run on a disposed breaker). */
  override dispose(): void {
    const { registry } = this.control;
    registry.remove('edge', this.name);
    if (registry.size === 0) void registry.shutdown();
  }
}

export interface LearningPolicyOptions {
  /** The settings breakers start from. Default the static breaker's. */
  start?: Readonly<EdgeBreakerOptions>;
  /** Tune thresholds and timeouts (the static breaker's settings are the starting point). */
  tuner?: TunerOptions | false;
  /** Score breakers and pre-open them. */
  prediction?: { model: ScoringModel; options?: EarlyWarningOptions } | false;
  /** Called with each run's registry when the run starts (to watch its history). */
  observe?: (registry: Registry) => void;
}

/**
 * A simulator policy whose breakers start from the static breaker's settings and learn: the adaptive
 * tuner, the early-warning model, or both, on the run's virtual time. One registry per run.
 */
export function learningPolicy(name: string, description: string, options: LearningPolicyOptions): Policy {
  const runs = new WeakMap<ManualClock, RunControl>();
  const controlOf = (clock: ManualClock): RunControl => {
    let control = runs.get(clock);
    if (control === undefined) {
      const registry = new Registry({ clock, summaryEveryMs: 0, ringSize: 1000 });
      if (options.tuner !== false && options.tuner !== undefined) new AdaptiveTuner(registry, options.tuner);
      if (options.prediction !== false && options.prediction !== undefined)
        new EarlyWarning(registry, options.prediction.model, options.prediction.options);
      runs.set(clock, (control = { registry }));
      options.observe?.(registry);
    }
    return control;
  };
  const start = options.start ?? STATIC_BREAKER_OPTIONS;
  return { name, description, guard: (edge) => new RegistryEdge(edge, controlOf(edge.clock), start) };
}

/** The tuner's settings in the simulator: a round every 10 s of virtual time, after 3 observations. */
export const SIMULATED_TUNER: TunerOptions = Object.freeze({
  learningRate: 0.5,
  retrainingInterval: 10_000,
  minDataPoints: 3,
});

/** The adaptive policy: the static breaker's settings, tuned from each edge's history. */
export const adaptivePolicy: Policy = learningPolicy(
  'adaptive',
  "static breaker settings, tuned every 10 s from each edge's history",
  { tuner: SIMULATED_TUNER },
);

/** The predictive policy: the static breaker, pre-opened by the early-warning model. */
export function predictivePolicy(model: ScoringModel, options: EarlyWarningOptions = {}): Policy {
  return learningPolicy(
    'predictive',
    `static breaker, pre-opened at P >= ${options.predictionThreshold ?? 0.7} by the early-warning model`,
    {
      prediction: { model, options },
    },
  );
}

/** Both: tuned settings and pre-opening. */
export function adaptivePredictivePolicy(model: ScoringModel, options: EarlyWarningOptions = {}): Policy {
  return learningPolicy('adaptive+predictive', 'tuned settings and pre-opening by the early-warning model', {
    tuner: SIMULATED_TUNER,
    prediction: { model, options },
  });
}
