/**
 * What the end of an append-only JSON Lines file shows, before a writer appends to it:
 * - `whole`: empty, or its last line is one of our records and ends with a newline;
 * - `unterminated`: its last line is a complete record of ours that lost only its newline;
 * - `torn`: a partial object after a complete record of ours (a writer died mid-append): cut it at `keepBytes`;
 * - `foreign`: not provably ours; `problem` says why. Nothing may be cut or appended then.
 */
export type TailVerdict =
  | { kind: 'whole' }
  | { kind: 'unterminated' }
  | { kind: 'torn'; keepBytes: number }
  | { kind: 'foreign'; problem: string };

const NEWLINE = 0x0a;

/**
 * Reads the verdict from the file's last bytes. `tail` is the file's end; `offset` is where in the
 * file it starts (0 when it is the whole file), so `keepBytes` is a file size. A line longer than
 * the tail cannot be judged and counts as foreign.
 */
export function inspectTail(tail: Buffer, offset: number, isRecord: (line: string) => boolean): TailVerdict {
  if (tail.length === 0) return { kind: 'whole' };
  const endsLine = tail[tail.length - 1] === NEWLINE;
  const fragmentStart = endsLine ? tail.length : tail.lastIndexOf(NEWLINE) + 1;
  const fragment = tail.toString('utf8', fragmentStart).trim();
  // The last complete non-blank line before the fragment.
  let lineEnd = fragmentStart - 1;
  while (lineEnd > 0 && tail[lineEnd - 1] === NEWLINE) lineEnd--;
  // (Buffer.lastIndexOf counts a negative offset from the end, hence the guard.)
  const lineStart = lineEnd <= 0 ? 0 : tail.lastIndexOf(NEWLINE, lineEnd - 1) + 1;
  const judgeable = lineEnd >= 0 && (lineStart > 0 || offset === 0);
  const lastLine = judgeable ? tail.toString('utf8', lineStart, lineEnd) : undefined;
  const lastLineIsOurs = lastLine !== undefined && lastLine.trim().length > 0 && isRecord(lastLine);
  if (endsLine)
    return lastLineIsOurs
      ? { kind: 'whole' }
      : {
          kind: 'foreign',
          problem:
            lastLine === undefined ? 'its last line is too long to be a record' : 'its last line is not a record',
        };
  if (isRecord(fragment)) return { kind: 'unterminated' };
  if (!lastLineIsOurs)
    return {
      kind: 'foreign',
      problem:
        lastLine === undefined ? 'it does not end with a newline after a record' : 'its last line is not a record',
    };
  if (!fragment.startsWith('{'))
    return { kind: 'foreign', problem: 'it ends in text that is not the start of a record' };
  return { kind: 'torn', keepBytes: offset + fragmentStart };
}
