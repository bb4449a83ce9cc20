import type { Timers } from '../clock';
import { MAX_PERIOD_MS } from '../core/layout';
import { Emitter, type Disposer } from '../events';
import { judge, type RolloutAction } from './decide';
import type { PhaseInfo, RolloutDecision, RolloutEvents } from './events';
import { idPosition, positionBound, seededBasis } from './hash';
import { resolveRolloutOptions, type ResolvedRolloutOptions, type RolloutOptions } from './options';
import {
  formatStateDocument,
  parseStateDocument,
  pickPersisted,
  validateOwner,
  validateProgress,
  type RolloutProgress,
  type RolloutStatus,
  type RolloutTransition,
  type TransitionAction,
} from './persisted-state';
import { RolloutStateError } from './errors/RolloutStateError';
import { readIfExists, removeStaleTempFiles, setAside, writeAtomically } from './state-file';
import { unreadableFile } from '../fs/readable-file';
import { VersionWindow, type RolloutVersion, type VersionMetrics } from './version-window';
import { WindowClock, wallClock } from './window-clock';
import { show } from '../error-message';
import { operatorReason, promoteOptions } from './operator-input';

const OFF: PhaseInfo = Object.freeze({ name: 'OFF', weight: 0, index: -1 });

/**
 * A progressive rollout: routes a growing share of request ids to a new version (OFF, then each
 * configured phase), watches both versions over a rolling window, and advances, holds or rolls back
 * on its own. After a rollback it stays OFF (all traffic on the old version, the rollout's "open"
 * state) until retry() or the automatic retry. Decisions read time only from the injected clock,
 * so a simulator can drive it on virtual time.
 */
export class RolloutController {
  /** The options in force, after defaults (and after merging a state file's config). */
  readonly options: ResolvedRolloutOptions;
  /** Why the state file could not be used at start-up (the rollout then starts OFF, paused); else undefined. */
  readonly stateError: RolloutStateError | undefined;

  private readonly clock: Timers;
  private readonly stateFile: string | undefined;
  private readonly windows: Record<RolloutVersion, VersionWindow>;
  private readonly basis: number;
  private readonly emitter = new Emitter<RolloutEvents>();
  private progress: RolloutProgress;
  private history: RolloutTransition[];
  private phaseIndex: number;
  /** Ids whose hash position is below this take the new version; kept in step with phaseIndex. */
  private bound = 0;
  private evaluationTimer: unknown;
  private retryTimer: unknown;
  private disposed = false;

  constructor(options: RolloutOptions = {}) {
    let resolved = resolveRolloutOptions(options);
    this.clock = options.clock ?? wallClock;
    this.stateFile = options.stateFile;
    let restored: { progress: RolloutProgress; history: RolloutTransition[] } | undefined;
    let stateError: RolloutStateError | undefined;
    /** Whether a state file was read (so a RolloutStateError means its content is bad, not the path). */
    let stateFileRead = false;
    if (this.stateFile !== undefined) {
      // Not a state file that is bad (set aside, the rollout paused) but a path that names no file.
      const notAFile = unreadableFile(this.stateFile);
      if (notAFile !== undefined)
        throw new RolloutStateError(
          this.stateFile,
          `breakwater/rollout: stateFile ${this.stateFile} ${notAFile}: name a file the rollout may write`,
        );
      removeStaleTempFiles(this.stateFile);
      try {
        const text = readIfExists(this.stateFile);
        if (text !== undefined) {
          stateFileRead = true;
          const document = parseStateDocument(this.stateFile, text);
          validateOwner(this.stateFile, document.config.name, options.name);
          // The file's config is the base; options passed now override it (a restart may retune).
          resolved = resolveRolloutOptions({ ...document.config, ...pickPersisted(options) } as RolloutOptions);
          // Options changed since the file was written must still fit where the rollout stands.
          validateProgress(this.stateFile, document.progress, resolved);
          restored = { progress: document.progress, history: document.history };
        }
      } catch (error) {
        if (!(error instanceof RolloutStateError)) throw error;
        stateError = error;
      }
    }
    this.options = resolved;
    this.stateError = stateError;
    this.basis = seededBasis(resolved.seed);
    const windowClock = new WindowClock(this.clock);
    const windowMs = resolved.monitoringWindowMinutes * 60_000;
    this.windows = {
      new: new VersionWindow(`${resolved.name}/new`, windowMs, this.clock, windowClock),
      old: new VersionWindow(`${resolved.name}/old`, windowMs, this.clock, windowClock),
    };
    const now = this.clock.now();
    this.progress = restored?.progress ?? {
      phase: 'OFF',
      status: 'pending',
      phaseEnteredAt: now,
      goodStreak: 0,
      rolledBackAt: null,
      attempt: 1,
    };
    this.history = (restored?.history ?? []).slice(-resolved.historyLimit);
    this.phaseIndex = this.indexOf(this.progress.phase);
    this.bound = this.phaseIndex < 0 ? 0 : positionBound(resolved.phases[this.phaseIndex].weight);
    if (stateError !== undefined) this.haltOnBadStateFile(stateError, stateFileRead, now);
    else this.save();
    if (this.progress.status === 'rolledBack') this.scheduleAutoRetry();
  }

  // --- routing and outcomes (hot path) --------------------------------------------------------

  /**
   * Whether this request goes to the new version. Deterministic and sticky: an id's hash position
   * is fixed (FNV-1a over its UTF-16 code units, seeded, with a murmur3 finaliser), and it takes the
   * new version while position < weight * 2^32, so ids on the new version stay there as the weight
   * grows. O(length of the id), no allocation.
   */
  shouldUseNewVersion(requestId: string): boolean {
    if (typeof requestId !== 'string')
      throw new TypeError(`breakwater/rollout: shouldUseNewVersion(requestId) needs a string, got ${typeof requestId}`);
    return idPosition(requestId, this.basis) < this.bound;
  }

  /** Records one call's outcome on the version that served it. */
  recordExecution(version: RolloutVersion, success: boolean, latencyMs: number): void {
    if (version !== 'new' && version !== 'old')
      throw new TypeError(`breakwater/rollout: recordExecution(version) must be "new" or "old", got ${show(version)}`);
    if (typeof success !== 'boolean')
      throw new TypeError(`breakwater/rollout: recordExecution(success) must be a boolean, got ${show(success)}`);
    // Bounded as a breaker's latencies are: the window records it in a breaker, whose own refusal
    // would name neither the rollout nor the argument.
    if (typeof latencyMs !== 'number' || !(latencyMs >= 0 && latencyMs <= MAX_PERIOD_MS)) {
      throw new RangeError(
        `breakwater/rollout: recordExecution(latencyMs) must be a number of ms from 0 to ${MAX_PERIOD_MS}, got ${show(latencyMs)}`,
      );
    }
    this.windows[version].record(success, latencyMs);
    // Failures are rare on a healthy version, so checking the rollback rules on each one is cheap,
    // and a degrading version comes off between evaluations instead of serving until the next one.
    if (
      !success &&
      version === 'new' &&
      this.options.immediateRollback &&
      this.phaseIndex >= 0 &&
      (this.progress.status === 'rolling' || this.progress.status === 'paused')
    ) {
      this.rollBackIfDegraded();
    }
  }

  // --- the watchdog ---------------------------------------------------------------------------

  /**
   * Judges the current phase on both versions' windows and acts: advance to the next phase, maintain,
   * or roll back to OFF at once. A pending rollout starts (OFF to the first phase); a rolled-back one
   * stays OFF until retry() or until `autoRetryDelayMs` has passed; a paused one never advances but
   * still rolls back when the new version degrades.
   */
  evaluateAndDecide(): RolloutDecision {
    this.assertLive();
    const now = this.clock.now();
    const previousPhase = this.phase;
    const metrics = { new: this.windows.new.read(), old: this.windows.old.read() };
    const { action, reason } = this.decide(now, metrics);
    const decision: RolloutDecision = {
      action,
      phase: this.phase,
      previousPhase,
      status: this.progress.status,
      reason,
      metrics,
      at: now,
    };
    this.emitter.emit('decision', decision);
    return decision;
  }

  private decide(
    now: number,
    metrics: { new: VersionMetrics; old: VersionMetrics },
  ): { action: RolloutAction; reason: string } {
    const { status } = this.progress;
    if (status === 'pending') {
      const reason = 'rollout started: OFF has no new-version traffic to judge';
      this.moveTo(0, 'advance', reason, now);
      return { action: 'advance', reason };
    }
    if (status === 'rolledBack') {
      const due = this.autoRetryDueAt();
      if (due !== undefined && now >= due) {
        const reason = `automatic retry ${this.options.autoRetryDelayMs} ms after the rollback`;
        this.retryNow('autoRetry', reason, now);
        return { action: 'advance', reason };
      }
      const when = due === undefined ? 'until retry()' : `until retry() or the automatic retry in ${due - now} ms`;
      return { action: 'maintain', reason: `rolled back: OFF ${when}` };
    }
    if (status === 'aborted') return { action: 'maintain', reason: 'aborted: OFF until retry()' };
    if (status === 'complete') return { action: 'maintain', reason: `complete: ${this.phase.name} reached` };
    if (this.phaseIndex < 0) return { action: 'maintain', reason: 'paused at OFF: resume() to start' };
    const verdict = judge(this.options, metrics.new, metrics.old, {
      msInPhase: now - this.progress.phaseEnteredAt,
      goodStreak: this.progress.goodStreak,
    });
    if (verdict.action === 'rollback') {
      this.rollBack(verdict.reason, now, metrics);
      return verdict;
    }
    if (status === 'paused') return { action: 'maintain', reason: `paused (watchdog: ${verdict.reason})` };
    if (verdict.action === 'advance') {
      this.moveTo(this.phaseIndex + 1, 'advance', verdict.reason, now);
      return verdict;
    }
    const streak = verdict.good ? this.progress.goodStreak + 1 : 0;
    if (streak !== this.progress.goodStreak) {
      this.progress.goodStreak = streak;
      this.save();
    }
    return verdict;
  }

  /** Runs evaluateAndDecide() every `evaluationIntervalMs` on the clock's timers until stop(). */
  start(): void {
    this.assertLive();
    if (this.evaluationTimer !== undefined) return;
    const tick = (): void => {
      this.evaluationTimer = this.clock.setTimeout(tick, this.options.evaluationIntervalMs);
      this.evaluateAndDecide();
    };
    this.evaluationTimer = this.clock.setTimeout(tick, this.options.evaluationIntervalMs);
  }

  /** Stops the automatic evaluations (the automatic retry timer stays). */
  stop(): void {
    if (this.evaluationTimer === undefined) return;
    this.clock.clearTimeout(this.evaluationTimer);
    this.evaluationTimer = undefined;
  }

  // --- manual controls ------------------------------------------------------------------------

  /** Holds the current phase: no advancing (a degrading new version is still rolled back). */
  pause(reason?: string): void {
    this.assertLive();
    const why = operatorReason('pause', reason, 'paused by operator');
    const { status } = this.progress;
    if (status !== 'pending' && status !== 'rolling')
      throw new Error(`breakwater/rollout: cannot pause a rollout that is ${status}`);
    this.progress.status = 'paused';
    this.record('pause', this.phase.name, why, this.clock.now());
  }

  /** Lets a paused rollout advance again (from OFF, it starts). */
  resume(reason?: string): void {
    this.assertLive();
    const why = operatorReason('resume', reason, 'resumed by operator');
    if (this.progress.status !== 'paused')
      throw new Error(`breakwater/rollout: cannot resume a rollout that is ${this.progress.status}, only a paused one`);
    this.progress.status = this.phaseIndex < 0 ? 'pending' : 'rolling';
    this.record('resume', this.phase.name, why, this.clock.now());
  }

  /** Moves on without waiting for the watchdog: to the next phase, or with `full` to the last. */
  promote(options?: { full?: boolean; reason?: string }): void {
    this.assertLive();
    const { full, reason } = promoteOptions(options);
    const { status } = this.progress;
    if (status !== 'pending' && status !== 'rolling' && status !== 'paused') {
      throw new Error(
        `breakwater/rollout: cannot promote a rollout that is ${status}${status === 'complete' ? '' : '; retry() first'}`,
      );
    }
    const target = full ? this.options.phases.length - 1 : this.phaseIndex + 1;
    this.moveTo(
      target,
      'promote',
      reason ?? (full ? 'promoted to the last phase by operator' : 'promoted by operator'),
      this.clock.now(),
    );
  }

  /** Takes the new version off (OFF) until retry(); no automatic retry. */
  abort(reason?: string): void {
    this.assertLive();
    const why = operatorReason('abort', reason, 'aborted by operator');
    if (this.progress.status === 'aborted') return;
    this.cancelAutoRetry();
    this.progress.rolledBackAt = null;
    this.moveTo(-1, 'abort', why, this.clock.now());
  }

  /** After a rollback or an abort: starts again from the first phase, with empty windows. */
  retry(reason?: string): void {
    this.assertLive();
    const why = operatorReason('retry', reason, 'retried by operator');
    const { status } = this.progress;
    if (status !== 'rolledBack' && status !== 'aborted')
      throw new Error(`breakwater/rollout: retry() needs a rolled-back or aborted rollout, this one is ${status}`);
    this.retryNow('retry', why, this.clock.now());
  }

  // --- reading --------------------------------------------------------------------------------

  /** The current phase (OFF: index -1, weight 0). */
  get phase(): PhaseInfo {
    return this.phaseIndex < 0 ? OFF : { ...this.options.phases[this.phaseIndex], index: this.phaseIndex };
  }

  /** pending, rolling, paused, rolledBack, aborted or complete. */
  get status(): RolloutStatus {
    return this.progress.status;
  }

  /** Rollout attempts so far (1 + retries). */
  get attempt(): number {
    return this.progress.attempt;
  }

  /** Phase changes, pauses and resumes, oldest first (up to `historyLimit`). */
  getHistory(): RolloutTransition[] {
    return this.history.map((entry) => ({ ...entry }));
  }

  /** Both versions over the monitoring window. */
  getMetrics(): { new: VersionMetrics; old: VersionMetrics } {
    return { new: this.windows.new.read(), old: this.windows.old.read() };
  }

  /** Subscribes to an event; returns the function that unsubscribes. */
  on<K extends keyof RolloutEvents & string>(event: K, listener: (payload: RolloutEvents[K]) => void): Disposer {
    return this.emitter.on(event, listener);
  }

  /** Stops the timers and gives the windows' breakers back. The state file stays. */
  dispose(): void {
    if (this.disposed) return;
    this.stop();
    this.cancelAutoRetry();
    this.windows.new.dispose();
    this.windows.old.dispose();
    this.disposed = true;
  }

  // --- internals ------------------------------------------------------------------------------

  /** The watchdog's rollback rules alone, run on a new-version failure; a rollback is also a decision. */
  private rollBackIfDegraded(): void {
    const now = this.clock.now();
    const metrics = { new: this.windows.new.read(), old: this.windows.old.read() };
    const verdict = judge(this.options, metrics.new, metrics.old, {
      msInPhase: now - this.progress.phaseEnteredAt,
      goodStreak: this.progress.goodStreak,
    });
    if (verdict.action !== 'rollback') return;
    const previousPhase = this.phase;
    this.rollBack(verdict.reason, now, metrics);
    this.emitter.emit('decision', {
      action: 'rollback',
      phase: this.phase,
      previousPhase,
      status: this.progress.status,
      reason: verdict.reason,
      metrics,
      at: now,
    });
  }

  private rollBack(reason: string, now: number, metrics: { new: VersionMetrics; old: VersionMetrics }): void {
    this.progress.rolledBackAt = now;
    const entry = this.moveTo(-1, 'rollback', reason, now);
    this.emitter.emit('rollback', { ...entry, metrics });
    this.scheduleAutoRetry();
  }

  private retryNow(action: 'retry' | 'autoRetry', reason: string, now: number): void {
    this.cancelAutoRetry();
    this.progress.rolledBackAt = null;
    this.progress.attempt++;
    this.moveTo(0, action, reason, now);
  }

  /** Enters a phase (-1 = OFF) with empty windows, records it, persists, emits. */
  private moveTo(index: number, action: TransitionAction, reason: string, now: number): RolloutTransition {
    const from = this.phase.name;
    const last = this.options.phases.length - 1;
    this.phaseIndex = index;
    this.bound = index < 0 ? 0 : positionBound(this.options.phases[index].weight);
    this.progress.phase = this.phase.name;
    this.progress.phaseEnteredAt = now;
    this.progress.goodStreak = 0;
    if (action === 'rollback') this.progress.status = 'rolledBack';
    else if (action === 'abort') this.progress.status = 'aborted';
    else if (index === last) this.progress.status = 'complete';
    else if (this.progress.status !== 'paused') this.progress.status = 'rolling';
    // Each phase is judged on its own traffic, old version included, so both compare like for like.
    this.windows.new.clear();
    this.windows.old.clear();
    const entry = this.record(action, from, reason, now);
    if (action === 'advance' || action === 'promote' || action === 'retry' || action === 'autoRetry')
      this.emitter.emit('advance', entry);
    if (this.progress.status === 'complete') this.emitter.emit('complete', entry);
    return entry;
  }

  /** Appends a history entry (dropping the oldest past historyLimit), persists and emits it. */
  private record(action: TransitionAction, from: string, reason: string, now: number): RolloutTransition {
    const entry: RolloutTransition = { at: now, action, from, to: this.phase.name, reason };
    this.history.push(entry);
    if (this.history.length > this.options.historyLimit)
      this.history.splice(0, this.history.length - this.options.historyLimit);
    this.save();
    this.emitter.emit('transition', entry);
    return entry;
  }

  /**
   * A state file that can't be trusted: start OFF and paused, and say so. A file that was read but
   * is corrupt is kept aside (a path that could not be read at all is left alone).
   */
  private haltOnBadStateFile(error: RolloutStateError, keepAside: boolean, now: number): void {
    const aside = keepAside && this.stateFile !== undefined ? setAside(this.stateFile) : undefined;
    const kept = aside === undefined ? '' : ` (kept as ${aside})`;
    process.emitWarning(`${error.message}${kept}; starting OFF and paused until resume()`, {
      code: 'BREAKWATER_ROLLOUT_STATE',
    });
    this.progress.status = 'paused';
    this.record('pause', 'OFF', `state file unusable, started OFF: ${error.message}${kept}`, now);
  }

  private indexOf(phase: string): number {
    return phase === 'OFF' ? -1 : this.options.phases.findIndex((p) => p.name === phase);
  }

  private autoRetryDueAt(): number | undefined {
    const { rolledBackAt } = this.progress;
    return this.options.autoRetryDelayMs > 0 && rolledBackAt !== null
      ? rolledBackAt + this.options.autoRetryDelayMs
      : undefined;
  }

  private scheduleAutoRetry(): void {
    const due = this.autoRetryDueAt();
    if (due === undefined || this.retryTimer !== undefined) return;
    this.retryTimer = this.clock.setTimeout(
      () => {
        this.retryTimer = undefined;
        if (this.disposed || this.progress.status !== 'rolledBack') return;
        this.retryNow(
          'autoRetry',
          `automatic retry ${this.options.autoRetryDelayMs} ms after the rollback`,
          this.clock.now(),
        );
      },
      Math.max(0, due - this.clock.now()),
    );
  }

  private cancelAutoRetry(): void {
    if (this.retryTimer === undefined) return;
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Writes the state file; a failure is reported (stateError event or warning) and the rollout goes on. */
  private save(): void {
    if (this.stateFile === undefined) return;
    try {
      writeAtomically(
        this.stateFile,
        formatStateDocument({
          kind: 'breakwater.rollout',
          version: 1,
          savedAt: this.clock.now(),
          config: this.options,
          progress: this.progress,
          history: this.history,
        }),
      );
    } catch (error) {
      const failure =
        error instanceof RolloutStateError
          ? error
          : new RolloutStateError(this.stateFile, String(error), { cause: error });
      if (this.emitter.has('stateError')) this.emitter.emit('stateError', failure);
      else process.emitWarning(failure.message, { code: 'BREAKWATER_ROLLOUT_STATE' });
    }
  }

  private assertLive(): void {
    if (this.disposed)
      throw new TypeError(`breakwater/rollout: "${this.options.name}" was disposed; create a new controller`);
  }
}
