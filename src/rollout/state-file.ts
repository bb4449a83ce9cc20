import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RolloutStateError } from './errors/RolloutStateError';
import { syncDirectory } from '../fs/sync-directory';

let sequence = 0;

/** The temp files writeAtomically() uses beside `file`: `.<name>.<pid>.<n>.tmp`. */
function tempPattern(file: string): RegExp {
  const escaped = basename(file).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^\\.${escaped}\\.\\d+\\.\\d+\\.tmp$`);
}

/**
 * Replaces `file` with `text` so that a reader (or a process restarted after a crash) sees either
 * the old content or the new one, never a torn or empty file: the text goes to a temp file in the
 * same directory (same filesystem, so the rename is atomic), is fsynced, renamed over the file, and
 * the directory is fsynced so the rename itself survives a power loss.
 */
export function writeAtomically(file: string, text: string): void {
  const directory = dirname(file);
  const temp = join(directory, `.${basename(file)}.${process.pid}.${sequence++}.tmp`);
  const bytes = Buffer.from(text, 'utf8');
  try {
    const fd = openSync(temp, 'wx', 0o644);
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
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
    throw new RolloutStateError(
      file,
      `breakwater/rollout: cannot write state file ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  syncDirectory(directory);
}

/** The file's text, or undefined when it does not exist (a first start). */
export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RolloutStateError(
      file,
      `breakwater/rollout: cannot read state file ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/**
 * Removes temp files a crashed writer left beside `file` (only names writeAtomically() makes).
 * Returns how many it removed.
 */
export function removeStaleTempFiles(file: string): number {
  const pattern = tempPattern(file);
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dirname(file));
  } catch {
    return 0; // no directory yet: nothing stale
  }
  for (const name of names) {
    if (!pattern.test(name)) continue;
    try {
      unlinkSync(join(dirname(file), name));
      removed++;
    } catch {
      // Another process removed it first.
    }
  }
  return removed;
}

/** Moves a corrupt state file aside (to `<file>.corrupt`) so it is kept for inspection; returns the new path. */
export function setAside(file: string): string | undefined {
  const aside = `${file}.corrupt`;
  try {
    renameSync(file, aside);
    return aside;
  } catch {
    return undefined;
  }
}
