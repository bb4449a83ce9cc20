import { runPool, POOL_STRATEGIES, type PoolRunResult } from './pool/run';
import { runRollout, type RolloutRunResult } from './rollout/run';
import { ROLLOUT_STRATEGIES } from './rollout/strategies';
import type { Policy } from './policy';
import { BUILT_IN_POLICIES } from './policies';
import type { RunResult } from './result';
import { runScenario } from './run';
import type { RunSize, SimulationDefinition } from './scenario';
import { ALL_SCENARIOS } from './scenarios';

/** Every scenario under every policy, for one seed and size. Holds no wall-clock data, so one seed gives one result. */
export interface SuiteResult {
  kind: 'breakwater.scenarios';
  version: 1;
  seed: number;
  size: RunSize;
  /** Policy names of the breaker scenarios, baseline first. */
  policies: string[];
  /** In report order; rollout and pool scenarios carry their `kind`. */
  scenarios: Array<{ name: string; title: string; kind?: 'rollout' | 'pool' }>;
  /** The breaker scenarios' runs. */
  runs: RunResult[];
  /** The rollout scenarios' runs (big-bang, progressive), when some ran. */
  rollouts?: RolloutRunResult[];
  /** The pool scenarios' runs (without, with recovery), when some ran. */
  pools?: PoolRunResult[];
}

/** Options of runSuite(). */
export interface SuiteOptions {
  seed: number;
  size: RunSize;
  /** Default: ALL_SCENARIOS (the breaker, rollout and pool scenarios). */
  scenarios?: readonly SimulationDefinition[];
  /** For the breaker scenarios; the first is the baseline the others are compared with. Default: none, static, backoff. */
  policies?: readonly Policy[];
  /** Called as runs progress: the share done overall (0..1) and what runs now. */
  onProgress?: (done: number, scenario: string, policy: string) => void;
}

/**
 * Runs each breaker scenario under each policy (the baseline first; fills in cascadesPrevented),
 * each rollout scenario under each rollout strategy and each pool scenario without and with recovery.
 */
export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const scenarios = options.scenarios ?? ALL_SCENARIOS;
  const policies = options.policies ?? BUILT_IN_POLICIES;
  const runsOf = (d: SimulationDefinition) =>
    !('kind' in d) ? policies.length : d.kind === 'rollout' ? ROLLOUT_STRATEGIES.length : POOL_STRATEGIES.length;
  const total = scenarios.reduce((sum, d) => sum + runsOf(d), 0);
  const runs: RunResult[] = [];
  const rollouts: RolloutRunResult[] = [];
  const pools: PoolRunResult[] = [];
  let done = 0;
  const progressOf = (scenario: string, name: string) => {
    const index = done++;
    const progress = (share: number) => options.onProgress?.((index + share) / total, scenario, name);
    progress(0);
    return progress;
  };
  for (const definition of scenarios) {
    const run = { seed: options.seed, size: options.size };
    if ('kind' in definition && definition.kind === 'rollout') {
      const scenario = definition.build(options.size);
      for (const strategy of ROLLOUT_STRATEGIES)
        rollouts.push(
          await runRollout(scenario, strategy, { ...run, onProgress: progressOf(scenario.name, strategy.name) }),
        );
      continue;
    }
    if ('kind' in definition && definition.kind === 'pool') {
      const scenario = definition.build(options.size);
      for (const strategy of POOL_STRATEGIES)
        pools.push(await runPool(scenario, strategy, { ...run, onProgress: progressOf(scenario.name, strategy.name) }));
      continue;
    }
    const scenario = definition.build(options.size);
    let baselineCascades: number | null = null;
    for (const policy of policies) {
      const result = await runScenario(scenario, policy, {
        ...run,
        onProgress: progressOf(scenario.name, policy.name),
      });
      if (policy === policies[0]) baselineCascades = result.metrics.cascades;
      if (baselineCascades !== null && result.metrics.cascades !== null) {
        result.metrics.cascadesPrevented = Math.max(0, baselineCascades - result.metrics.cascades);
      }
      runs.push(result);
    }
  }
  options.onProgress?.(1, '', '');
  return {
    kind: 'breakwater.scenarios',
    version: 1,
    seed: options.seed,
    size: options.size,
    policies: policies.map((p) => p.name),
    scenarios: scenarios.map((s) =>
      'kind' in s ? { name: s.name, title: s.title, kind: s.kind } : { name: s.name, title: s.title },
    ),
    runs,
    ...(rollouts.length > 0 ? { rollouts } : {}),
    ...(pools.length > 0 ? { pools } : {}),
  };
}

/** Runs in a suite, of every kind (breaker policies, rollout strategies, pool strategies). */
export function runCount(suite: SuiteResult): number {
  return suite.runs.length + (suite.rollouts?.length ?? 0) + (suite.pools?.length ?? 0);
}
