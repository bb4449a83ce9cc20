/** Something with per-thread state to fold into the shared core on the tick. */
export interface Flushable {
  flush(): void;
}

const TICK_MS = 100;
let dirty: Flushable[] = [];
let timer: NodeJS.Timeout | undefined;

/**
 * One unref'd interval per thread for every breaker (never a timer per breaker): it folds the
 * successes and rejections counted in JS into the shared windows, so time windows see them within
 * a tick even when no decision forces a flush. It never keeps the process alive.
 */
export function markDirty(item: Flushable): void {
  dirty.push(item);
  if (timer === undefined) {
    timer = setInterval(flushDirty, TICK_MS);
    timer.unref();
  }
}

export function flushDirty(): void {
  const batch = dirty;
  dirty = [];
  for (const item of batch) item.flush();
}
