import { closeSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { messageOf } from '../error-message';
import { HistoryFileError } from '../adaptive/errors/HistoryFileError';
import { makeFolder } from '../fs/make-folder';
import { tempFileFor } from '../fs/replace-file';

/** Where the CLI writes and whether it may draw a progress bar. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Whether stdout is a terminal (a progress bar instead of plain lines). */
  isTTY?: boolean;
  /** Relative paths resolve against it. Default process.cwd(). */
  cwd?: string;
}

/** A mistake on the command line: exit code 2, with the message and a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An error a command reports as bad input (exit code 2, its message only): a flag, a value or a file at fault. */
export function isInputError(error: unknown): error is Error {
  return (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof HistoryFileError
  );
}

/** An error's message without the `breakwater:` or `breakwater/<entry>:` prefix (the CLI adds its own). */
export function unprefixed(error: unknown): string {
  return messageOf(error).replace(/^breakwater(\/[a-z]+)?:\s*/, '');
}

/**
 * `folder` (shown as `shownAs`) as one this process can write, made when missing: checked before a
 * run that may take minutes, so a bad `flag` fails at once and not after the work. Only a write
 * proves it (permissions, read-only mounts, /proc): a probe file, removed.
 */
export function checkWritableFolder(flag: string, folder: string, shownAs: string): void {
  try {
    makeFolder(folder);
    const probe = tempFileFor(join(folder, 'write-probe'));
    closeSync(openSync(probe, 'wx'));
    unlinkSync(probe);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // makeFolder's EEXIST: a file where the folder should be.
    if (code === 'EEXIST') throw new UsageError(`${flag}: ${shownAs} is a file, not a folder`);
    throw new UsageError(`${flag}: cannot write to ${shownAs} (${code ?? (error as Error).message})`);
  }
}
