import { CircuitBreaker } from '../../breaker';
import { CircuitOpenError } from '../../errors/CircuitOpenError';
import type { CircuitBreakerOptions } from '../../options';
import { SeededRandom } from '../../random';
import { drawBreakerOptions, drawService, uniform } from './breaker-config';
import type { Family } from './families';
import { GeneratorClock } from './generator-clock';
import { drawFate, GeneratedService, isSick, type ServiceTraits } from './service';

/** Virtual length of a generated run, ms: a healthy start, then the family's trouble. */
export const RUN_MS = 180_000;
/** Trouble starts between these times, so every breaker has a healthy baseline first. */
const ONSET_MS: readonly [number, number] = [30_000, 100_000];

/** What one run drew: the service, the user's breaker options and when trouble starts. */
export interface RunSetup {
  readonly family: string;
  readonly seed: number;
  readonly traits: ServiceTraits;
  readonly options: CircuitBreakerOptions;
  readonly onsetMs: number;
}

/** How the breaker of a run is made, and what watches it every virtual second. */
export interface RunHooks {
  /** The breaker guarding the service; default a plain CircuitBreaker with the drawn options (the static breaker). */
  breaker?: (options: CircuitBreakerOptions & { clock: GeneratorClock; name: string }) => CircuitBreaker;
  /** Called (and awaited) once per virtual second while the run plays. */
  everySecond?: (nowMs: number, breaker: CircuitBreaker) => void | Promise<void>;
}

/** What a run measured. */
export interface RunOutcome {
  readonly setup: RunSetup;
  /** Calls the client made, and how many succeeded. */
  readonly calls: number;
  readonly successes: number;
  /** Calls the breaker let through to the service, and those sent while it was in trouble. */
  readonly sent: number;
  readonly sentWhileSick: number;
  /** Of the calls sent while it was in trouble, those that succeeded: what refusing them would cost the client. */
  readonly succeededWhileSick: number;
  /** Calls refused by the breaker (open or shedding). */
  readonly rejected: number;
  /** Times the breaker opened on its own rules (not pre-opened), ms. */
  readonly trips: readonly number[];
}

/** A run's random source: one seed gives each family its own service. */
function runRandom(family: Family, seed: number): SeededRandom {
  return new SeededRandom(seed).fork(family.name);
}

/** The service, options and onset a family and seed give, without playing the run. */
export function setupRun(family: Family, seed: number): RunSetup {
  const random = runRandom(family, seed);
  const drawn = drawService(random.fork('service'));
  const traits = family.service?.(drawn, random.fork('family-service')) ?? drawn;
  const options = drawBreakerOptions(random.fork('breaker'), traits);
  return {
    family: family.name,
    seed,
    traits,
    options,
    onsetMs: Math.round(uniform(random.fork('onset'), ...ONSET_MS)),
  };
}

/**
 * Plays one run on virtual time: Poisson arrivals at the service's rate (times the shape's rate
 * factor), each through the breaker to the generated service. Everything random comes from the seed,
 * and each arrival draws its fate whether or not it is sent, so two runs of one seed under
 * different breakers see the same calls.
 */
export async function playRun(family: Family, seed: number, hooks: RunHooks = {}): Promise<RunOutcome> {
  const setup = setupRun(family, seed);
  const random = runRandom(family, seed);
  const shape = family.shape(random.fork('shape'), setup.onsetMs, RUN_MS, setup);
  const clock = new GeneratorClock(0);
  const options = { ...setup.options, clock, name: `${family.name}#${seed}` };
  const breaker = hooks.breaker?.(options) ?? new CircuitBreaker(options);
  const condition = () => shape(clock.now());
  const service = new GeneratedService(setup.traits, clock, condition);
  const fates = random.fork('calls');
  const arrivals = random.fork('arrivals');
  const trips: number[] = [];
  breaker.on('open', (change) => {
    if (change.reason !== 'predicted') trips.push(change.at);
  });
  let calls = 0;
  let successes = 0;
  let sent = 0;
  let sentWhileSick = 0;
  let succeededWhileSick = 0;
  let rejected = 0;
  const arrive = (): void => {
    calls++;
    const fate = drawFate(fates);
    let sick = false;
    const send = ({ signal }: { signal: AbortSignal }): Promise<void> => {
      sent++;
      sick = isSick(condition());
      if (sick) sentWhileSick++;
      return service.handle(signal, fate);
    };
    breaker.execute(send).then(
      () => {
        successes++;
        if (sick) succeededWhileSick++;
      },
      (error: unknown) => {
        if (error instanceof CircuitOpenError) rejected++;
      },
    );
    scheduleArrival();
  };
  const scheduleArrival = (): void => {
    const rate = setup.traits.callRate * condition().rateFactor;
    clock.setTimeout(arrive, arrivals.exponential(1000 / rate));
  };
  scheduleArrival();
  // Simulated failures are values, never shown with a stack: capturing one per error would cost more than the run.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    await clock.runUntil(RUN_MS, 1000, (now) => hooks.everySecond?.(now, breaker));
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  return { setup, calls, successes, sent, sentWhileSick, succeededWhileSick, rejected, trips };
}
