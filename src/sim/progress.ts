/**
 * Progress of a suite: a redrawn bar on a terminal, or one plain line per run (CI logs, pipes).
 * Returns the onProgress callback of runSuite().
 */
export function progressReporter(
  out: { write(text: string): unknown },
  terminal: boolean,
): (done: number, scenario: string, policy: string) => void {
  let lastRun = '';
  let lastDrawn = -1;
  return (done, scenario, policy) => {
    const run = scenario === '' ? '' : `${scenario} / ${policy}`;
    if (!terminal) {
      if (run !== '' && run !== lastRun) out.write(`simulating ${run} (${Math.round(done * 100)}% of the suite)\n`);
      lastRun = run;
      return;
    }
    const percent = Math.floor(done * 100);
    if (percent === lastDrawn && run === lastRun) return;
    lastDrawn = percent;
    lastRun = run;
    const width = 30;
    const filled = Math.round(done * width);
    out.write(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent).padStart(3)}% ${run.padEnd(32)}`,
    );
  };
}
