import { readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { ONE_STRING_BYTES, unreadableFile } from '../fs/readable-file';
import { dirname, join } from 'node:path';
import { RolloutStateError } from './errors/RolloutStateError';
import { replaceFile, tempFilePattern } from '../fs/replace-file';

/** Replaces the state file with `text`, atomically (see replaceFile). */
export function writeAtomically(file: string, text: string): void {
  try {
    replaceFile(file, text);
  } catch (error) {
    throw new RolloutStateError(
      file,
      `breakwater/rollout: cannot write state file ${file}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The file's text, or undefined when it does not exist (a first start). */
export function readIfExists(file: string): string | undefined {
  const unreadable = unreadableFile(file, ONE_STRING_BYTES);
  if (unreadable !== undefined)
    throw new RolloutStateError(file, `breakwater/rollout: state file ${file} ${unreadable}`);
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
  const pattern = tempFilePattern(file);
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
