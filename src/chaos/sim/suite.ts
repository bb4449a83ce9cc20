import type { Policy } from './policy';
import { BUILT_IN_POLICIES } from './policies';
import type { RunResult } from './result';
import { runScenario } from './run';
import type { RunSize, ScenarioDefinition } from './scenario';
import { SCENARIOS } from './scenarios';

/** Every scenario under every policy, for one seed and size. Holds no wall-clock data, so one seed gives one result. */
export interface SuiteResult {
  kind: 'breakwater.scenarios';
  version: 1;
  seed: number;
  size: RunSize;
  /** Policy names, baseline first. */
  policies: string[];
  scenarios: Array<{ name: string; title: string }>;
  runs: RunResult[];
}

/** Options of runSuite(). */
export interface SuiteOptions {
  seed: number;
  size: RunSize;
  scenarios?: readonly ScenarioDefinition[];
  /** The first is the baseline the others are compared with. Default: none, static, backoff. */
  policies?: readonly Policy[];
  /** Called as runs progress: the share done overall (0..1) and what runs now. */
  onProgress?: (done: number, scenario: string, policy: string) => void;
}

/** Runs each scenario under each policy (the baseline first) and fills in cascadesPrevented. */
export async function runSuite(options: SuiteOptions): Promise<SuiteResult> {
  const scenarios = options.scenarios ?? SCENARIOS;
  const policies = options.policies ?? BUILT_IN_POLICIES;
  const total = scenarios.length * policies.length;
  const runs: RunResult[] = [];
  for (const definition of scenarios) {
    const scenario = definition.build(options.size);
    let baselineCascades: number | null = null;
    for (const policy of policies) {
      const index = runs.length;
      const progress = (share: number) => options.onProgress?.((index + share) / total, scenario.name, policy.name);
      progress(0);
      const run = await runScenario(scenario, policy, { seed: options.seed, size: options.size, onProgress: progress });
      if (policy === policies[0]) baselineCascades = run.metrics.cascades;
      if (baselineCascades !== null && run.metrics.cascades !== null) {
        run.metrics.cascadesPrevented = Math.max(0, baselineCascades - run.metrics.cascades);
      }
      runs.push(run);
    }
  }
  options.onProgress?.(1, '', '');
  return {
    kind: 'breakwater.scenarios',
    version: 1,
    seed: options.seed,
    size: options.size,
    policies: policies.map((p) => p.name),
    scenarios: scenarios.map((s) => ({ name: s.name, title: s.title })),
    runs,
  };
}
