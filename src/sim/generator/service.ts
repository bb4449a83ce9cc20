import { setMaxListeners } from 'node:events';
import type { SeededRandom } from '../../random';
import type { GeneratorClock } from './generator-clock';

/** How a service behaves at one moment; a family's shape is a function of time to this. */
export interface Condition {
  /** Share of calls answered with an error. */
  errorRate: number;
  /** Share of calls never answered (the caller's timeout ends them). */
  hangRate: number;
  /** Multiplies the service's own latency. */
  latencyFactor: number;
  /** Multiplies the base call rate. */
  rateFactor: number;
  /** Share of the connection pool still usable (1 = all of it). */
  poolShare: number;
  /** The service stalls every call until this time (a stop-the-world pause), ms; 0 = none. */
  stalledUntilMs: number;
}

export const HEALTHY: Readonly<Condition> = Object.freeze({
  errorRate: 0,
  hangRate: 0,
  latencyFactor: 1,
  rateFactor: 1,
  poolShare: 1,
  stalledUntilMs: 0,
});

/** Whether the service is in trouble: calls sent now are load on a failing service. */
export function isSick(condition: Condition): boolean {
  return (
    condition.errorRate >= 0.1 ||
    condition.hangRate >= 0.05 ||
    condition.latencyFactor >= 3 ||
    condition.poolShare < 0.5
  );
}

/** A service's fixed traits, drawn per run. */
export interface ServiceTraits {
  /** Calls per second when the condition's rateFactor is 1. */
  callRate: number;
  /** Median latency when healthy, ms. */
  medianMs: number;
  /** Log-normal spread of the latency (sigma). */
  spread: number;
  /** Errors come back after this share of a call's latency. */
  errorLatencyShare: number;
  /** Errors of a healthy service (a background rate). */
  backgroundErrors: number;
  /** Connections in its pool (calls served at once, more wait in line); 0 = unlimited. */
  pool: number;
}

/**
 * The random draws that decide one call, made when it arrives whether or not it is sent: two runs
 * of a seed under different breakers then give the n-th call the same fate (common random numbers),
 * so their difference is the breakers', not the dice's.
 */
export interface Fate {
  /** A standard normal draw for the latency. */
  readonly latencyNoise: number;
  /** Uniform draws compared with the hang and error rates. */
  readonly hang: number;
  readonly error: number;
}

export function drawFate(random: SeededRandom): Fate {
  return { latencyNoise: gaussian(random), hang: random.next(), error: random.next() };
}

/** A hung call without a caller timeout is answered with an error after this long, ms. */
const HANG_LIMIT_MS = 30_000;

const failure = new Error('service error');

interface Waiting {
  start: () => void;
  /** Started, given up by the caller, or failed by the pool's wait limit: the queue skips it. */
  leftQueue: boolean;
}

/**
 * The service the generated breaker guards: log-normal latency scaled by the condition, errors,
 * hangs, stop-the-world stalls, and an optional connection pool whose queue grows when it runs dry.
 */
export class GeneratedService {
  private busy = 0;
  private readonly queue: Waiting[] = [];
  private queueHead = 0;

  constructor(
    private readonly traits: ServiceTraits,
    private readonly clock: GeneratorClock,
    private readonly condition: () => Condition,
  ) {}

  /** One call: resolves or rejects on the clock; an abort (the caller's timeout) gives its pool place back. */
  handle(signal: AbortSignal, fate: Fate): Promise<void> {
    // Thousands of calls may wait on one shared signal at once (each removes its listener when done).
    setMaxListeners(0, signal);
    return new Promise<void>((resolve, reject) => {
      const waiting: Waiting = {
        start: () => {
          waiting.leftQueue = true;
          this.serve(signal, fate, resolve, reject);
        },
        leftQueue: false,
      };
      const limit =
        this.traits.pool === 0 ? Infinity : Math.max(0, Math.floor(this.traits.pool * this.condition().poolShare));
      if (this.busy < limit) {
        waiting.start();
        return;
      }
      this.queue.push(waiting);
      // A breaker without a timeout hands every call one shared signal: listeners must not pile up on it.
      const giveUp = (): void => {
        waiting.leftQueue = true;
      };
      signal.addEventListener('abort', giveUp, { once: true });
      const started = waiting.start;
      waiting.start = () => {
        signal.removeEventListener('abort', giveUp);
        started();
      };
      // A caller without a timeout is failed by the pool's own wait limit.
      this.clock.setTimeout(() => {
        if (waiting.leftQueue) return;
        waiting.leftQueue = true;
        signal.removeEventListener('abort', giveUp);
        reject(failure);
      }, HANG_LIMIT_MS);
    });
  }

  private serve(signal: AbortSignal, fate: Fate, resolve: () => void, reject: (error: Error) => void): void {
    this.busy++;
    const now = this.clock.now();
    const c = this.condition();
    const { medianMs, spread, errorLatencyShare, backgroundErrors } = this.traits;
    const latency = medianMs * c.latencyFactor * Math.exp(spread * fate.latencyNoise);
    const hangs = fate.hang < c.hangRate;
    const fails = !hangs && fate.error < c.errorRate + backgroundErrors * (1 - c.errorRate);
    const stall = Math.max(0, c.stalledUntilMs - now);
    const after = stall + (hangs ? HANG_LIMIT_MS : fails ? latency * errorLatencyShare : latency);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', finish);
      this.busy--;
      this.next();
    };
    // A hung call holds its connection until the service gives up, whatever the caller does.
    if (!hangs) signal.addEventListener('abort', finish, { once: true });
    this.clock.setTimeout(() => {
      finish();
      if (hangs || fails) reject(failure);
      else resolve();
    }, after);
  }

  private next(): void {
    while (this.queueHead < this.queue.length) {
      const limit = this.traits.pool === 0 ? Infinity : Math.floor(this.traits.pool * this.condition().poolShare);
      if (this.busy >= limit) return;
      const waiting = this.queue[this.queueHead++];
      if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
        this.queue.splice(0, this.queueHead);
        this.queueHead = 0;
      }
      if (!waiting.leftQueue) waiting.start();
    }
  }
}

/** A standard normal draw (Box-Muller). */
export function gaussian(random: SeededRandom): number {
  return Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
}
