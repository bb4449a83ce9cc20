import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dashboardCommand } from './dashboard';
import type { CliIo } from './io';
import { SIMULATE_USAGE, SIMULATE_USAGE_LINE, simulateCommand } from './simulate';
import { trainCommand } from './train';

export type { CliIo } from './io';
export { UsageError } from './io';
export { parseSimulateArgs, type SimulateArgs } from './simulate';

/** The commands, for --help and for an unknown command. */
const COMMANDS = ['simulate', 'dashboard', 'train'] as const;

const USAGE = `usage: breakwater --version
       breakwater dashboard (--host NAME | --history <events.jsonl|events.duckdb>) [--port N] [--bind ADDRESS]   (breakwater dashboard --help)
       breakwater train --from <simulator|events.jsonl|events.duckdb> --out model.onnx   (breakwater train --help)
       ${SIMULATE_USAGE_LINE}

${SIMULATE_USAGE}`;

/**
 * The `breakwater` command line, in-process: `main(['simulate', '--quick'], io)`. Resolves to the
 * exit code: 0 done, 1 a regression under --ci, 2 a usage or input error.
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...given] = argv;
  const rest = splitInlineValues(given);
  if (
    command === undefined ||
    command === '--help' ||
    command === '-h' ||
    command === 'help' ||
    (command === 'simulate' && rest.includes('--help'))
  ) {
    io.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    io.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (command === 'dashboard') return dashboardCommand(rest, io);
  if (command === 'train') return trainCommand(rest, io);
  if (command === 'simulate') return simulateCommand(rest, io, ['breakwater', ...argv].join(' '));
  io.stderr.write(
    `breakwater: unknown command ${JSON.stringify(command)} (known: ${COMMANDS.join(', ')})\nRun \`breakwater --help\` for the commands.\n`,
  );
  return 2;
}

/** `--flag=value` as `--flag value`, so every command's parser takes both forms. */
function splitInlineValues(argv: readonly string[]): string[] {
  return argv.flatMap((arg) =>
    arg.startsWith('--') && arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg],
  );
}

/** The installed package's version (src/cli/ and dist/cli/ both sit two folders below package.json). */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}
