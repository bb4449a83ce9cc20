import type { CircuitBreaker } from '../breaker';
import type { StateName } from '../state';

/** Whether a circuit admits work now, and if not, for how long. */
export interface Admission {
  readonly admits: boolean;
  readonly state: StateName;
  /** Until it admits a probe, ms: 0 when it admits now, undefined when never by itself (forced open). */
  readonly retryAfterMs: number | undefined;
}

/**
 * Reads a circuit's admission without calling through it. An open circuit whose open period has
 * passed admits a probe (the core moves it to half-open on the next call), so it counts as admitting.
 */
export function admissionOf(breaker: CircuitBreaker): Admission {
  const state = breaker.getState();
  if (state === 'forced-open') return { admits: false, state, retryAfterMs: undefined };
  if (state === 'open') {
    const wait = breaker.getMetrics().retryAfterMs;
    return { admits: wait <= 0, state, retryAfterMs: wait };
  }
  return { admits: true, state, retryAfterMs: 0 };
}

/** A target as selection sees it. */
export interface Candidate {
  readonly worker: string;
  readonly hardware: string;
  readonly inFlight: number;
  readonly capacity: number;
  /** Declaration order: the last tie-breaker, so equal targets are chosen deterministically. */
  readonly order: number;
  readonly admission: Admission;
  readonly hardwareAdmission: Admission;
}

/**
 * The best target: its circuit and its class's circuit admit work; a closed circuit before one
 * that would take the call as a probe; then the least loaded (in-flight tasks / capacity); then
 * declaration order.
 */
export function bestCandidate(candidates: readonly Candidate[]): Candidate | undefined {
  let best: Candidate | undefined;
  for (const candidate of candidates) {
    if (!candidate.admission.admits || !candidate.hardwareAdmission.admits) continue;
    if (best === undefined || compareCandidates(candidate, best) < 0) best = candidate;
  }
  return best;
}

function compareCandidates(a: Candidate, b: Candidate): number {
  return probing(a) - probing(b) || a.inFlight / a.capacity - b.inFlight / b.capacity || a.order - b.order;
}

/** 1 when the call would be a probe of a recovering circuit (worker or class), else 0. */
function probing(candidate: Candidate): number {
  const settled = (admission: Admission) => admission.state === 'closed' || admission.state === 'disabled';
  return settled(candidate.admission) && settled(candidate.hardwareAdmission) ? 0 : 1;
}
