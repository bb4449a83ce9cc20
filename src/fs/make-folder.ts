import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * `mkdir -p`: makes `folder` and its missing parents, one mkdir each from the top. Not
 * mkdirSync(folder, { recursive: true }): on Node 20 that loops forever where a parent exists but
 * cannot hold the child (a path under /proc answers ENOENT), where this throws the ENOENT.
 */
export function makeFolder(folder: string): void {
  const found = statSync(folder, { throwIfNoEntry: false });
  if (found?.isDirectory()) return;
  if (found !== undefined)
    // What mkdir itself answers for a file in the way.
    throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${folder}'`), { code: 'EEXIST' });
  const parent = dirname(folder);
  if (parent !== folder) makeFolder(parent);
  try {
    mkdirSync(folder);
  } catch (error) {
    // Made by another process meanwhile: what was asked for exists, if it is a folder.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(folder).isDirectory()) throw error;
  }
}
