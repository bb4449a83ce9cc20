import { CircuitBreaker } from '../breaker';
import { CircuitOpenError } from '../errors/CircuitOpenError';
import { TimeoutError } from '../errors/TimeoutError';
import type { CircuitBreakerOptions } from '../options';
import type { EdgeContext, Guard } from './policy';

/** No protection: every attempt is sent, and abandoned at the caller's timeout. */
export class UnguardedEdge implements Guard {
  constructor(private readonly edge: EdgeContext) {}

  call<T>(send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { clock, timeoutMs, name } = this.edge;
    const controller = new AbortController();
    return new Promise<T>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        const error = new TimeoutError(name, timeoutMs);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
      send(controller.signal).then(
        (value) => {
          clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  isRejection(): boolean {
    return false;
  }

  dispose(): void {}
}

/** Breaker options a policy sets; the edge gives the name, the clock and the timeout. */
export type EdgeBreakerOptions = Omit<CircuitBreakerOptions, 'clock' | 'timeout' | 'name'>;

/**
 * An edge guarded by a real CircuitBreaker on the simulation's clock, with the caller's timeout as
 * its `timeout` (so the breaker times the attempt and counts its timeouts itself).
 */
export class BreakerEdge implements Guard {
  constructor(readonly breaker: CircuitBreaker) {}

  /** A breaker of its own for the edge. */
  static on(edge: EdgeContext, options: EdgeBreakerOptions): BreakerEdge {
    return new BreakerEdge(BreakerEdge.breakerFor(edge, options));
  }

  /** The edge's breaker: its name, on the run's clock, the caller's timeout as `timeout`. */
  static breakerFor(edge: EdgeContext, options: EdgeBreakerOptions): CircuitBreaker {
    return new CircuitBreaker({ ...options, name: edge.name, clock: edge.clock, timeout: edge.timeoutMs });
  }

  call<T>(send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    return this.breaker.execute(({ signal }) => send(signal));
  }

  isRejection(error: unknown): boolean {
    return error instanceof CircuitOpenError;
  }

  dispose(): void {
    this.breaker.dispose();
  }
}
