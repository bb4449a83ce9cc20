/**
 * Something that may fail the same way over and over (a scheduled task every round, a listener on
 * every call): it warns of the first failure and of each new message at once, and of the same
 * failure again at most every REPEAT_WARNING_MS, with a count. A warning each time was 3,600
 * lines an hour for a task failing every second, and one line per call for a throwing listener.
 */
import { messageOf } from './error-message';

export const REPEAT_WARNING_MS = 10 * 60_000;

export class RepeatedFailure {
  private message: string | undefined;
  private warnedAt = 0;
  /** Failures since the last warning. */
  private unwarned = 0;
  /** Failures since the last time it worked. */
  private total = 0;

  /** The warning to give for `error` at `nowMs` (ms on any clock), or undefined while it only repeats. */
  failed(error: unknown, nowMs: number): string | undefined {
    const message = messageOf(error);
    this.total++;
    if (message === this.message && nowMs - this.warnedAt < REPEAT_WARNING_MS) {
      this.unwarned++;
      return undefined;
    }
    const again =
      message === this.message
        ? ` (${this.unwarned + 1} times in the last ${Math.round((nowMs - this.warnedAt) / 60_000)} min)`
        : '';
    this.message = message;
    this.warnedAt = nowMs;
    this.unwarned = 0;
    return `${message}${again}`;
  }

  /** After a success: the failures since the last one (0 when it had not failed), and a fresh start. */
  worked(): number {
    const total = this.total;
    this.message = undefined;
    this.unwarned = 0;
    this.total = 0;
    return total;
  }
}
