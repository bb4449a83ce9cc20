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
 * Restarts a resource; resolves when it is ready again. A rejection means the restart failed and
 * the task escalates. After a restart the worker's circuit is closed: the resource is new.
 */
export type RestartHook = (request: RestartRequest) => void | PromiseLike<void>;
