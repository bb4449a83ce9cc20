import { RequestLog } from '../client';
import { UnguardedEdge } from '../guards';
import { successRate } from '../measures';
import { BUCKET_MS, playUntil, successTimeline } from '../play';
import type { RunOptions, RunSize } from '../run-options';
import { SimService, type ServiceSpec } from '../service';
import { SimulationClock } from '../simulation-clock';
import { SeededRandom } from '../../random';
import type { PhaseChange, RolloutStrategy } from './strategies';
import type { RolloutVersion } from '../../rollout/version-window';

/** Two versions of a service behind one endpoint, and the users calling it. */
export interface RolloutScenario {
  readonly name: string;
  /** One line for reports. */
  readonly title: string;
  readonly durationMs: number;
  /** Distinct users; each request comes from one of them, drawn uniformly from the seed. */
  readonly users: number;
  /** Requests per second (Poisson arrivals). */
  readonly ratePerSecond: number;
  /** Requests in flight at most; an arrival beyond that fails at once. */
  readonly concurrency: number;
  /** The endpoint's timeout per request, ms. */
  readonly timeoutMs: number;
  /** The version in production. */
  readonly oldVersion: ServiceSpec;
  /** The version being rolled out. */
  readonly newVersion: ServiceSpec;
  /** What a rollout of this version should end in: the good version reaches FULL, the bad one is rolled back. */
  readonly expected: 'full' | 'rolled back';
}

/** How a rollout run ended: at full weight, rolled back, or still between the two. */
export type RolloutOutcome = 'full' | 'rolled back' | 'rolling';

/** The measures of one rollout scenario under one strategy. */
export interface RolloutRunResult {
  scenario: string;
  strategy: string;
  seed: number;
  size: RunSize;
  durationMs: number;
  expected: 'full' | 'rolled back';
  outcome: RolloutOutcome;
  /** When the outcome was reached (the change to full weight, or the rollback); null while rolling. */
  outcomeAtMs: number | null;
  /** The phase at the end of the run. */
  finalPhase: string;
  metrics: {
    /** Requests that finished within the run, and the share that succeeded. */
    requests: number;
    successRate: number;
    /** Distinct users who sent a request. */
    users: number;
    /** What the new version was sent: requests (routed to it, finished or not), failed ones, distinct users, and the time from its first request to its last, ms. */
    newVersion: { requests: number; failures: number; users: number; exposureMs: number };
  };
  /** The split over time (the first change at t0). */
  phases: PhaseChange[];
  /** Client success rate per chart bucket (null when no request finished in it). */
  timeline: { bucketMs: number; successRate: Array<number | null> };
}

const refuseDependencies = (): Promise<void> =>
  Promise.reject(new TypeError('breakwater/chaos: a rollout version has no dependencies'));

/**
 * Plays a rollout scenario under a strategy on virtual time: Poisson requests from seeded users,
 * each routed by the strategy to the old or the new version (two simulated services with their own
 * capacity, latency and faults), timed out at the endpoint's timeout, and its outcome fed back to
 * the strategy. Everything random comes from `seed`, so a run replays exactly.
 */
export async function runRollout(
  scenario: RolloutScenario,
  strategy: RolloutStrategy,
  options: RunOptions,
): Promise<RolloutRunResult> {
  const clock = new SimulationClock(0);
  const random = new SeededRandom(options.seed);
  const version = (spec: ServiceSpec, label: RolloutVersion) => ({
    service: new SimService(spec, clock, random.fork(`service:${label}`), BUCKET_MS, refuseDependencies),
    edge: new UnguardedEdge({
      name: `endpoint->${spec.name}`,
      caller: 'endpoint',
      service: spec.name,
      clock,
      timeoutMs: scenario.timeoutMs,
      random: random.fork(`edge:${label}`),
    }),
  });
  const versions: Record<RolloutVersion, { service: SimService; edge: UnguardedEdge }> = {
    old: version(scenario.oldVersion, 'old'),
    new: version(scenario.newVersion, 'new'),
  };
  const router = strategy.router({ clock, name: scenario.name, seed: `${scenario.name}:${options.seed}` });
  const log = new RequestLog(BUCKET_MS);
  const arrivals = random.fork('client');
  const userDraws = random.fork('users');
  const users = new Set<number>();
  const exposed = { requests: 0, failures: 0, users: new Set<number>(), first: -1, last: -1 };
  let inFlight = 0;

  const request = async (user: number): Promise<boolean> => {
    const useNew = router.useNew(`user-${user}`);
    const target = useNew ? versions.new : versions.old;
    if (useNew) {
      exposed.requests++;
      exposed.users.add(user);
      if (exposed.first < 0) exposed.first = clock.now();
      exposed.last = clock.now();
    }
    const started = clock.now();
    const ok = await target.edge
      .call(() => target.service.handle())
      .then(
        () => true,
        () => false,
      );
    if (useNew && !ok) exposed.failures++;
    router.record(useNew ? 'new' : 'old', ok, clock.now() - started);
    return ok;
  };
  const arrive = (): void => {
    const gap = arrivals.exponential(1000 / scenario.ratePerSecond);
    if (clock.now() + gap >= scenario.durationMs) return;
    clock.setTimeout(() => {
      arrive();
      const user = Math.floor(userDraws.next() * scenario.users);
      users.add(user);
      if (inFlight >= scenario.concurrency) {
        log.record(clock.now(), false);
        return;
      }
      inFlight++;
      void request(user).then((ok) => {
        inFlight--;
        log.record(clock.now(), ok);
      });
    }, gap);
  };
  arrive();
  await playUntil(clock, scenario.durationMs, options.onProgress);
  router.dispose();

  const requests = log.requests.reduce((a, b) => a + b, 0);
  const successes = log.successes.reduce((a, b) => a + b, 0);
  const phases = router.changes.map((c) => ({ ...c, at: Math.round(c.at) }));
  const last = phases[phases.length - 1];
  if (last === undefined)
    throw new TypeError(
      `breakwater/chaos: rollout strategy "${strategy.name}" reported no phase change; its router's changes must start with the split at t0`,
    );
  const outcome: RolloutOutcome = last.weight === 1 ? 'full' : last.action === 'rollback' ? 'rolled back' : 'rolling';
  return {
    scenario: scenario.name,
    strategy: strategy.name,
    seed: options.seed,
    size: options.size,
    durationMs: scenario.durationMs,
    expected: scenario.expected,
    outcome,
    outcomeAtMs: outcome === 'rolling' ? null : last.at,
    finalPhase: last.phase,
    metrics: {
      requests,
      successRate: successRate(requests, successes),
      users: users.size,
      newVersion: {
        requests: exposed.requests,
        failures: exposed.failures,
        users: exposed.users.size,
        exposureMs: exposed.first < 0 ? 0 : Math.round(exposed.last - exposed.first),
      },
    },
    phases,
    timeline: successTimeline(
      { bucketMs: BUCKET_MS, requests: log.requests, successes: log.successes },
      scenario.durationMs,
    ),
  };
}
