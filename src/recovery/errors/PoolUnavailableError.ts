/** Why one target can't take work now. */
export interface TargetRefusal {
  readonly worker: string;
  readonly hardware: string;
  /** 'open' / 'forced-open' (its circuit), 'hardware-open' / 'hardware-forced-open' (its class's circuit), 'incompatible' (the task can't use its class). */
  readonly reason: 'open' | 'forced-open' | 'hardware-open' | 'hardware-forced-open' | 'incompatible';
  /** Milliseconds until it admits a probe; undefined when it never will by itself (forced open, incompatible). */
  readonly retryAfterMs: number | undefined;
}

/**
 * No target of the pool admits the task now. Thrown at once, without waiting or polling: the
 * caller decides whether to wait `retryAfterMs` (when the first target admits a probe) and retry.
 */
export class PoolUnavailableError extends Error {
  readonly code = 'EPOOLUNAVAILABLE';
  /** The earliest time a target admits a probe, in ms from now; undefined when none will by itself. */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly pool: string,
    readonly task: string,
    readonly targets: readonly TargetRefusal[],
    /** The clock's time when the error was made, so `retryAfterMs` can be turned into a time. */
    readonly at: number,
  ) {
    const waits = targets.map((t) => t.retryAfterMs).filter((ms): ms is number => ms !== undefined);
    const retryAfterMs = waits.length > 0 ? Math.min(...waits) : undefined;
    const list = targets.length === 0 ? 'the pool has no targets' : targets.map(describe).join(', ');
    const next =
      retryAfterMs === undefined
        ? 'no target will admit a probe by itself'
        : `the first probe is admitted in ${Math.ceil(retryAfterMs)} ms (at ${Math.ceil(at + retryAfterMs)})`;
    super(`breakwater/recovery: pool "${pool}" has no target for task "${task}": ${list}; ${next}`);
    this.name = 'PoolUnavailableError';
    this.retryAfterMs = retryAfterMs;
  }
}

function describe(target: TargetRefusal): string {
  const wait = target.retryAfterMs === undefined ? '' : `, probe in ${Math.ceil(target.retryAfterMs)} ms`;
  return `${target.worker} [${target.hardware}] ${target.reason}${wait}`;
}
