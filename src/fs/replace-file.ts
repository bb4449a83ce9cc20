import { closeSync, fsyncSync, lstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { syncDirectory } from './sync-directory';

let sequence = 0;

/** Writes all of `bytes` at the descriptor's position (writeSync may write less than asked). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
}

/** The temp file replaceFile() writes beside `file`: `.<name>.<pid>.<n>.tmp`. */
export function tempFileFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${sequence++}.tmp`);
}

/** The names tempFileFor() gives beside `file`: what a process that died mid-write leaves behind. */
export function tempFilePattern(file: string): RegExp {
  const escaped = basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${escaped}\\.\\d+\\.\\d+\\.tmp$`);
}

/**
 * Replaces `file` with `content` so that a reader (or a process restarted after a crash) sees
 * either the old content or the new one, never a torn or empty file: the content goes to a temp
 * file in the same directory (same filesystem, so the rename is atomic), is fsynced, renamed over
 * the file, and the directory is fsynced so the rename itself survives a power loss. Throws the
 * filesystem's error, with the temp file removed. Never replaces what is not a file (a symbolic
 * link is replaced, as a rename does): run as root, a rollout whose state file was /dev/zero
 * renamed its state over the device.
 */
export function replaceFile(file: string, content: string | Uint8Array): void {
  const found = lstatSync(file, { throwIfNoEntry: false });
  if (found !== undefined && !found.isFile() && !found.isSymbolicLink())
    throw Object.assign(
      new Error(`${file} is not a regular file (a device, a FIFO, a socket or a folder): not replaced`),
      { code: 'EFTYPE' },
    );
  const temp = tempFileFor(file);
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  try {
    const fd = openSync(temp, 'wx', 0o644);
    try {
      writeAll(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // The temp file was never created or is already renamed: nothing to clean.
    }
    throw error;
  }
  syncDirectory(dirname(file));
}
