/**
 * Successes counted in JS for one generation of a breaker, waiting to be folded into the core.
 * A plain field increment is what keeps a guarded call on a closed circuit at a few nanoseconds.
 */
export class SuccessTally {
  count = 0;
  /** Set when the breaker moved on to a newer generation: late successes go straight to the core. */
  retired = false;
  constructor(readonly generation: number) {}
}
