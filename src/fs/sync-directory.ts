import { closeSync, fsyncSync, openSync } from 'node:fs';

/** Makes a rename in `directory` durable. Some filesystems refuse to fsync a directory; the rename stands anyway. */
export function syncDirectory(directory: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(directory, 'r');
    fsyncSync(fd);
  } catch {
    // EISDIR/EINVAL/EPERM where directories can't be fsynced: durability is the OS's best.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
