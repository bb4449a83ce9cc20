/** Thrown (or handed to the fallback) when a breaker rejects a call because its circuit is open. */
export class CircuitOpenError extends Error {
  readonly code = 'ECIRCUITOPEN';
  constructor(
    /** The breaker's name. */
    readonly breaker: string,
    /** Milliseconds until the circuit admits a probe (0 when half-open and out of probes, or unknown). */
    readonly retryAfterMs: number,
    /** 'open', 'half-open' (all probes taken), 'forced-open', or 'shedding' (a closed circuit shedding a share of calls). */
    readonly state: string,
  ) {
    super(`breakwater: circuit "${breaker}" is ${state}${retryAfterMs > 0 ? `; retry after ${Math.ceil(retryAfterMs)} ms` : ''}`);
    this.name = 'CircuitOpenError';
  }
}
