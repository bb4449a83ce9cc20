/** The message of a refusal, made when it is first read (most refusals are never read). */
function openMessage(breaker: string, retryAfterMs: number, state: string): string {
  return `breakwater: circuit "${breaker}" is ${state}${retryAfterMs > 0 ? `; retry after ${Math.ceil(retryAfterMs)} ms` : ''}`;
}

type Fields = { -readonly [K in 'code' | 'breaker' | 'retryAfterMs' | 'state']: CircuitOpenError[K] };

/** Thrown (or handed to the fallback) when a breaker rejects a call because its circuit is open. */
export class CircuitOpenError extends Error {
  /**
   * Whether a breaker's refusals capture a stack trace. Off by default: an open circuit refuses
   * every call, and running the Error constructor (which captures the stack) is most of what a
   * refusal would cost, microseconds where the rest takes tens of nanoseconds. A refusal is then an
   * object of this class (instanceof CircuitOpenError and Error, with its message, code, breaker,
   * state and retryAfterMs) whose stack is its first line. Turn stacks on while debugging:
   * BREAKWATER_REFUSAL_STACKS=1, or `CircuitOpenError.captureStacks = true`.
   */
  static captureStacks = process.env.BREAKWATER_REFUSAL_STACKS === '1';

  readonly code = 'ECIRCUITOPEN';

  constructor(
    /** The breaker's name. */
    readonly breaker: string,
    /** Milliseconds until the circuit admits a probe (0 when half-open and out of probes, or unknown). */
    readonly retryAfterMs: number,
    /** 'open', 'half-open' (all probes taken), 'forced-open', or 'shedding' (a closed circuit shedding a share of calls). */
    readonly state: string,
  ) {
    super(openMessage(breaker, retryAfterMs, state));
  }

  /** @internal A breaker's refusal: without a stack (and without the Error constructor) unless captureStacks is on. */
  static refusal(breaker: string, retryAfterMs: number, state: string): CircuitOpenError {
    if (CircuitOpenError.captureStacks) return new CircuitOpenError(breaker, retryAfterMs, state);
    const refusal = Object.create(CircuitOpenError.prototype) as Fields;
    refusal.code = 'ECIRCUITOPEN';
    refusal.breaker = breaker;
    refusal.retryAfterMs = retryAfterMs;
    refusal.state = state;
    return refusal as CircuitOpenError;
  }
}

// On the prototype: what a refusal made without the Error constructor reads (an instance made by
// `new` has its own message and stack, which take precedence).
Object.defineProperties(CircuitOpenError.prototype, {
  name: { value: 'CircuitOpenError', writable: true, configurable: true },
  message: {
    get(this: CircuitOpenError) {
      return openMessage(this.breaker, this.retryAfterMs, this.state);
    },
    configurable: true,
  },
  stack: {
    get(this: CircuitOpenError) {
      return `${this.name}: ${this.message}`;
    },
    configurable: true,
  },
});
