// The project's rule "no file over 500 lines", checked on every tracked source, test, bench and
// script file: a file that grows past it fails `npm run lint` and names itself.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX_LINES = 500;
const SOURCE = /\.(ts|mts|cts|mjs|cjs|js|cc|cpp|h|hpp|py|sh)$/;

const tracked = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' })
  .split('\0')
  .filter((f) => SOURCE.test(f));
const tooLong = [];
for (const file of tracked) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // deleted in the work tree, not yet in the index
  }
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_LINES) tooLong.push(`${file}: ${lines} lines`);
}
if (tooLong.length > 0) {
  console.error(`files over ${MAX_LINES} lines (split them by concept):\n  ${tooLong.join('\n  ')}`);
  process.exit(1);
}
