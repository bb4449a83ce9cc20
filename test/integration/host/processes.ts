import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onTestFinished } from 'vitest';

/** The built package: child processes load it as users do. */
export const ENTRY = resolve(__dirname, '../../../dist/index.js');

/** A fresh folder for host arena files, in shared memory where the host has it; removed when the test finishes. */
export function arenaFolder(): string {
  const made = mkdtempSync(join(process.platform === 'linux' ? '/dev/shm' : tmpdir(), 'breakwater-test-'));
  onTestFinished(() => rmSync(made, { recursive: true, force: true }));
  return made;
}

/** Runs `script` in a new Node process (argv after it: `args`) and returns what it printed. */
export function runNode(script: string, args: string[] = [], env: NodeJS.ProcessEnv = process.env): string {
  // The timeout only guards against a hang; nothing here measures time.
  const child = spawnSync(process.execPath, ['-e', script, '--', ...args], { encoding: 'utf8', timeout: 60_000, env });
  if (child.status !== 0) throw new Error(`child exited ${child.status ?? child.signal}: ${child.stderr}`);
  return child.stdout;
}

/** A child process: `printed` settles on its first output, `done` with all of it when it exits 0. */
export interface StartedNode {
  readonly done: Promise<string>;
  readonly printed: Promise<void>;
  readonly pid: number;
  kill(): void;
}

/** Starts `script` in a new Node process. */
export function startNode(script: string, args: string[] = []): StartedNode {
  const child = spawn(process.execPath, ['-e', script, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let printedNow: () => void = () => {};
  const printed = new Promise<void>((resolvePrinted) => (printedNow = resolvePrinted));
  child.stdout.on('data', (chunk) => {
    out += chunk;
    printedNow();
  });
  child.stderr.on('data', (chunk) => (err += chunk));
  const done = new Promise<string>((resolveDone, reject) =>
    child.on('exit', (code, signal) =>
      code === 0 ? resolveDone(out) : reject(new Error(`child exited ${code ?? signal}: ${err}`)),
    ),
  );
  done.catch(() => printedNow()); // a child that dies silent settles `printed` too
  return { done, printed, pid: child.pid!, kill: () => child.kill('SIGKILL') };
}
