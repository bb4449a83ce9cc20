import type { Timers } from '../clock';

/** What the restart hook is asked to restart. */
export interface RestartRequest {
  /** The worker whose resource to restart (a browser, a model server, a process). */
  readonly worker: string;
  readonly hardware?: string;
  /** The task whose failure led here. */
  readonly task: string;
  /** The failure's message. */
  readonly reason: string;
}

/**
 * Restarts a resource; resolves when it is ready again. A rejection, or no answer within
 * `restartTimeoutMs`, means the restart failed and the task escalates. After a restart the
 * worker's circuit is closed: the resource is new.
 */
export type RestartHook = (request: RestartRequest) => void | PromiseLike<void>;

/**
 * Calls the restart hook and resolves when it does; rejects when it rejects, throws, or has not
 * resolved within `timeoutMs`: a resource that never comes back must not hang its task for ever.
 */
export function restartWithin(
  hook: RestartHook,
  request: RestartRequest,
  timers: Timers,
  timeoutMs: number,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = timers.setTimeout(
      () => reject(new Error(`it did not resolve within restartTimeoutMs (${timeoutMs} ms)`)),
      timeoutMs,
    );
    const settle = (outcome: () => void) => {
      timers.clearTimeout(timer);
      outcome();
    };
    Promise.resolve()
      .then(() => hook(request))
      .then(
        () => settle(resolve),
        (error: unknown) => settle(() => reject(error)),
      );
  });
}
