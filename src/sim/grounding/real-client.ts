import { CircuitBreaker } from '../../breaker';
import { CircuitOpenError } from '../../errors/CircuitOpenError';
import type { CircuitBreakerOptions } from '../../options';
import { SeededRandom } from '../../random';

/** What a real client run measured, in the simulator's terms. */
export interface RealRunResult {
  requests: number;
  successRate: number;
  /** Attempts sent that failed (an error, a reset or a timeout). */
  wastedCalls: number;
  /** Attempts the breaker refused. */
  rejections: number;
}

/** Options of runRealClient(). */
export interface RealClientOptions {
  url: string;
  durationMs: number;
  ratePerSecond: number;
  timeoutMs: number;
  seed: number;
  /** Guard the calls with a breaker with these options (its `timeout` is timeoutMs); none when undefined. */
  breaker?: Omit<CircuitBreakerOptions, 'timeout' | 'clock'>;
}

/**
 * Calls a real HTTP service with fetch for durationMs of wall time, with Poisson arrivals drawn
 * from the seed (as the simulator's clients), through a real breaker or none, and counts like the
 * simulator does.
 */
export async function runRealClient(options: RealClientOptions): Promise<RealRunResult> {
  const random = new SeededRandom(options.seed).fork('client:client');
  const breaker =
    options.breaker === undefined ? undefined : new CircuitBreaker({ ...options.breaker, timeout: options.timeoutMs });
  let requests = 0;
  let successes = 0;
  let wastedCalls = 0;
  let rejections = 0;
  const send = async (signal: AbortSignal) => {
    const response = await fetch(options.url, { signal });
    await response.text();
    if (response.status !== 200) throw new Error(`status ${response.status}`);
  };
  const attempt = async (): Promise<void> => {
    try {
      if (breaker !== undefined) await breaker.execute(({ signal }) => send(signal));
      else await send(AbortSignal.timeout(options.timeoutMs));
      successes++;
    } catch (error) {
      if (error instanceof CircuitOpenError) rejections++;
      else wastedCalls++;
    }
    requests++;
  };
  const inFlight: Array<Promise<void>> = [];
  const start = performance.now();
  // Arrival times are fixed up front and each waits for its own moment, so timer drift does not add up.
  let at = random.exponential(1000 / options.ratePerSecond);
  while (at < options.durationMs) {
    const wait = start + at - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(attempt());
    at += random.exponential(1000 / options.ratePerSecond);
  }
  await Promise.all(inFlight);
  breaker?.dispose();
  return { requests, successRate: requests === 0 ? 1 : successes / requests, wastedCalls, rejections };
}
