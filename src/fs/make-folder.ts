import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p`: makes `folder` and its missing parents, one mkdir each from the top. Not
 * mkdirSync(folder, { recursive: true }): on Node 20 that loops forever where a parent exists but
 * cannot hold the child (a path under /proc answers ENOENT), where this throws the ENOENT.
 */
export function makeFolder(folder: string): void {
  if (statSync(folder, { throwIfNoEntry: false }) !== undefined) return; // a file: the caller's write says so
  const parent = dirname(folder);
  if (parent !== folder) makeFolder(parent);
  try {
    mkdirSync(folder);
  } catch (error) {
    // Made by another process meanwhile: what was asked for exists.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
