import { HistoryFileError } from './errors/HistoryFileError';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { unreadableFile } from '../fs/readable-file';
import type { TrainingSet } from './dataset';
import type { BreakerEvent } from '../registry/event';
import { validateFeatureList, type FeatureList } from '../features/feature-list';
import { show } from '../error-message';

/** What a feature extractor sees: one breaker's events up to and including `now`, oldest first. */
export interface HistoryWindow {
  readonly breaker: string;
  readonly history: readonly BreakerEvent[];
  readonly now: BreakerEvent;
  /** `now`'s timestamp in ms. */
  readonly at: number;
}

export interface EventHistoryOptions {
  /** H: a window is positive when the failure rate crosses the trip threshold (or the breaker trips) within H seconds. */
  readonly horizonSeconds: number;
  /** The span of the long failure-rate average, in seconds. Default 60. */
  readonly longSpanSeconds?: number;
  /** Your own features: extract must return one value per feature of featureList. Default: HISTORY_FEATURES. */
  readonly featureList?: FeatureList;
  readonly extract?: (window: HistoryWindow) => ArrayLike<number>;
}

/** The features this loader derives from the event history by default. */
export const HISTORY_FEATURES: FeatureList = {
  name: 'breakwater.history',
  version: 1,
  features: [
    'failure_rate',
    'failure_rate_to_threshold',
    'failure_rate_slope_per_s',
    'failure_rate_long',
    'slow_call_rate',
    'timeout_rate',
    'rejection_rate',
    'latency_p50_to_baseline',
    'latency_p99_to_baseline',
    'latency_p99_slope_per_s',
    'call_rate_change',
    'log_window_calls',
    'seconds_since_transition',
  ],
};

/** Reads a JSONL event-history file and builds labelled windows from it (see trainingSetFromEvents). */
export async function loadEventHistory(path: string, options: EventHistoryOptions): Promise<TrainingSet> {
  return trainingSetFromEvents(await readEventHistory(path), options, path);
}

/** How {@link readEventHistory} reads a file. */
export interface ReadEventHistoryOptions {
  /**
   * Given, a last line that is not JSON and has no newline (what a writer killed mid-append
   * leaves) is skipped, and this gets a message naming the file and the line; a bad line
   * anywhere else is still refused. Without it, such a line is refused too.
   */
  readonly onTornLastLine?: (message: string) => void;
}

/** The longest line an event history may hold: an event is a few hundred bytes. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Whether `path` is a DuckDB database file: its header block holds the magic "DUCK" at byte 8. */
function isDuckDbFile(path: string): boolean {
  const start = Buffer.alloc(12);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return readSync(fd, start, 0, 12, 0) === 12 && start.toString('latin1', 8, 12) === 'DUCK';
  } catch {
    return false; // missing or a folder: the reading below names it
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The events of a JSONL event-history file, checked line by line (a bad line is named). */
export async function readEventHistory(path: string, options: ReadEventHistoryOptions = {}): Promise<BreakerEvent[]> {
  const unreadable = unreadableFile(path);
  if (unreadable !== undefined)
    throw new HistoryFileError(path, `breakwater/adaptive: event history ${path} ${unreadable}`);
  if (isDuckDbFile(path))
    throw new HistoryFileError(
      path,
      `breakwater/adaptive: event history ${path} is a DuckDB database, not JSON lines: this reads the JSONL sink's files; \`breakwater train --from\` and \`breakwater dashboard --history\` read both`,
    );
  const events: BreakerEvent[] = [];
  const input = createReadStream(path);
  let endsWithNewline = true;
  let newlines = 0;
  let lineBytes = 0; // of the line under way
  input.on('data', (data) => {
    const chunk = data as Buffer; // no encoding set: chunks are Buffers
    endsWithNewline = chunk.at(-1) === 0x0a;
    const last = chunk.lastIndexOf(0x0a);
    if (last < 0) lineBytes += chunk.length;
    else {
      for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) newlines++;
      lineBytes = chunk.length - last - 1;
    }
    // Refused here, not by readline: its line buffer grown past V8's longest string throws in
    // its stream handler, out of reach of any catch, and the process died.
    if (lineBytes > MAX_LINE_BYTES)
      input.destroy(
        new HistoryFileError(
          path,
          `breakwater/adaptive: ${path} line ${newlines + 1} is longer than ${MAX_LINE_BYTES} bytes: not an event history`,
        ),
      );
  });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  // A line that is not JSON is refused once another line follows it, or at the end unless it is a torn last line.
  let unparsed: SyntaxError | undefined;
  try {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      if (unparsed !== undefined) throw unparsed;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (error) {
        unparsed = new SyntaxError(
          `breakwater/adaptive: ${path} line ${lineNumber} is not JSON: ${(error as Error).message}`,
        );
        continue;
      }
      events.push(checkEvent(parsed, `${path} line ${lineNumber}`));
    }
  } catch (error) {
    if (error instanceof HistoryFileError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new HistoryFileError(path, `breakwater/adaptive: event history ${path}: no such file`);
    if (code === 'EISDIR')
      throw new HistoryFileError(
        path,
        `breakwater/adaptive: event history ${path} is a folder; name a JSONL or .duckdb event history file`,
      );
    if (typeof code === 'string' && (error as NodeJS.ErrnoException).syscall !== undefined)
      throw new HistoryFileError(path, `breakwater/adaptive: event history ${path} cannot be read (${code})`);
    throw error;
  }
  if (unparsed !== undefined) {
    if (endsWithNewline || options.onTornLastLine === undefined) throw unparsed;
    options.onTornLastLine(
      `breakwater/adaptive: ${path} line ${lineNumber} skipped: the last line is cut short (no newline ends it, as a writer killed mid-append leaves it)`,
    );
  }
  return events;
}

/**
 * Labelled windows from events (the event-history schema of src/observe/event.ts: rates are
 * fractions, thresholds.failureRateThreshold a percentage, latencies ms). Every periodic window
 * summary (event_type 'window') of a CLOSED breaker whose failure rate is below its trip threshold
 * becomes a row, labelled 1 when within the next H seconds any event of that breaker shows the
 * failure rate at or above the threshold or the breaker open, else 0. Windows less than H before
 * the breaker's last event are left out when negative, since their future is not known.
 */
export function trainingSetFromEvents(
  events: readonly BreakerEvent[],
  options: EventHistoryOptions,
  source = 'events',
): TrainingSet {
  const { horizonSeconds } = options;
  if (typeof horizonSeconds !== 'number' || !(horizonSeconds > 0))
    throw new RangeError(
      `breakwater/adaptive: option horizonSeconds must be a positive number of seconds, got ${String(horizonSeconds)}`,
    );
  const longSpan = options.longSpanSeconds ?? 60;
  if (typeof longSpan !== 'number' || !(longSpan > 0))
    throw new RangeError(
      `breakwater/adaptive: option longSpanSeconds must be a positive number of seconds, got ${String(longSpan)}`,
    );
  if ((options.extract === undefined) !== (options.featureList === undefined))
    throw new TypeError('breakwater/adaptive: options.featureList and options.extract go together');
  const featureList = options.featureList
    ? validateFeatureList(options.featureList, 'options.featureList')
    : HISTORY_FEATURES;
  const width = featureList.features.length;

  const byBreaker = new Map<string, Array<{ event: BreakerEvent; at: number }>>();
  events.forEach((raw, index) => {
    const event = checkEvent(raw, `${source}[${index}]`);
    const list = byBreaker.get(event.breaker) ?? [];
    list.push({ event, at: timestampMs(event.timestamp) });
    byBreaker.set(event.breaker, list);
  });
  const rows: number[] = [];
  const labels: number[] = [];
  for (const [breaker, list] of byBreaker) {
    list.sort((a, b) => a.at - b.at);
    const last = list[list.length - 1].at;
    const history: BreakerEvent[] = [];
    const tracker = new HistoryFeatures(longSpan * 1000);
    list.forEach(({ event, at }, i) => {
      history.push(event);
      const rate = event.rates?.failureRate;
      if (event.event_type !== 'window' || typeof rate !== 'number') {
        tracker.note(event, at);
        return;
      }
      // The tracker sees every window (open ones too): its baselines and slopes need them.
      const tracked = options.extract ? undefined : tracker.observe(event, at);
      if (event.state !== 'closed' || rate >= rateThreshold(event)) return;
      const horizonEnd = at + horizonSeconds * 1000;
      let positive = false;
      for (let j = i + 1; j < list.length && list[j].at <= horizonEnd && !positive; j++) {
        const later = list[j].event;
        positive = (later.rates?.failureRate ?? 0) >= rateThreshold(later) || later.state === 'open';
      }
      if (!positive && last < horizonEnd) return;
      const values = tracked ?? options.extract?.({ breaker, history, now: event, at }) ?? [];
      if (values.length !== width)
        throw new RangeError(
          `breakwater/adaptive: extract returned ${values.length} values for ${breaker} at ${at}, expected ${width} (${featureList.name}@${featureList.version})`,
        );
      for (let f = 0; f < width; f++) rows.push(values[f]);
      labels.push(positive ? 1 : 0);
    });
  }
  return { featureList, features: Float32Array.from(rows), labels: Uint8Array.from(labels), rowCount: labels.length };
}

/** The failure rate (a fraction) at which the breaker trips; Infinity when it has no rate rule. */
function rateThreshold(event: BreakerEvent): number {
  const percent = event.thresholds?.failureRateThreshold;
  return typeof percent === 'number' && percent > 0 ? percent / 100 : Number.POSITIVE_INFINITY;
}

/** ms since the epoch; files written elsewhere may carry ISO-8601 strings instead. */
function timestampMs(timestamp: unknown): number {
  return typeof timestamp === 'number' ? timestamp : typeof timestamp === 'string' ? Date.parse(timestamp) : Number.NaN;
}

function checkEvent(value: unknown, where: string): BreakerEvent {
  if (typeof value !== 'object' || value === null)
    throw new TypeError(`breakwater/adaptive: ${where}: an event must be a JSON object`);
  const event = value as BreakerEvent;
  if (!Number.isFinite(timestampMs(event.timestamp)))
    throw new TypeError(
      `breakwater/adaptive: ${where}: timestamp must be ms since the epoch or an ISO-8601 string, got ${show(event.timestamp)}`,
    );
  if (typeof event.breaker !== 'string' || event.breaker === '')
    throw new TypeError(`breakwater/adaptive: ${where}: breaker must be a non-empty string`);
  if (typeof event.event_type !== 'string')
    throw new TypeError(`breakwater/adaptive: ${where}: event_type must be a string`);
  if (typeof event.state !== 'string') throw new TypeError(`breakwater/adaptive: ${where}: state must be a string`);
  return event;
}

const num = (value: number | null | undefined): number => (typeof value === 'number' ? value : Number.NaN);

/**
 * HISTORY_FEATURES of one breaker, fed its events in time order: running state (baselines, the
 * last transition, the long-span rates) keeps every window O(1) amortised on long histories.
 * NaN where the history cannot tell yet; the trainer learns where missing values go.
 */
class HistoryFeatures {
  private lastTransitionAt = Number.NaN;
  private previous: { at: number; rate: number; p99: number; calls: number } | undefined;
  private readonly recent: Array<{ at: number; rate: number }> = [];
  private p50 = { sum: 0, count: 0 };
  private p99 = { sum: 0, count: 0 };

  constructor(private readonly longSpanMs: number) {}

  /** Takes note of an event that is not a window summary (a transition, a tuning change, ...). */
  note(event: BreakerEvent, at: number): void {
    if (event.event_type === 'transition') this.lastTransitionAt = at;
  }

  /** The features at a window summary, computed before it joins the running state. */
  observe(event: BreakerEvent, at: number): number[] {
    this.note(event, at);
    const rate = num(event.rates?.failureRate);
    const threshold = rateThreshold(event);
    const p50 = num(event.latency?.p50);
    const p99 = num(event.latency?.p99);
    const calls = num(event.counts?.calls);
    const previous = this.previous;
    const seconds = previous ? (at - previous.at) / 1000 : Number.NaN;
    const p50Baseline = this.p50.count > 0 ? this.p50.sum / this.p50.count : Number.NaN;
    const p99Baseline = this.p99.count > 0 ? this.p99.sum / this.p99.count : Number.NaN;
    this.recent.push({ at, rate });
    while (this.recent[0].at < at - this.longSpanMs) this.recent.shift();
    const features = [
      rate,
      Number.isFinite(threshold) ? rate / threshold : Number.NaN,
      previous ? (rate - previous.rate) / seconds : Number.NaN,
      this.recent.reduce((sum, r) => sum + r.rate, 0) / this.recent.length,
      num(event.rates?.slowCallRate),
      num(event.counts?.timeouts) / calls,
      num(event.rates?.rejectionRate),
      p50 / p50Baseline,
      p99 / p99Baseline,
      previous ? (p99 - previous.p99) / p99Baseline / seconds : Number.NaN,
      previous && previous.calls > 0 ? calls / previous.calls - 1 : Number.NaN,
      Math.log1p(calls),
      (at - this.lastTransitionAt) / 1000,
    ];
    if (!Number.isNaN(p50)) this.p50 = { sum: this.p50.sum + p50, count: this.p50.count + 1 };
    if (!Number.isNaN(p99)) this.p99 = { sum: this.p99.sum + p99, count: this.p99.count + 1 };
    this.previous = { at, rate, p99, calls };
    return features;
  }
}
