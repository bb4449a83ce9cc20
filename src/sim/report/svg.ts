import type { SuiteResult } from '../suite';

const WIDTH = 820;
const LEFT = 70;
const PLOT = WIDTH - LEFT - 20;
const PANEL = 120;
const LINE_HEIGHT = 80;
const STRIP = 12;
/** The colours of a breaker's states, for panels whose strip is a circuit. */
export const CIRCUIT_COLOURS: Readonly<Record<string, string>> = {
  closed: '#3a9d5d',
  'half-open': '#e0a526',
  open: '#d64541',
  'forced-open': '#8e2c2a',
  disabled: '#999999',
};

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const round = (n: number) => Math.round(n * 10) / 10;

/** One panel of a scenario chart: a success-rate line over time, shaded incidents, and a state strip below. */
export interface ChartPanel {
  readonly label: string;
  readonly durationMs: number;
  /** Shaded red from start to end, then amber to healedAt (a warm-up) when later. */
  readonly incidents: ReadonlyArray<{
    readonly start: number;
    readonly end: number;
    readonly healedAt?: number | null;
  }>;
  readonly timeline: { readonly bucketMs: number; readonly successRate: ReadonlyArray<number | null> };
  /** State changes for the strip (the first at 0); empty draws a grey strip saying `noStrip`. */
  readonly strip: ReadonlyArray<{ readonly at: number; readonly state: string }>;
  readonly colours: Readonly<Record<string, string>>;
  readonly noStrip: string;
}

/**
 * One scenario: per policy, the client success rate over time (the incidents shaded) and, below
 * it, the watched breaker's state (green closed, amber half-open, red open).
 */
export function scenarioChart(suite: SuiteResult, scenario: string): string {
  const runs = suite.runs.filter((r) => r.scenario === scenario);
  const panels = runs.map((run): ChartPanel => ({
    label: run.policy,
    durationMs: run.durationMs,
    incidents: run.incidents,
    timeline: run.timeline,
    strip: run.states,
    colours: CIRCUIT_COLOURS,
    noStrip: 'no breaker',
  }));
  return panelChart(`${scenario}: client success rate and circuit state (seed ${suite.seed}, ${suite.size})`, panels);
}

/** A chart of panels one above the other, on a shared time axis. */
export function panelChart(title: string, panels: readonly ChartPanel[]): string {
  const height = 50 + panels.length * PANEL + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  panels.forEach((p, i) => parts.push(panel(p, 50 + i * PANEL)));
  const durationMin = (panels[0]?.durationMs ?? 0) / 60_000;
  parts.push(
    `<text x="${LEFT + PLOT / 2}" y="${height - 8}" text-anchor="middle">virtual time (${round(durationMin)} min)</text>`,
    '</svg>',
  );
  return parts.join('\n');
}

function panel(view: ChartPanel, top: number): string {
  const x = (ms: number) => round(LEFT + (ms / view.durationMs) * PLOT);
  const y = (rate: number) => round(top + LINE_HEIGHT - rate * LINE_HEIGHT);
  const parts: string[] = [`<text x="${LEFT}" y="${top - 5}" font-weight="bold">${escape(view.label)}</text>`];
  for (const incident of view.incidents) {
    const healed = incident.healedAt ?? view.durationMs;
    parts.push(
      `<rect x="${x(incident.start)}" y="${top}" width="${round(x(incident.end) - x(incident.start))}" height="${LINE_HEIGHT}" fill="#f3d0cf"/>`,
    );
    if (healed > incident.end)
      parts.push(
        `<rect x="${x(incident.end)}" y="${top}" width="${round(x(healed) - x(incident.end))}" height="${LINE_HEIGHT}" fill="#f8ead0"/>`,
      );
  }
  parts.push(
    `<rect x="${LEFT}" y="${top}" width="${PLOT}" height="${LINE_HEIGHT}" fill="none" stroke="#cccccc"/>`,
    `<text x="${LEFT - 4}" y="${top + 4}" text-anchor="end" fill="#666">100%</text>`,
    `<text x="${LEFT - 4}" y="${top + LINE_HEIGHT}" text-anchor="end" fill="#666">0%</text>`,
  );
  const step = view.timeline.bucketMs;
  let path = '';
  view.timeline.successRate.forEach((rate, i) => {
    if (rate === null) return;
    path += `${path === '' || view.timeline.successRate[i - 1] === null ? 'M' : 'L'}${x((i + 0.5) * step)},${y(rate)} `;
  });
  if (path !== '') parts.push(`<path d="${path.trim()}" fill="none" stroke="#1f5fa8" stroke-width="1.5"/>`);
  const stripTop = top + LINE_HEIGHT + 6;
  if (view.strip.length === 0) {
    parts.push(
      `<rect x="${LEFT}" y="${stripTop}" width="${PLOT}" height="${STRIP}" fill="#eeeeee"/>`,
      `<text x="${LEFT + 4}" y="${stripTop + 10}" fill="#666">${escape(view.noStrip)}</text>`,
    );
  } else {
    view.strip.forEach((s, i) => {
      const end = view.strip[i + 1]?.at ?? view.durationMs;
      if (end <= s.at) return;
      parts.push(
        `<rect x="${x(s.at)}" y="${stripTop}" width="${Math.max(0.5, round(x(end) - x(s.at)))}" height="${STRIP}" fill="${view.colours[s.state]}"><title>${escape(s.state)} from ${round(s.at / 1000)} s</title></rect>`,
      );
    });
  }
  return parts.join('\n');
}

/** Recovery time per scenario and policy as horizontal bars; a run that never recovered is drawn hatched to the axis end. */
export function recoveryChart(suite: SuiteResult): string {
  const scenarios = suite.scenarios.filter((s) =>
    suite.runs.some((r) => r.scenario === s.name && r.metrics.incidents > 0),
  );
  const bar = 14;
  const group = suite.policies.length * bar + 14;
  const height = 50 + scenarios.length * group + 30;
  const left = 200;
  const plot = WIDTH - left - 90;
  const times = suite.runs.map((r) => r.metrics.recoveryTimeMs ?? 0);
  const maxMs = Math.max(10_000, ...times);
  const colours = ['#888888', '#1f5fa8', '#3a9d5d', '#e0a526', '#8e44ad', '#d64541'];
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    '<defs><pattern id="never" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="3" height="6" fill="#d64541"/></pattern></defs>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">Recovery time per policy (seed ${suite.seed}, ${suite.size}); hatched = never recovered</text>`,
  ];
  scenarios.forEach((scenario, g) => {
    const top = 40 + g * group;
    parts.push(`<text x="10" y="${top + 12}" font-weight="bold">${escape(scenario.name)}</text>`);
    suite.policies.forEach((policy, p) => {
      const run = suite.runs.find((r) => r.scenario === scenario.name && r.policy === policy);
      if (run === undefined) return;
      const y = top + p * bar;
      const ms = run.metrics.recoveryTimeMs;
      const width = ms === null ? plot : Math.max(1, (ms / maxMs) * plot);
      parts.push(
        `<text x="${left - 8}" y="${y + bar - 3}" text-anchor="end" fill="#444">${escape(policy)}</text>`,
        `<rect x="${left}" y="${y}" width="${round(width)}" height="${bar - 3}" fill="${ms === null ? 'url(#never)' : colours[p % colours.length]}"/>`,
        `<text x="${round(left + width + 4)}" y="${y + bar - 4}">${ms === null ? 'never' : `${round(ms / 1000)} s`}</text>`,
      );
    });
  });
  parts.push(
    `<text x="${left + plot / 2}" y="${height - 8}" text-anchor="middle">seconds from the fault's end to the client success rate back at 95%</text>`,
    '</svg>',
  );
  return parts.join('\n');
}
