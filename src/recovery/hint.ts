/**
 * What a task is told to do about resource exhaustion: run with this batch size and precision.
 * The task reads it on every attempt and acts on it; the ladder shrinks it after an out-of-memory
 * failure. Fields the task never set stay undefined.
 */
export interface ResourceHint {
  /** Items per batch; halved on each reduction down to the floor. */
  readonly batchSize?: number;
  /** Numeric precision (e.g. fp32, fp16, int8); lowered once the batch is at its floor. */
  readonly precision?: string;
  /** Reductions applied so far. */
  readonly reductions: number;
}

/** How far a hint may shrink. */
export interface HintLimits {
  /** Smallest batch size. */
  readonly minBatchSize: number;
  /** Precisions from the highest to the lowest the task accepts. */
  readonly precisions: readonly string[];
}

/** The hint a task starts with, from the batch size and precision it declares. */
export function initialHint(declared: { batchSize?: number; precision?: string } | undefined): ResourceHint {
  return { batchSize: declared?.batchSize, precision: declared?.precision, reductions: 0 };
}

/**
 * The next smaller hint, or undefined when it can't shrink: first the batch halves (a smaller batch
 * keeps the results exact), then the precision steps down the list.
 */
export function reduceHint(hint: ResourceHint, limits: HintLimits): ResourceHint | undefined {
  if (hint.batchSize !== undefined && hint.batchSize > limits.minBatchSize) {
    return {
      ...hint,
      batchSize: Math.max(limits.minBatchSize, Math.floor(hint.batchSize / 2)),
      reductions: hint.reductions + 1,
    };
  }
  if (hint.precision !== undefined) {
    const index = limits.precisions.indexOf(hint.precision);
    if (index >= 0 && index < limits.precisions.length - 1) {
      return { ...hint, precision: limits.precisions[index + 1], reductions: hint.reductions + 1 };
    }
  }
  return undefined;
}

/** Checks a task's declared hint; errors name the task and the field. */
export function checkDeclaredHint(taskId: string, declared: unknown, limits: HintLimits): void {
  if (declared === undefined) return;
  if (declared === null || typeof declared !== 'object')
    throw new TypeError(
      `breakwater/recovery: task "${taskId}" option "hint" must be an object, got ${declared === null ? 'null' : typeof declared}`,
    );
  const { batchSize, precision } = declared as { batchSize?: unknown; precision?: unknown };
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || (batchSize as number) < 1)) {
    throw new RangeError(
      `breakwater/recovery: task "${taskId}" option "hint.batchSize" must be an integer >= 1, got ${String(batchSize)}`,
    );
  }
  if (precision !== undefined && (typeof precision !== 'string' || !limits.precisions.includes(precision))) {
    throw new RangeError(
      `breakwater/recovery: task "${taskId}" option "hint.precision" must be one of ${limits.precisions.join(', ')}, got ${String(precision)}`,
    );
  }
}
