import { randomInt } from 'node:crypto';
import { CircuitBreaker, type ReconfigurableOptions } from '../breaker';
import { realTimers, type ManualClock } from '../clock';
import { Emitter, type Disposer } from '../events';
import { messageOf, show } from '../error-message';
import type { BreakerEvent, BreakerEventType, EventSink } from './event';
import { EventLog, type EventDrops } from './event-log';
import { checkEventDetail } from './event-detail';
import type { RecentQuery } from './memory-ring';
import { WindowSummaries } from './window-summaries';
import { checkClockOption, resolveProfile, type CircuitBreakerOptions } from '../options';
import { joinTick, leaveTick, type Ticking } from '../tick';
import { ControlTasks } from './control-tasks';
import { HostArena, type HostArenaOptions } from '../core/host-arena';
import { hostBreaker, warnUnnamedEntries, type HostPlacement } from './host-breakers';
import { HostViews } from './host-views';
import { breakerKey, isBreakerKey, splitBreakerKey } from './breaker-key';
import { Entry, healthOf, historyEvent, quickHealth, type RegisteredBreaker } from './entry';
import { aggregateHealth, type BreakerHealth, type RegistryHealth } from './health';
import { integerOption, listHealth, type ListQuery } from './list';
import { knownOptions, optionsObject } from '../options-object';

export type { ListQuery } from './list';

/** The kinds the registry has factories for; any other non-empty string is a custom kind. */
export type { RegisteredBreaker } from './entry';

export type BreakerKind = 'worker' | 'endpoint' | 'hardware' | 'task' | (string & {});

export interface RegistryOptions {
  /** A ManualClock for deterministic tests and simulations; default real time. */
  clock?: ManualClock;
  /** How often the tick writes a 'window' summary of each busy breaker, in ms; 0 = never. Default 10000. */
  summaryEveryMs?: number;
  /** Events the in-memory history keeps. Default 10000. */
  ringSize?: number;
  /** Events waiting for the sinks before new ones are dropped (and counted). Default 100000. */
  maxPendingEvents?: number;
  /**
   * How long flush() and shutdown() wait for the sinks, in ms of the registry's clock: a sink still
   * busy then is named in a BREAKWATER_SINK_TIMEOUT warning and left behind. Default 2000.
   */
  sinkTimeoutMs?: number;
  /**
   * Breakers shared by every process of the host that opens the same name: they live in a
   * host-wide arena in shared memory (README "Many processes, many hosts"). Native core, POSIX.
   */
  host?: HostArenaOptions;
}

const DEFAULT_SUMMARY_MS = 10_000;

/**
 * Named breakers by kind (workers, endpoints, hardware classes, task types, or your own), with
 * per-kind configuration, health, an event history and sinks. All of it runs on the one shared,
 * unref'd tick, or, on a ManualClock, on a timer of that clock (so it moves with virtual time and
 * never with the wall clock); a breaker that was never called costs no core memory.
 */
export class Registry implements Ticking {
  private readonly byKey = new Map<string, Entry>();
  private readonly kindOptions = new Map<string, ReconfigurableOptions>();
  private readonly log: EventLog;
  private readonly summaries = new WindowSummaries();
  private readonly clock: ManualClock | undefined;
  /** The host-wide arena its breakers live in, when `host` was given. */
  readonly hostArena: HostArena | undefined;
  /** This registry's name among the holders of its host's control lease (holdsHostControl). */
  private readonly controlHolder = randomInt(1, 2 ** 31);
  /** Its views of the host's breakers, kept on the rules any process last configured. */
  private readonly hostViews: HostViews | undefined;
  private readonly summaryEveryMs: number;
  private readonly tasks = new ControlTasks();
  private lastSummaryAt: number;
  private readonly removals = new Emitter<{ removed: { kind: BreakerKind; name: string } }>();
  private ticking = false;
  private closed = false;
  private shuttingDown: Promise<void> | undefined;

  constructor(given?: RegistryOptions) {
    const options = knownOptions(given, 'breakwater: Registry options', {
      clock: true,
      summaryEveryMs: true,
      ringSize: true,
      maxPendingEvents: true,
      sinkTimeoutMs: true,
      host: true,
    });
    checkClockOption(options.clock);
    this.clock = options.clock;
    if (options.host !== undefined && options.clock !== undefined)
      throw new TypeError(
        "breakwater: a host registry's breakers run on the host's monotonic clock, which every process shares; `host` and `clock` cannot be combined",
      );
    this.hostArena = options.host === undefined ? undefined : HostArena.open(options.host);
    this.hostViews = this.hostArena === undefined ? undefined : new HostViews(this.hostArena);
    this.summaryEveryMs = integerOption('summaryEveryMs', options.summaryEveryMs, DEFAULT_SUMMARY_MS, 0, 2 ** 31 - 1);
    const maxPending = integerOption('maxPendingEvents', options.maxPendingEvents, 100_000, 1, 100_000_000);
    const sinkTimeoutMs = integerOption('sinkTimeoutMs', options.sinkTimeoutMs, 2000, 1, 2 ** 31 - 1);
    this.log = new EventLog(options.ringSize ?? 10_000, maxPending, sinkTimeoutMs, this.clock ?? realTimers);
    this.lastSummaryAt = this.now();
  }

  // --- breakers ------------------------------------------------------------------------------

  /**
   * The breaker of that kind and name, created on first request with the kind's configuration
   * under `options`. Later calls return the same breaker (their options are ignored: use
   * configure() to change a live one).
   */
  getOrCreate(kind: BreakerKind, name: string, options: CircuitBreakerOptions = {}): CircuitBreaker {
    return this.register(kind, name, options, false);
  }

  /** getOrCreate(), or, `adopting`, a host breaker another process made, with no options of this process to compare. */
  private register(kind: BreakerKind, name: string, options: CircuitBreakerOptions, adopting: boolean): CircuitBreaker {
    const key = breakerKey(kind, name);
    const existing = this.byKey.get(key);
    if (existing !== undefined) return existing.breaker;
    if (this.closed) throw new Error('breakwater: this registry was closed');
    optionsObject(options, `breakwater: options for ${kind} "${name}"`);
    if (options.clock !== undefined)
      throw new TypeError("breakwater: a registry breaker runs on the registry's clock; pass `clock` to the Registry");
    const merged = { ...this.kindOptions.get(kind), ...options, name: `${kind}/${name}` };
    let placement: HostPlacement | undefined;
    const breaker =
      this.hostArena === undefined
        ? new CircuitBreaker({ ...merged, clock: this.clock })
        : (placement = hostBreaker(this.hostArena, key, merged, adopting)).breaker;
    const entry = new Entry(this, kind, name, breaker, { ...options });
    breaker.observer = entry;
    this.byKey.set(key, entry);
    if (placement !== undefined) this.hostViews!.add(entry, placement);
    this.joinTick();
    return breaker;
  }

  /**
   * The registry's breaker for a worker: getOrCreate('worker', id). Named for what it returns, as
   * the other kinds' are; `create*` names only functions that always make something new.
   */
  workerBreaker(id: string, options?: CircuitBreakerOptions): CircuitBreaker {
    return this.getOrCreate('worker', id, options);
  }

  endpointBreaker(url: string, options?: CircuitBreakerOptions): CircuitBreaker {
    return this.getOrCreate('endpoint', url, options);
  }

  /** A breaker per hardware class (e.g. cpu, gpu, webgpu, webnn); the class is also a label. */
  hardwareBreaker(hardwareClass: string, given?: CircuitBreakerOptions): CircuitBreaker {
    const options = optionsObject(given, `breakwater: options for hardware ${show(hardwareClass)}`);
    return this.getOrCreate('hardware', hardwareClass, {
      ...options,
      labels: { hardware: hardwareClass, ...options.labels },
    });
  }

  taskTypeBreaker(taskType: string, options?: CircuitBreakerOptions): CircuitBreaker {
    return this.getOrCreate('task', taskType, options);
  }

  /**
   * @internal Whether this registry is its host's control registry (the one that syncs with a
   * cluster and moves the tuner's values), renewing the lease; false without a host arena. One
   * registry of the host at a time holds it, whatever the processes and registries.
   */
  holdsHostControl(staleMs: number): boolean {
    return this.hostArena?.holdControlLease(staleMs, this.controlHolder) ?? false;
  }

  /**
   * Registers every breaker the host arena names, made by any process (with the rules it was made
   * with): how a dashboard process shows a host's breakers. Returns how many it added.
   */
  adoptHostBreakers(): number {
    if (this.hostArena === undefined)
      throw new TypeError('breakwater: adoptHostBreakers() needs a registry with `host`');
    let added = 0;
    const unnamed: string[] = [];
    for (const key of this.hostArena.keys()) {
      if (this.byKey.has(key)) continue;
      // An entry written over by something else names no breaker: the others are still adopted.
      if (!isBreakerKey(key)) {
        unnamed.push(key);
        continue;
      }
      const { kind, name } = splitBreakerKey(key);
      this.register(kind, name, {}, true);
      added++;
    }
    if (unnamed.length > 0) warnUnnamedEntries(this.hostArena.path, unnamed);
    return added;
  }

  get(kind: BreakerKind, name: string): CircuitBreaker | undefined {
    return this.byKey.get(breakerKey(kind, name))?.breaker;
  }

  /**
   * Whether `breaker` is still the one registered under its kind and name: work that awaited (a
   * scoring round, a cluster sync) skips a breaker removed meanwhile, or removed and made again.
   */
  holds(kind: BreakerKind, name: string, breaker: CircuitBreaker): boolean {
    return this.byKey.get(breakerKey(kind, name))?.breaker === breaker;
  }

  /**
   * Calls `listener` when a breaker leaves the registry (remove(), or disposed directly): the early
   * warning and the tuner drop what they kept of it, so names that come and go leave nothing behind.
   */
  onRemoved(listener: (removed: { kind: BreakerKind; name: string }) => void): Disposer {
    return this.removals.on('removed', listener);
  }

  /** Disposes the breaker and forgets it; returns whether it was there. */
  remove(kind: BreakerKind, name: string): boolean {
    const entry = this.byKey.get(breakerKey(kind, name));
    if (entry === undefined) return false;
    entry.breaker.dispose(); // the entry, its observer, forgets it
    return true;
  }

  get size(): number {
    return this.byKey.size;
  }

  *entries(): IterableIterator<RegisteredBreaker> {
    yield* this.byKey.values();
  }

  /**
   * Sets the configuration of a kind: applied now to its breakers (over which their own creation
   * options still win) and to those created later.
   */
  configure(kind: BreakerKind, options: ReconfigurableOptions): void {
    breakerKey(kind, 'check');
    if (options === null || typeof options !== 'object')
      throw new TypeError(`breakwater: configure("${kind}", options) needs an object of options`);
    const merged = { ...this.kindOptions.get(kind), ...options };
    resolveProfile(merged); // names the bad option before anything changes
    this.kindOptions.set(kind, merged);
    for (const entry of this.byKey.values()) {
      if (entry.kind !== kind) continue;
      const ownKeys = new Set(Object.keys(entry.overrides));
      const changes: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(merged)) if (!ownKeys.has(key)) changes[key] = value;
      try {
        entry.tuningCause = { source: 'configure', reason: `configure("${kind}")` };
        entry.breaker.reconfigure(changes as ReconfigurableOptions);
      } catch (error) {
        entry.tuningCause = undefined;
        const why = messageOf(error);
        throw new RangeError(`breakwater: configure("${kind}") can't apply to ${kind} "${entry.name}": ${why}`);
      }
    }
  }

  /**
   * Changes one breaker's options on behalf of `source` (e.g. 'tuner'), recording why in the
   * tuning event.
   */
  reconfigure(
    kind: BreakerKind,
    name: string,
    changes: ReconfigurableOptions,
    cause: { source: string; reason: string },
  ): void {
    const entry = this.required(kind, name);
    entry.tuningCause = cause;
    try {
      entry.breaker.reconfigure(changes);
    } finally {
      entry.tuningCause = undefined;
    }
  }

  /** The configuration set for a kind with configure(). */
  kindConfiguration(kind: BreakerKind): Readonly<ReconfigurableOptions> {
    return { ...this.kindOptions.get(kind) };
  }

  // --- health --------------------------------------------------------------------------------

  breakerHealth(kind: BreakerKind, name: string): BreakerHealth | undefined {
    const entry = this.byKey.get(breakerKey(kind, name));
    return entry === undefined ? undefined : healthOf(entry);
  }

  /** Circuits by state, average and traffic-weighted health, overall and per kind. */
  health(): RegistryHealth {
    return aggregateHealth(this.byKey.values(), (entry) => ({ kind: entry.kind, ...quickHealth(entry) }));
  }

  /** Health rows filtered, sorted and paged (for dashboards over large registries). */
  list(query: ListQuery = {}): { total: number; items: BreakerHealth[] } {
    return listHealth(this.byKey.values(), healthOf, query);
  }

  reset(kind: BreakerKind, name: string): void {
    this.required(kind, name).breaker.reset();
  }

  resetKind(kind: BreakerKind): void {
    for (const entry of this.byKey.values()) if (entry.kind === kind) entry.breaker.reset();
  }

  resetAll(): void {
    for (const entry of this.byKey.values()) entry.breaker.reset();
  }

  forceOpen(kind: BreakerKind, name: string): void {
    this.required(kind, name).breaker.forceOpen();
  }

  close(kind: BreakerKind, name: string): void {
    this.required(kind, name).breaker.close();
  }

  /** Whether that breaker refuses calls now (open or forced open); false for a name never registered. */
  isOpen(kind: BreakerKind, name: string): boolean {
    const state = this.byKey.get(breakerKey(kind, name))?.breaker.getState();
    return state === 'open' || state === 'forced-open';
  }

  // --- history -------------------------------------------------------------------------------

  /** Events the sinks never got because too many were waiting. */
  get droppedEvents(): number {
    return this.log.dropped;
  }

  /** Events lost on the way to the sinks, by where (the metrics export it as `events_dropped_total`). */
  eventDrops(): EventDrops {
    return this.log.drops();
  }

  /** Every history event, as it happens (sinks get them in batches on the tick). */
  onEvent(listener: (event: BreakerEvent) => void): Disposer {
    return this.log.onEvent(listener);
  }

  /** Adds a sink; the returned function removes it (without closing it). */
  addSink(sink: EventSink): Disposer {
    return this.log.addSink(sink);
  }

  /** The newest events of the in-memory history, oldest first. */
  recent(query?: RecentQuery): BreakerEvent[] {
    return this.log.recent(query);
  }

  /**
   * Stores the early-warning model's probability for a breaker (null: none stands now, as after a
   * failed round) and, unless `record` is false or it is null, records a 'prediction' event with `detail`.
   */
  setProbability(
    kind: BreakerKind,
    name: string,
    probability: number | null,
    event: { detail?: Record<string, unknown>; record?: boolean } = {},
  ): void {
    const entry = this.required(kind, name);
    if (probability !== null && (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)))
      throw new RangeError(
        `breakwater: probability for ${kind} "${name}" must be a number from 0 to 1 or null, got ${show(probability)}`,
      );
    if (probability === null || event.record === false) {
      entry.probability = probability;
      return;
    }
    checkEventDetail(event.detail, kind, name, 'prediction');
    entry.probability = probability;
    this.record(entry, 'prediction', event.detail ?? {});
  }

  /**
   * Records an event of another wing (a recovery action, a rollout decision) for a registered
   * breaker. `detail` must be JSON data, as every sink writes it: a TypeError names the breaker,
   * the event type and the problem (a cycle, a BigInt).
   */
  recordEvent(kind: BreakerKind, name: string, type: BreakerEventType, detail: Record<string, unknown>): void {
    const entry = this.required(kind, name);
    checkEventDetail(detail, kind, name, type);
    this.record(entry, type, detail);
  }

  /**
   * @internal recordEvent() without the JSON check, for the library's own wings, whose details are
   * plain data by construction: the early warning records on its scoring rounds and pays nothing more.
   */
  recordUncheckedEvent(kind: BreakerKind, name: string, type: BreakerEventType, detail: Record<string, unknown>): void {
    this.record(this.required(kind, name), type, detail);
  }

  /**
   * @internal A breaker disposed directly (not through remove()) leaves the registry too: its next
   * getOrCreate() makes a new one, and the tick's readers (summaries, scoring, tuning, metrics)
   * never meet a disposed breaker, which throws on every read.
   */
  forget(entry: Entry): void {
    const key = breakerKey(entry.kind, entry.name);
    this.hostViews?.drop(entry);
    if (this.byKey.get(key) !== entry) return;
    this.byKey.delete(key);
    this.removals.emit('removed', { kind: entry.kind, name: entry.name });
  }

  /** @internal */
  record(entry: Entry, type: BreakerEventType, detail: Record<string, unknown> | null): void {
    this.log.append(historyEvent(entry, type, detail, this.now()));
  }

  // --- the tick ------------------------------------------------------------------------------

  /**
   * One step of the control plane, run by the shared tick (and by tests and simulations on a
   * manual clock): writes window summaries when due, starts the control tasks due (scoring and
   * tuning rounds), then hands the waiting events to the sinks. A promise when a task's run is in
   * progress, started by this step or an earlier one: it resolves once every one has finished.
   */
  tick(): boolean | Promise<void> {
    if (this.closed) return false;
    return this.step() ?? true;
  }

  /** One tick; resolves when the control tasks in progress (scoring, tuning rounds) have finished. */
  private step(): Promise<void> | undefined {
    if (this.hostArena?.noticeCut()) this.hostViews!.keepOnOwnPages();
    this.hostViews?.follow(); // first: the summaries and the tasks below read the options
    // Transitions that worker threads or other processes of the host made in the shared slots
    // reach this registry's history within a tick, whether or not this thread calls the breaker.
    for (const entry of this.byKey.values()) entry.breaker.followTransitions();
    const now = this.now();
    if (this.summaryEveryMs > 0 && now - this.lastSummaryAt >= this.summaryEveryMs) {
      this.lastSummaryAt = now;
      this.summaries.summarize(this.byKey.values(), now, (entry, detail) => this.record(entry, 'window', detail));
    }
    const started = this.tasks.runDue(now);
    this.log.deliver();
    return started;
  }

  /**
   * Runs `run` on the registry's tick every `everyMs` of the registry's clock (the tuner and the
   * early-warning model use it): never two runs of a task at once, a failing run becomes a process
   * warning (a task that keeps failing the same way warns again every 10 minutes, with a count, and
   * once when it works again). `stop`, when given, runs at shutdown(): a task that holds connections closes them, so
   * the process can exit. Returns the function that unschedules it.
   */
  schedule(
    name: string,
    everyMs: number,
    run: (nowMs: number) => void | Promise<void>,
    stop?: () => void | Promise<void>,
  ): Disposer {
    if (this.closed) throw new Error(`breakwater: schedule("${name}") on a registry that was shut down`);
    const unschedule = this.tasks.add(name, everyMs, run, this.now(), stop);
    this.joinTick();
    return unschedule;
  }

  /** Delivers what is waiting, then flushes every sink; a sink not done within sinkTimeoutMs is named in a warning. */
  async flush(): Promise<void> {
    await this.log.flush();
  }

  /**
   * Stops the scheduled tasks (a cluster connection closes), leaves the tick and flushes and
   * closes the sinks, waiting sinkTimeoutMs for them at most (a sink still busy then is named in a
   * warning); the breakers stay usable. Every call returns the one shutdown's promise.
   */
  shutdown(): Promise<void> {
    this.shuttingDown ??= this.stopAndClose();
    return this.shuttingDown;
  }

  private async stopAndClose(): Promise<void> {
    this.closed = true;
    await this.tasks.stopAll();
    leaveTick(this, this.clock);
    await this.log.close();
  }

  private joinTick(): void {
    if (this.ticking || this.closed) return;
    this.ticking = true;
    joinTick(this, this.clock); // on a manual clock, its tick: runFor() awaits the work a step starts
  }

  private required(kind: BreakerKind, name: string): Entry {
    const entry = this.byKey.get(breakerKey(kind, name));
    if (entry === undefined) throw new RangeError(`breakwater: no ${kind} breaker named "${name}" in this registry`);
    return entry;
  }

  private now(): number {
    return this.clock ? this.clock.now() : Date.now();
  }
}
