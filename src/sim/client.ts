import type { SeededRandom } from '../random';
import type { Edge } from './edge';
import type { SimulationClock } from './simulation-clock';

/** Retries of a simulated client. */
export interface RetrySpec {
  /** Attempts after the first. */
  readonly max: number;
  /** Delay before the first retry, ms; doubled per retry when exponential. */
  readonly delayMs: number;
  readonly backoff: 'fixed' | 'exponential';
}

/** A simulated client: open-loop (Poisson) arrivals to one service. */
export interface ClientSpec {
  readonly name: string;
  /** The service it calls. */
  readonly target: string;
  readonly ratePerSecond: number;
  /** Requests it runs at once; an arrival beyond that fails at once (the caller is saturated). */
  readonly concurrency: number;
  /** Timeout per attempt, ms. */
  readonly timeoutMs: number;
  readonly retries?: RetrySpec;
}

/** Requests and successful requests per bucket, for success rates over time. */
export class RequestLog {
  readonly requests: number[] = [];
  readonly successes: number[] = [];

  constructor(private readonly bucketMs: number) {}

  record(atMs: number, ok: boolean): void {
    const bucket = Math.floor(atMs / this.bucketMs);
    while (this.requests.length <= bucket) {
      this.requests.push(0);
      this.successes.push(0);
    }
    this.requests[bucket]++;
    if (ok) this.successes[bucket]++;
  }
}

/**
 * Runs a client on virtual time: arrivals until `endMs`, each request made of attempts over its
 * edge, retried on failure (never after the guard refused: that would retry into an open circuit).
 */
export class SimClient {
  private inFlight = 0;

  constructor(
    readonly spec: ClientSpec,
    private readonly edge: Edge,
    private readonly clock: SimulationClock,
    private readonly random: SeededRandom,
    private readonly log: RequestLog,
    private readonly endMs: number,
  ) {}

  /** Schedules the first arrival. */
  start(): void {
    this.scheduleArrival();
  }

  private scheduleArrival(): void {
    const gap = this.random.exponential(1000 / this.spec.ratePerSecond);
    if (this.clock.now() + gap >= this.endMs) return;
    this.clock.setTimeout(() => {
      this.scheduleArrival();
      if (this.inFlight >= this.spec.concurrency) {
        this.log.record(this.clock.now(), false);
        return;
      }
      this.inFlight++;
      void this.request().then((ok) => {
        this.inFlight--;
        this.log.record(this.clock.now(), ok);
      });
    }, gap);
  }

  private async request(): Promise<boolean> {
    const retries = this.spec.retries;
    for (let attempt = 0; ; attempt++) {
      const outcome = await this.edge.attempt();
      if (outcome === 'ok') return true;
      if (outcome === 'rejected' || retries === undefined || attempt >= retries.max) return false;
      const delay = retries.backoff === 'exponential' ? retries.delayMs * 2 ** attempt : retries.delayMs;
      await new Promise<void>((resolve) => this.clock.setTimeout(resolve, delay));
    }
  }
}
