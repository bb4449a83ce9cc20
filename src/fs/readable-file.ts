import { statSync } from 'node:fs';

/**
 * Why `path` cannot be read whole as a file, or undefined when it can (and when it does not exist,
 * or cannot be looked at: the read itself then says so). A FIFO, a device such as /dev/zero or a
 * socket is refused: a read of it blocks for ever or never ends (Predictor.load('/dev/zero') grew
 * to 2.2 GiB in 14 s). So is a file over `maxBytes`, which a reader that holds the whole file in
 * memory (or in one string) cannot take.
 */
export function unreadableFile(path: string, maxBytes = Number.POSITIVE_INFINITY): string | undefined {
  let found;
  try {
    found = statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
  if (found === undefined || found.isDirectory()) return undefined;
  if (!found.isFile()) return 'is not a regular file (a FIFO, a device or a socket: reading it may never end)';
  if (found.size > maxBytes) return `is ${found.size} bytes, more than the ${maxBytes} this reads at most`;
  return undefined;
}

/** The most bytes a file read into one string may hold: V8's longest string, in UTF-16 units (Node 20). */
export const ONE_STRING_BYTES = 0x1fffffe8;
