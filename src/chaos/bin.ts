#!/usr/bin/env node
import { main } from '../cli';

// The `breakwater` executable: the CLI with the process's streams; its answer is the exit code.
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, isTTY: process.stdout.isTTY === true, cwd: process.cwd() }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`breakwater: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
