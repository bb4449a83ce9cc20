/** What releases a slot taken from a Semaphore. */
export type Release = () => void;

/** opossum's semaphore: `capacity` slots, test() takes one without waiting, take() waits for one. */
export interface Semaphore {
  /** Free slots. */
  readonly count: number;
  /** Takes a slot, waiting for a release when none is free; rejects with ETIMEDOUT after `timeout` ms (0 = wait forever). */
  take(timeout?: number): Promise<Release>;
  /** Frees a slot, handing it to the oldest waiter if any. */
  release(): void;
  /** Takes a slot if one is free; false (and nothing taken) otherwise. */
  test(): boolean;
}

/** Creates a semaphore with `capacity` slots (called without `new`, like opossum's). */
export function createSemaphore(capacity: number): Semaphore {
  const waiters: Array<() => void> = [];
  let free = capacity;

  const release = (): void => {
    free++;
    const next = waiters.shift();
    if (next !== undefined) next();
  };

  const take = (timeout?: number): Promise<Release> => {
    if (free > 0) {
      free--;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        free--;
        resolve(release);
      };
      waiters.push(waiter);
      if (timeout) {
        setTimeout(() => {
          // opossum drops the oldest waiter on a timeout, not necessarily this one; so do we.
          waiters.shift();
          const error = new Error(`Timed out after ${timeout}ms`) as Error & { code: string };
          error.code = 'ETIMEDOUT';
          reject(error);
        }, timeout);
      }
    });
  };

  const test = (): boolean => {
    if (free < 1) return false;
    free--;
    return true;
  };

  const semaphore = { take, release, test } as Semaphore;
  Object.defineProperty(semaphore, 'count', { get: () => free, enumerable: true });
  return semaphore;
}
