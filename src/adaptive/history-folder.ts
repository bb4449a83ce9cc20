import { dirname, resolve } from 'node:path';
import { makeFolder } from '../fs/make-folder';
import { show } from '../error-message';

/**
 * Creates the folder a history file goes in (`data/events.jsonl` in a fresh project), before any
 * breaker is made; a folder that cannot be made is an error naming the option and the folder.
 */
export function ensureHistoryFolder(option: string, path: unknown): void {
  if (typeof path !== 'string' || path.length === 0)
    throw new TypeError(`breakwater/adaptive: option ${option} must be a file path, got ${show(path)}`);
  const folder = dirname(resolve(path));
  try {
    makeFolder(folder);
  } catch (error) {
    throw new Error(
      `breakwater/adaptive: option ${option}: cannot create the folder ${folder} for ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}
