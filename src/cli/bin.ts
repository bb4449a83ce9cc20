#!/usr/bin/env node
import { main } from './index';
import { unprefixed } from './io';

// The `breakwater` executable: the CLI with the process's streams; its answer is the exit code.
// An unexpected error is one line (its message, prefixed once), not a stack trace.
main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: process.stdout.isTTY === true,
  cwd: process.cwd(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = unprefixed(error).split('\n')[0];
    process.stderr.write(`breakwater: ${message}\n`);
    process.exitCode = 2;
  },
);
