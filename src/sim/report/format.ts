/** Virtual time as m:ss (rounded to the second), e.g. 73070 -> "1:13". */
export function clockTime(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** The change of a higher-is-better value against a baseline in %, signed; '' when the baseline is 0. */
export function percentChange(value: number, baseline: number): string {
  if (baseline === 0) return '';
  const change = ((value - baseline) / Math.abs(baseline)) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(1)}%`;
}

/** A plain-text table: the first `leftColumns` columns aligned left, the others right. */
export function textTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly string[]>,
  leftColumns: number,
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
