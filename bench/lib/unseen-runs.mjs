// One run of a family of bench/lib/unseen-families.mjs for bench/early-warning-unseen.mjs: a
// breaker configured as users configure it, on a ManualClock for RUN_S virtual seconds, alone
// (static: the rows the scores are measured on) or in a registry with the early warning acting on
// it (what acting costs or spares the service's clients).
import { join } from 'node:path';
import { distDir } from './measure.mjs';
import { between, drawService, pick, timedService } from './unseen-families.mjs';

export const RUN_S = 180;
const { CircuitBreaker, ManualClock } = await import(join(distDir, 'index.mjs'));
const { CoreFeatureExtractor } = await import(join(distDir, 'adaptive/index.mjs'));
const { SeededRandom, watchedByWarning } = await import(join(distDir, 'sim/index.mjs')); // breakwater/chaos

/**
 * Options as users set them: the usual 50% rule over a 10 s window (sometimes 100 calls),
 * consecutive failures on or off; a timed service's users set a timeout, and a quarter of them
 * count calls slower than half of it against a slow-call rule. `overrides` replace drawn options
 * after every draw, so a run meets the same calls whatever they are.
 */
function drawOptions(random, service, overrides) {
  return { ...drawnOptions(random, service), ...overrides };
}

function drawnOptions(random, service) {
  const count = random() < 0.25;
  const options = {
    slidingWindowType: count ? 'count' : 'time',
    slidingWindowSize: count ? 100 : 10_000,
    failureRateThreshold: 50,
    minimumCalls: pick(random, [10, 20]),
    failureThreshold: random() < 0.5 ? 0 : 5,
    recoveryTimeout: pick(random, [10_000, 30_000]),
  };
  if (service === undefined) return options;
  const slowRule = random() < 0.25;
  return {
    ...options,
    timeout: service.timeoutMs,
    ...(slowRule && { slowCallDuration: Math.round(service.timeoutMs / 2), slowCallRateThreshold: 80 }),
  };
}

/**
 * The run's breaker: alone, or (with `warning` = { model, mode }) in a registry on the run's clock
 * with an EarlyWarning stepped once a virtual second (its own schedule stopped: deterministic).
 */
function makeBreaker(options, clock, warning) {
  if (warning === undefined) return { breaker: new CircuitBreaker({ ...options, clock }), actions: [] };
  const watched = watchedByWarning(clock, 'unseen', options, warning.model, { mode: warning.mode });
  return { ...watched, step: () => watched.warning.step(clock.now()) };
}

/**
 * Runs the breaker for RUN_S seconds: `second(t)` makes second t's calls. Static runs keep a row of
 * the closed breaker once a second, labelled by the trips that follow.
 */
async function record({ breaker, actions, step }, clock, second, outcome) {
  const trips = [];
  breaker.on('open', (change) => trips.push({ at: clock.now(), reason: change.reason }));
  const extractor = step === undefined ? new CoreFeatureExtractor() : undefined;
  const rows = [];
  for (let t = 0; t < RUN_S; t++) {
    await second(t);
    if (step !== undefined) await step();
    else if (breaker.getState() === 'closed')
      rows.push({ atMs: clock.now(), row: extractor.extract([breaker], clock.now()) });
  }
  breaker.dispose();
  return {
    ...outcome,
    actions: actions.length,
    trips,
    rows: rows.map(({ atMs, row }) => {
      const next = trips.find((trip) => trip.at > atMs);
      return { atMs, row, secondsToTrip: next === undefined ? Infinity : (next.at - atMs) / 1000 };
    }),
  };
}

/** An instant family's run: calls that return at once, a share of them failing. */
function playInstant(family, random, warning, overrides) {
  const failingShare = family.draw(random);
  const callsPerSecond = Math.round(between(random, 5, 200));
  const clock = new ManualClock(0);
  const made = makeBreaker(drawOptions(random, undefined, overrides), clock, warning);
  const outcome = { arrivals: 0, successes: 0 };
  const second = (t) => {
    const share = failingShare(t);
    for (let call = 0; call < callsPerSecond; call++) {
      clock.advance(1000 / callsPerSecond);
      const fails = random() < share;
      outcome.arrivals++;
      try {
        made.breaker.executeSync(() => {
          if (fails) throw new Error('down');
        });
        outcome.successes++;
      } catch {
        // a failure, or a refusal of the open circuit
      }
    }
  };
  return record(made, clock, second, outcome);
}

/** A timed family's run: calls through execute() against a service with latency and connections. */
function playTimed(family, random, warning, overrides) {
  const drawn = drawService(random);
  const service = family.service ? family.service(drawn, random) : drawn;
  const condition = family.draw(random, service);
  const clock = new ManualClock(0);
  const made = makeBreaker(drawOptions(random, service, overrides), clock, warning);
  const { second, outcome } = timedService(made.breaker, clock, service, condition, random);
  return record(
    made,
    clock,
    (t) => {
      second(t);
      return clock.runFor(1000);
    },
    outcome,
  );
}

/**
 * One run of `family` for `seed`: `{ rows, trips, arrivals, successes, actions }` (rows only when
 * static; trips: `{ at, reason }` of each opening; `warning` = { model, mode } acts on the breaker
 * instead; `overrides` replace the drawn breaker options).
 */
export function playRun(family, seed, warning, overrides = {}) {
  const draws = new SeededRandom(seed);
  return (family.kind === 'timed' ? playTimed : playInstant)(family, () => draws.next(), warning, overrides);
}
