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
  // In an object's field, not a closure's variable: the default capacity (2^53 - 1) is no small
  // integer, and V8 boxes such a variable anew on every change, twice a call; a field it updates in place.
  const slots = { free: capacity };

  const release = (): void => {
    slots.free++;
    if (waiters.length !== 0) (waiters.shift() as () => void)();
  };

  const take = (timeout?: number): Promise<Release> => {
    if (slots.free > 0) {
      slots.free--;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        slots.free--;
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
    if (slots.free < 1) return false;
    slots.free--;
    return true;
  };

  const semaphore = { take, release, test } as Semaphore;
  Object.defineProperty(semaphore, 'count', { get: () => slots.free, enumerable: true });
  return semaphore;
}
