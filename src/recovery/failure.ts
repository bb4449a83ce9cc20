/**
 * What went wrong, in the ladder's vocabulary. The kind sets the rung the ladder starts on; how
 * often failures recur (for the task, its worker and its hardware class) moves it up.
 *
 * - `transient`, `connection`: a blip (a reset connection); an immediate retry usually works.
 * - `timeout`, `intermittent`, `unknown`: may pass with time; a delayed retry with backoff.
 * - `out-of-memory`: resource exhaustion; the task is retried with a smaller batch or precision.
 * - `worker`, `unreachable`, `circuit-open`: the worker is the problem; switch to another one.
 * - `hardware`: the hardware class is the problem; switch to another class.
 * - `crash`: the resource died (a browser, a model server); restart it through the user's hook.
 * - `fatal`: nothing will help (bad input); escalate at once.
 */
export type FailureKind =
  | 'transient'
  | 'connection'
  | 'timeout'
  | 'intermittent'
  | 'unknown'
  | 'out-of-memory'
  | 'worker'
  | 'unreachable'
  | 'circuit-open'
  | 'hardware'
  | 'crash'
  | 'fatal';

/** Kinds that may be the task's own doing: they say nothing of the worker by themselves. */
export const TASK_SCOPED_KINDS: ReadonlySet<FailureKind> = new Set<FailureKind>([
  'transient',
  'connection',
  'timeout',
  'intermittent',
  'unknown',
  'out-of-memory',
]);

export const FAILURE_KINDS: ReadonlySet<FailureKind> = new Set<FailureKind>([
  ...TASK_SCOPED_KINDS,
  'worker',
  'unreachable',
  'circuit-open',
  'hardware',
  'crash',
  'fatal',
]);

/** One failure, as handleFailure() receives it. */
export interface FailureContext {
  /** The task's id. */
  task: string;
  /** The worker (target) it ran on, if any. */
  worker?: string;
  /** The worker's hardware class (cpu, gpu, webgpu, ...), if known. */
  hardware?: string;
  /** The user's classification; when absent the classifier decides from `error` and `message`. */
  errorKind?: FailureKind;
  /** A human-readable description (defaults to the error's message). */
  message?: string;
  /** The error itself, for the classifier and the escalation. */
  error?: unknown;
}

/**
 * Classifies a failure; undefined leaves it to the default classifier. Called only when the
 * context carries no `errorKind`.
 */
export type FailureClassifier = (error: unknown, context: Readonly<FailureContext>) => FailureKind | undefined;

/** Checks a failure context; errors name the field. */
export function checkFailureContext(context: unknown): asserts context is FailureContext {
  if (context === null || typeof context !== 'object')
    throw new TypeError(
      `breakwater/recovery: a failure context must be an object, got ${context === null ? 'null' : typeof context}`,
    );
  const c = context as Partial<FailureContext>;
  if (typeof c.task !== 'string' || c.task.length === 0)
    throw new TypeError(
      `breakwater/recovery: failure context field "task" must be a non-empty string, got ${JSON.stringify(c.task)}`,
    );
  for (const field of ['worker', 'hardware', 'message'] as const) {
    const value = c[field];
    if (value !== undefined && (typeof value !== 'string' || value.length === 0))
      throw new TypeError(
        `breakwater/recovery: failure context field "${field}" must be a non-empty string, got ${JSON.stringify(value)}`,
      );
  }
  if (c.errorKind !== undefined && !FAILURE_KINDS.has(c.errorKind)) {
    throw new RangeError(
      `breakwater/recovery: failure context field "errorKind" must be one of ${[...FAILURE_KINDS].join(', ')}, got ${JSON.stringify(c.errorKind)}`,
    );
  }
}
