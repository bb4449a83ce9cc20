import type { CallContext, CircuitBreaker } from '../breaker';
import { CircuitOpenError } from '../errors/CircuitOpenError';
import type { Registry } from '../registry/registry';
import { chooseStep } from './choose';
import { defaultClassifier } from './classify';
import { CheckpointError } from './errors/CheckpointError';
import { RecoveryEscalatedError, type Escalation } from './errors/RecoveryEscalatedError';
import { messageOf } from '../error-message';
import { checkFailureContext, FAILURE_KINDS, type FailureContext, type FailureKind } from './failure';
import type { RecoveryStats, TargetDirectory, TaskAttemptOutcome } from './manager-types';
import { FailureLog } from './failure-log';
import { checkDeclaredHint, initialHint, reduceHint } from './hint';
import { TaskLedger, type Placement } from './ledger';
import { resolveRecoveryOptions, type RecoveryOptions, type ResolvedRecoveryOptions } from './options';
import { admissionOf } from './admission';
import { LADDER, type RecoveryAction, type RecoveryStep } from './steps';
import { checkTask, type RecoveryTask, type TaskAttempt } from './task';
import { restartWithin } from './restart';
import { sleep } from './timing';

/**
 * The recovery ladder. handleFailure() picks the action for a failure from its kind and how often
 * failures recur; applyRecovery() runs actions until the task succeeds or escalates; trackSuccess()
 * updates the circuits. Every action is a 'recovery' event in the registry's history. No step ever
 * sends work into an open circuit. Time comes only from the injected timers.
 */
export class RecoveryManager {
  readonly options: ResolvedRecoveryOptions;
  readonly stats: RecoveryStats = {
    completed: 0,
    recovered: 0,
    escalated: 0,
    unavailable: 0,
    failures: 0,
    actions: Object.fromEntries(LADDER.map((s) => [s, 0])) as Record<RecoveryStep, number>,
  };
  private readonly registry: Registry;
  private readonly log: FailureLog;
  private readonly ledgers = new Map<string, TaskLedger>();
  /** The ladder's own breaker (kind 'pool'): disabled, it never refuses; it counts task outcomes, so its health is the completion rate. */
  private readonly poolBreaker: CircuitBreaker;

  /**
   * @param directory The pool the ladder switches within; a ladder without one skips the switch rungs.
   */
  constructor(
    options: RecoveryOptions,
    private readonly directory?: TargetDirectory,
  ) {
    this.options = resolveRecoveryOptions(options);
    this.registry = this.options.registry;
    this.log = new FailureLog(this.options.windowMs);
    this.poolBreaker = this.registry.getOrCreate('pool', this.options.name, { labels: { pool: this.options.name } });
    if (this.poolBreaker.getState() !== 'disabled') this.poolBreaker.disable();
  }

  /** The ladder's name (the pool's). */
  get name(): string {
    return this.options.name;
  }

  /** Task runs in progress. */
  get running(): number {
    return this.ledgers.size;
  }

  /**
   * Decides what to do about a failure, records it (an event, the failure counts, the hardware
   * class's circuit; the worker's own circuit counted the call when it ran through it) and
   * returns the action. Does not run it: applyRecovery() does.
   */
  handleFailure(context: FailureContext): RecoveryAction {
    checkFailureContext(context);
    const o = this.options;
    const ledger = this.ledgerFor(context.task);
    const now = o.timers.now();
    const kind = this.classify(context);
    const message = context.message ?? (context.error !== undefined ? messageOf(context.error) : kind);
    const { worker, hardware } = context;
    ledger.failures++;
    ledger.lastError = context.error ?? new Error(message);
    this.stats.failures++;
    // A refusal is not the worker's failure: it ran nothing, and its circuit already knows. A fatal
    // failure (bad input, a programming error) is the task's own and says nothing of where it ran.
    if (kind !== 'circuit-open' && kind !== 'fatal') {
      this.log.record(context.task, worker, hardware, now);
      if (worker !== undefined) ledger.failedWorkers.add(worker);
      if (hardware !== undefined) {
        // Out of memory is the task's size, met by a smaller batch, not the class's health; and the
        // class counts each task once per run, so one task failing again and again can't trip it.
        if (kind !== 'out-of-memory' && !ledger.failedHardware.has(hardware))
          this.hardwareBreaker(hardware).recordFailure(context.error);
        ledger.failedHardware.add(hardware);
      }
    }
    const choice = chooseStep({
      kind,
      used: ledger.used,
      budgets: {
        'retry-immediate': o.budgets.immediateRetries,
        'retry-delayed': o.budgets.delayedRetries,
        reduce: o.budgets.reductions,
        'switch-worker': o.budgets.workerSwitches,
        'switch-hardware': o.budgets.hardwareSwitches,
        restart: o.budgets.restarts,
      },
      attempts: ledger.attempts,
      maxAttempts: o.maxAttempts,
      workerFailures: this.log.workerFailures(worker, now),
      workerFailureLimit: o.workerFailureLimit,
      hardwareSpread: this.log.hardwareSpread(hardware, now),
      hardwareSpreadLimit: o.hardwareSpread,
      workerAdmits: worker === undefined || admissionOf(this.workerBreaker(worker)).admits,
      hardwareAdmits: hardware === undefined || admissionOf(this.hardwareBreaker(hardware)).admits,
      reducedHint: reduceHint(ledger.hint, o.limits),
      otherWorker: this.otherWorker(ledger, worker),
      otherHardware: this.otherHardware(ledger, hardware),
      canRestart: o.restart !== undefined && worker !== undefined,
    });
    const step = choice.step;
    const here: Placement = { worker, hardware };
    const action: RecoveryAction = {
      step,
      task: context.task,
      failureKind: kind,
      failures: ledger.failures,
      from: here,
      ...(step === 'escalate' ? {} : { to: choice.to ?? here }),
      ...(step === 'retry-delayed' ? { delayMs: this.delayFor(ledger.used['retry-delayed']) } : {}),
      ...(step === 'reduce' ? { hint: reduceHint(ledger.hint, o.limits) } : {}),
      reason: choice.reason,
      skipped: choice.skipped,
      message,
    };
    if (action.hint !== undefined) ledger.hint = action.hint;
    this.note(ledger, action, worker);
    // Nothing is left to try: the run is over, whether or not applyRecovery() carries it out.
    if (step === 'escalate') this.ledgers.delete(context.task);
    return action;
  }

  /**
   * Recovers a failed task: takes the action handleFailure() picks, runs the next attempt, and
   * repeats until the task succeeds (its value) or escalates (RecoveryEscalatedError).
   */
  async applyRecovery<T>(task: RecoveryTask<T>, context: FailureContext): Promise<T> {
    checkTask(task);
    checkFailureContext(context);
    if (context.task !== task.id)
      throw new TypeError(
        `breakwater/recovery: applyRecovery() got task "${task.id}" with a failure context of task "${context.task}"`,
      );
    const ledger = this.ledgerFor(task.id, task);
    let action = this.handleFailure(context);
    for (;;) {
      const placement = await this.perform(ledger, action);
      const outcome = await this.attempt(task, placement);
      if (outcome.ok) return outcome.value;
      action = this.handleFailure(outcome.context);
    }
  }

  /**
   * Records a task's success: the hardware class's circuit counts it (the worker's counted the call
   * itself), the task's run ends (a 'recovered' event when it had failed), its state is stored.
   */
  async trackSuccess(context: Pick<FailureContext, 'task' | 'worker' | 'hardware'>, latencyMs?: number): Promise<void> {
    checkFailureContext(context);
    const { task, worker, hardware } = context;
    if (hardware !== undefined) this.hardwareBreaker(hardware).recordSuccess(latencyMs);
    const ledger = this.ledgers.get(task);
    this.ledgers.delete(task);
    this.stats.completed++;
    this.poolBreaker.recordSuccess(latencyMs);
    const now = this.options.timers.now();
    if (ledger !== undefined && ledger.failures > 0) {
      this.stats.recovered++;
      const last = ledger.steps[ledger.steps.length - 1];
      this.event(worker, {
        action: 'recovered',
        task,
        resolvedBy: last?.step,
        failures: ledger.failures,
        attempts: ledger.attempts,
        durationMs: now - ledger.startedAt,
        worker,
        hardware,
      });
    }
    const store = this.options.store;
    if (store !== undefined) {
      await store.update(task, { status: 'succeeded', attempts: ledger?.totalAttempts, worker, hardware, at: now });
      // A finished task's progress is no longer needed: its next run starts fresh.
      if (store.get(task)?.checkpoint !== undefined) await store.saveCheckpoint(task, undefined, now);
    }
  }

  /** @internal Starts a run of the task (the pool's run()); resumes from the store when the last run did not finish. */
  begin(task: RecoveryTask<unknown>): void {
    checkTask(task);
    if (this.ledgers.has(task.id))
      throw new Error(`breakwater/recovery: task "${task.id}" is already running in "${this.name}"`);
    this.ledgerFor(task.id, task);
  }

  /** @internal Ends a run that never started because no target admitted it. */
  abandon(taskId: string, detail: Record<string, unknown>): void {
    this.ledgers.delete(taskId);
    this.stats.unavailable++;
    this.event(undefined, { action: 'unavailable', task: taskId, ...detail });
  }

  /**
   * @internal Runs one attempt of the task at `placement`, through the worker's circuit. A circuit
   * (the worker's or its class's) that does not admit work is never called: the outcome is a
   * 'circuit-open' failure without running the task.
   */
  async attempt<T>(task: RecoveryTask<T>, placement: Placement): Promise<TaskAttemptOutcome<T>> {
    const o = this.options;
    const ledger = this.ledgerFor(task.id, task);
    const { worker, hardware } = placement;
    const breaker = worker === undefined ? undefined : this.workerBreaker(worker);
    const refusal = this.refusal(placement, breaker);
    if (refusal !== undefined)
      return { ok: false, context: { task: task.id, worker, hardware, errorKind: 'circuit-open', message: refusal } };
    // The class's circuit sees outcomes only through recordSuccess/recordFailure: it must also admit
    // the attempt, or once open it would never probe (and never close) again.
    if (hardware !== undefined && !this.hardwareBreaker(hardware).tryAcquirePermission()) {
      return {
        ok: false,
        context: {
          task: task.id,
          worker,
          hardware,
          errorKind: 'circuit-open',
          message: `the circuit of hardware class "${hardware}" is open`,
        },
      };
    }
    ledger.attempts++;
    // Counted before the first await, so tasks started in the same tick see each other's load.
    if (worker !== undefined) this.directory?.acquire(worker);
    let value: T;
    let started = 0;
    let running = false;
    try {
      await o.store?.update(task.id, {
        status: 'running',
        attempts: ledger.totalAttempts,
        worker,
        hardware,
        hint: ledger.hint,
        at: o.timers.now(),
      });
      started = o.timers.now();
      running = true;
      const run = (call: CallContext): T | PromiseLike<T> => task.run(this.attemptView(ledger, placement, call.signal));
      value = breaker === undefined ? await run({ signal: new AbortController().signal }) : await breaker.execute(run);
    } catch (error) {
      // A store that can't write is the caller's problem, not a failure of the task to recover from:
      // the run ends here, so the same task can run again once the store is fixed.
      if (!running) {
        this.ledgers.delete(task.id);
        throw error;
      }
      // A checkpoint the store can't keep is a programming error: retrying runs the same code again.
      if (ledger.checkpointError !== undefined)
        return {
          ok: false,
          context: { task: task.id, worker, hardware, error: ledger.checkpointError, errorKind: 'fatal' },
        };
      const refused = breaker !== undefined && error instanceof CircuitOpenError && error.breaker === breaker.name;
      return {
        ok: false,
        context: { task: task.id, worker, hardware, error, ...(refused ? { errorKind: 'circuit-open' as const } : {}) },
      };
    } finally {
      if (worker !== undefined) this.directory?.release(worker);
    }
    await this.trackSuccess({ task: task.id, worker, hardware }, o.timers.now() - started);
    return { ok: true, value };
  }

  /** Carries out the waiting part of an action (delay, restart) and returns where to attempt next. */
  private async perform(ledger: TaskLedger, action: RecoveryAction): Promise<Placement> {
    if (action.step === 'escalate') throw await this.escalate(ledger, action);
    if (action.step === 'retry-delayed') await sleep(this.options.timers, action.delayMs ?? 0);
    if (action.step === 'restart') {
      const worker = action.from.worker!;
      try {
        const request = { worker, hardware: action.from.hardware, task: action.task, reason: action.message };
        await restartWithin(this.options.restart!, request, this.options.timers, this.options.restartTimeoutMs);
      } catch (error) {
        ledger.lastError = error;
        const failed: RecoveryAction = {
          ...action,
          step: 'escalate',
          to: undefined,
          reason: `the restart hook failed for ${this.options.kind} "${worker}": ${messageOf(error)}`,
          skipped: [],
        };
        this.note(ledger, failed, worker);
        throw await this.escalate(ledger, failed);
      }
      // The resource is new: its old failures say nothing about it, and the next attempt must be admitted.
      this.workerBreaker(worker).close();
      this.event(worker, { action: 'restarted', task: action.task, worker, hardware: action.from.hardware });
    }
    return action.to ?? action.from;
  }

  private async escalate(ledger: TaskLedger, action: RecoveryAction): Promise<RecoveryEscalatedError> {
    this.ledgers.delete(ledger.taskId);
    this.stats.escalated++;
    this.poolBreaker.recordFailure(ledger.lastError);
    const escalation: Escalation = {
      pool: this.name,
      task: ledger.taskId,
      steps: [...ledger.steps],
      reason: action.reason,
      error: ledger.lastError,
    };
    this.event(undefined, {
      action: 'escalation',
      task: ledger.taskId,
      reason: action.reason,
      steps: ledger.steps.map((s) => s.step),
      message: action.message,
      worker: action.from.worker,
      hardware: action.from.hardware,
    });
    await this.options.store?.update(ledger.taskId, {
      status: 'escalated',
      attempts: ledger.totalAttempts,
      error: action.message,
      at: this.options.timers.now(),
    });
    try {
      this.options.onEscalate?.(escalation);
    } catch (error) {
      process.emitWarning(`breakwater/recovery: the onEscalate hook threw: ${messageOf(error)}`, {
        code: 'BREAKWATER_LISTENER_ERROR',
      });
    }
    return new RecoveryEscalatedError(escalation);
  }

  /** Counts an action and writes its event. */
  private note(ledger: TaskLedger, action: RecoveryAction, worker: string | undefined): void {
    ledger.used[action.step]++;
    ledger.steps.push(action);
    this.stats.actions[action.step]++;
    this.event(worker, {
      action: action.step,
      task: action.task,
      failureKind: action.failureKind,
      failures: action.failures,
      from: action.from,
      to: action.to ?? null,
      delayMs: action.delayMs ?? null,
      hint: action.hint ?? null,
      reason: action.reason,
      skipped: action.skipped,
      message: action.message,
    });
  }

  /** Why the placement can't take work now, or undefined when both circuits admit it. */
  private refusal(placement: Placement, breaker: CircuitBreaker | undefined): string | undefined {
    // A retry that waited may find its worker taken out of the pool meanwhile: it goes elsewhere.
    if (placement.worker !== undefined && this.directory !== undefined && !this.directory.has(placement.worker))
      return `${this.options.kind} "${placement.worker}" was removed from the pool`;
    if (breaker !== undefined && !admissionOf(breaker).admits)
      return `the circuit of ${this.options.kind} "${placement.worker}" is open`;
    if (placement.hardware !== undefined && !admissionOf(this.hardwareBreaker(placement.hardware)).admits)
      return `the circuit of hardware class "${placement.hardware}" is open`;
    return undefined;
  }

  private attemptView(ledger: TaskLedger, placement: Placement, signal: AbortSignal): TaskAttempt {
    return {
      task: ledger.taskId,
      number: ledger.totalAttempts,
      worker: placement.worker,
      hardware: placement.hardware,
      checkpoint: ledger.checkpoint,
      hint: ledger.hint,
      signal,
      saveCheckpoint: async (checkpoint) => {
        const at = this.options.timers.now();
        try {
          await this.options.store?.saveCheckpoint(ledger.taskId, checkpoint, at);
        } catch (error) {
          // Kept on the ledger: the task may catch or wrap the error, and it must escalate anyway.
          if (error instanceof CheckpointError) ledger.checkpointError = error;
          throw error;
        }
        // Memory follows the store (JSON when there is one), so the next attempt here sees what a restart would.
        ledger.checkpoint = this.options.store?.get(ledger.taskId)?.checkpoint ?? checkpoint;
      },
    };
  }

  private ledgerFor(taskId: string, task?: RecoveryTask<unknown>): TaskLedger {
    const existing = this.ledgers.get(taskId);
    if (existing !== undefined) return existing;
    const o = this.options;
    if (task?.hint !== undefined) checkDeclaredHint(taskId, task.hint, o.limits);
    const record = o.store?.get(taskId);
    const resume = record !== undefined && record.status !== 'succeeded';
    const ledger = new TaskLedger(
      taskId,
      task?.hardware,
      resume && record.hint !== undefined ? record.hint : initialHint(task?.hint),
      resume ? record.checkpoint : undefined,
      record?.attempts ?? 0,
      o.timers.now(),
    );
    this.ledgers.set(taskId, ledger);
    if (resume)
      this.event(undefined, {
        action: 'resume',
        task: taskId,
        status: record.status,
        attempts: record.attempts,
        checkpointAt: record.checkpointAt ?? null,
        hint: record.hint ?? null,
      });
    return ledger;
  }

  private classify(context: FailureContext): FailureKind {
    if (context.errorKind !== undefined) return context.errorKind;
    const subject = context.error ?? context.message;
    const custom = this.options.classify?.(subject, context);
    if (custom !== undefined) {
      if (!FAILURE_KINDS.has(custom))
        throw new RangeError(
          `breakwater/recovery: option "classify" returned ${JSON.stringify(custom)}; expected one of ${[...FAILURE_KINDS].join(', ')}`,
        );
      return custom;
    }
    return defaultClassifier(subject);
  }

  /** A worker that admits the task other than the failing one, preferring workers the task has not failed on. */
  private otherWorker(ledger: TaskLedger, worker: string | undefined): Placement | undefined {
    if (this.directory === undefined) return undefined;
    const none = new Set<string>();
    const current = new Set(worker === undefined ? [] : [worker]);
    return (
      this.directory.pick(ledger.accepts, {
        workers: new Set([...current, ...ledger.failedWorkers]),
        hardware: none,
      }) ?? this.directory.pick(ledger.accepts, { workers: current, hardware: none })
    );
  }

  /** A worker of another compatible class, preferring classes the task has not failed on. */
  private otherHardware(ledger: TaskLedger, hardware: string | undefined): Placement | undefined {
    if (this.directory === undefined || hardware === undefined) return undefined;
    const none = new Set<string>();
    return (
      this.directory.pick(ledger.accepts, { workers: none, hardware: new Set([hardware, ...ledger.failedHardware]) }) ??
      this.directory.pick(ledger.accepts, { workers: none, hardware: new Set([hardware]) })
    );
  }

  /** Delayed retry number `retry` (0-based): exponential, capped, shortened by up to `jitter`. */
  private delayFor(retry: number): number {
    const o = this.options;
    const base = Math.min(o.maxRetryDelayMs, o.retryDelayMs * 2 ** retry);
    return Math.round(base * (1 - o.jitter * o.random()));
  }

  private workerBreaker(worker: string): CircuitBreaker {
    return this.registry.getOrCreate(this.options.kind, worker);
  }

  private hardwareBreaker(hardware: string): CircuitBreaker {
    return this.registry.hardwareBreaker(hardware);
  }

  /** A 'recovery' event on the worker's breaker when there is one, else on the ladder's own. */
  private event(worker: string | undefined, detail: Record<string, unknown>): void {
    const full = { pool: this.name, ...detail };
    if (worker !== undefined && this.registry.get(this.options.kind, worker) !== undefined)
      this.registry.recordUncheckedEvent(this.options.kind, worker, 'recovery', full);
    else this.registry.recordUncheckedEvent('pool', this.name, 'recovery', full);
  }
}
