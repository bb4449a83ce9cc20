/**
 * One generation of a breaker's fast path. Its successes are counted in the thread's lane of the
 * slot (shared memory, so none is lost when the thread ends) and folded into the window under
 * this generation; a fast async call that settles after its generation ended is recorded on its
 * own, so it moves nothing in the newer one.
 */
export class FastGeneration {
  /** Set when the breaker moved on to a newer generation: late successes go straight to the core. */
  retired = false;
  constructor(readonly generation: number) {}
}
