import { TimeoutError } from '../errors/TimeoutError';
import type { StateName } from '../state';
import type { EdgeContext, Guard } from './policy';
import type { SimService } from './service';

/** How one attempt over an edge ended. */
export type AttemptOutcome = 'ok' | 'failed' | 'rejected';

/** A state change of an edge's breaker, on virtual time. */
export interface Transition {
  readonly at: number;
  readonly from: StateName;
  readonly to: StateName;
}

/**
 * One caller-to-service edge: the policy's guard in front of the service, and the counts the
 * metrics are made of.
 */
export class Edge {
  /** Attempts the guard let through to the service. */
  sent = 0;
  /** Attempts sent that failed (an error or a timeout): calls wasted on a failing service. */
  failed = 0;
  timeouts = 0;
  /** Attempts the guard refused without sending. */
  rejected = 0;
  /** The expected number of refused attempts that would have succeeded (a sum of probabilities). */
  falseRejections = 0;
  readonly transitions: Transition[] = [];

  constructor(
    readonly context: EdgeContext,
    readonly guard: Guard,
    readonly target: SimService,
  ) {
    guard.breaker?.on('stateChange', (change) =>
      this.transitions.push({ at: context.clock.now(), from: change.from, to: change.to }),
    );
  }

  /** One attempt through the guard; never rejects. */
  attempt(): Promise<AttemptOutcome> {
    return this.guard
      .call(() => {
        this.sent++;
        return this.target.handle();
      })
      .then(
        () => 'ok' as const,
        (error: unknown) => {
          if (this.guard.isRejection(error)) {
            this.rejected++;
            this.falseRejections += this.target.successProbability(this.context.timeoutMs);
            return 'rejected' as const;
          }
          this.failed++;
          if (error instanceof TimeoutError) this.timeouts++;
          return 'failed' as const;
        },
      );
  }
}
