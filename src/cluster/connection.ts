import type { CircuitBreaker } from '../breaker';
import type { HostArena } from '../core/host-arena';
import { MAX_PERIOD_MS } from '../core/layout';
import type { Disposer } from '../events';
import type { BreakerEvent } from '../registry/event';
import { Registry, type RegisteredBreaker } from '../registry/registry';
import { breakerKey, splitBreakerKey } from '../registry/breaker-key';
import { messageOf, show } from '../error-message';
import { resolveClusterOptions, type ClusterOptions, type ResolvedClusterOptions } from './options';
import {
  commandTimeoutMs,
  setupProblem,
  openRedis,
  redisAddress,
  whenEnded,
  whenReady,
  withinDeadline,
  type RedisLike,
} from './redis';
import { breakerKeyPrefix } from './breaker-keys';
import { NodeSyncError, SyncPipelines } from './pipelines';
import { keySlot } from './slots';
import { defaultNodeId } from './node-id';
import { claimNamespace, releaseNamespace } from './namespaces';
import { windowReading } from './sync-arguments';
import { judged, warnOptionsDiffer, warnRepaired, type Synced, type Tracked } from './tracked';
import { parseTransitionMessage, type TransitionMessage } from './message';
import type { ClusterEvent, ClusterStatus } from './status';

/**
 * A registry's breakers shared with every node of a cluster through Redis: decisions stay local
 * and lock-free, a sync on the registry's tick pushes each changed window and pulls the cluster's
 * (one pipeline per interval), transitions travel by pub/sub, and half-open probes run on one node
 * at a time under a lease. Redis lost, hung or slow means local decisions, never a waiting call.
 */
export class ClusterConnection {
  /** Settles after the first sync (successful or not): await it before the first calls to join open breakers. */
  readonly ready: Promise<void>;
  private readonly options: ResolvedClusterOptions;
  private readonly commands: RedisLike;
  private readonly subscriber: RedisLike;
  private readonly owned: boolean;
  private readonly channel: string;
  private readonly tracked = new Map<string, Tracked>();
  /** The same, by registry entry: a sync finds each breaker's without building its key. */
  private readonly byEntry = new WeakMap<RegisteredBreaker, Tracked>();
  private readonly listeners = new Set<(event: ClusterEvent) => void>();
  private readonly unschedule: Disposer;
  private readonly unlisten: Disposer;
  private readonly stopForgetting: Disposer;
  /** How long a probe lease lasts, and how long holds outlive a failed sync. */
  private readonly leaseMs: number;
  /** Ms a node holding a breaker open for the cluster keeps it open past the cluster's deadline: the probing node decides first. */
  private readonly holdMs: number;
  private readonly pipelines: SyncPipelines;
  /** How long a subscription or a verdict may wait for Redis, whatever the client's own settings (a sync: syncDeadlineMs). */
  private readonly deadlineMs: number;
  /** The registry's host arena: one process of the host syncs its breakers, for all of them. */
  private readonly host: HostArena | undefined;
  private syncing: boolean;
  private connected = false;
  /** The client's last connection error (refused, unknown host, wrong password): why a sync met no connection. */
  private connectionError: string | undefined;
  private closed = false;
  private syncUnderWay: Promise<void> | undefined;
  private syncs = 0;
  private failedSyncs = 0;
  private lastError: string | undefined;
  /** Why the commands client cannot sync (checked on every connection: a Redis Cluster node, a database it lacks); no sync is sent meanwhile. */
  private setupError: string | undefined;
  /** The check of the last connection (or none yet): the first sync waits for it. */
  private setupChecked: Promise<void> = Promise.resolve();
  /** Whether the last subscription was refused (warned once until one succeeds). */
  private subscriptionRefused = false;

  constructor(
    private readonly registry: Registry,
    options: ClusterOptions,
  ) {
    if (!(registry instanceof Registry))
      throw new TypeError(
        `breakwater/cluster: connectCluster needs a Registry as its first argument, got ${show(registry)}`,
      );
    this.host = registry.hostArena;
    this.syncing = this.host === undefined;
    this.options = resolveClusterOptions(options, defaultNodeId(this.host));
    const claim = claimNamespace(registry, this.options.namespace); // before any client is made: a refusal leaves none open
    const { commands, subscriber, owned } = openRedis(this.options.redis);
    this.commands = commands;
    this.subscriber = subscriber;
    this.owned = owned;
    claim();
    this.channel = `${this.options.namespace}:transitions`;
    const { nodeId, syncIntervalMs, mode, quorum } = this.options;
    this.leaseMs = Math.max(2000, 8 * syncIntervalMs);
    this.holdMs = 2 * this.leaseMs;
    const context = { nodeId, syncIntervalMs, mode, quorum, leaseMs: this.leaseMs, channel: this.channel };
    this.pipelines = new SyncPipelines(commands, context);
    this.deadlineMs = commandTimeoutMs(syncIntervalMs);
    this.subscriber.on('message', ((channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    }) as never);
    this.commands.on('error', this.noteError);
    this.subscriber.on('error', this.noteError);
    // On every connection (the first, and after Redis comes back, or when it was down at the start).
    this.subscriber.on('ready', this.subscribe);
    this.commands.on('ready', this.checkSetup);
    if (this.commands.status === 'ready') this.checkSetup(); // a caller's client already connected: no 'ready' to come
    this.unlisten = registry.onEvent((event) => this.observe(event));
    // A breaker that leaves the registry leaves the connection: names that come and go leave nothing behind.
    this.stopForgetting = registry.onRemoved(({ kind, name }) => this.tracked.delete(breakerKey(kind, name)));
    this.ready = this.start();
    const started = (): void => void (this.syncUnderWay = undefined); // settled either way: never an unhandled rejection
    this.syncUnderWay = this.ready.then(started, started); // the schedule's syncs wait for it
    this.unschedule = registry.schedule(
      'cluster-sync',
      this.options.syncIntervalMs,
      () => this.sync(),
      () => this.close(), // the registry's shutdown closes the connections too: the process can exit
    );
  }

  get status(): ClusterStatus {
    let heldOpen = 0;
    let lostBreakers = 0;
    for (const tracked of this.tracked.values()) {
      if (tracked.held) heldOpen++;
      if (!Number.isNaN(tracked.lostSince)) lostBreakers++;
    }
    return {
      nodeId: this.options.nodeId,
      mode: this.options.mode,
      connected: this.connected,
      syncing: this.syncing,
      syncs: this.syncs,
      failedSyncs: this.failedSyncs,
      roundTrips: this.pipelines.roundTrips,
      lastError: this.lastError,
      breakers: this.tracked.size,
      heldOpen,
      lostBreakers,
    };
  }

  /** Calls `listener` when Redis is lost or back. */
  onEvent(listener: (event: ClusterEvent) => void): Disposer {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops syncing; breakers the cluster held open keep the cluster's deadline, then recover locally. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    releaseNamespace(this.registry, this.options.namespace);
    this.unschedule();
    this.unlisten();
    this.stopForgetting();
    this.connected = false;
    this.syncing = false;
    this.commands.removeListener('error', this.noteError);
    this.subscriber.removeListener('ready', this.subscribe);
    this.commands.removeListener('ready', this.checkSetup);
    const now = performance.now();
    for (const tracked of this.tracked.values()) this.release(tracked, now);
    const ended = [this.subscriber, ...(this.owned ? [this.commands] : [])].map(whenEnded); // before disconnect(): a client never connected ends within it
    this.subscriber.disconnect();
    if (this.owned) this.commands.disconnect();
    await Promise.all(ended); // closed at once (LEAVING_AT_ONCE): nothing of the connection outlives it
  }

  /** The first sync once both connections are up, or once a command would have timed out: Redis down at the start means local decisions, not a `ready` that never comes. */
  private async start(): Promise<void> {
    const patience = new Promise<void>((resolve) => setTimeout(resolve, 2 * this.deadlineMs).unref());
    await Promise.race([Promise.all([whenReady(this.commands), whenReady(this.subscriber)]), patience]);
    if (this.subscriber.status === 'ready') await this.subscribe();
    await this.setupChecked; // started by the connection's 'ready', before whenReady's listener ran
    await this.syncOnce();
  }

  /** A connection error is kept for the 'lost' event and `status` of the syncs it fails; ioredis reconnects by itself. */
  private readonly noteError = (error: Error): void => {
    this.connectionError = error.message;
  };

  private readonly checkSetup = (): void => {
    this.setupChecked = setupProblem(this.commands, this.deadlineMs).then((problem) => {
      this.setupError = problem;
    });
  };

  private readonly subscribe = (): Promise<void> =>
    withinDeadline(this.subscriber.subscribe(this.channel), this.deadlineMs, 'subscribing').then(
      () => void (this.subscriptionRefused = false),
      (error: unknown) => {
        this.noteError(error as Error);
        // Refused, not unanswered (an ACL without the channel): the syncs still work, so nothing
        // else would say that decisions now reach this node an interval late.
        if ((error as Error).name !== 'ReplyError' || this.subscriptionRefused) return;
        this.subscriptionRefused = true;
        process.emitWarning(
          `breakwater/cluster: Redis refused the subscription to "${this.channel}" (${(error as Error).message}): this node learns the cluster's decisions from its syncs alone, up to ${this.options.syncIntervalMs} ms late; give its Redis user the channel (ACL: &${this.channel})`,
          { code: 'BREAKWATER_CLUSTER_SUBSCRIBE' },
        );
      },
    );

  /**
   * One sync at a time, none before start() is done: a call meanwhile waits for it. The schedule's
   * ran beside start()'s wait for the connections and its first sync: on a loaded machine it found
   * the client not ready yet, or a first sync of 2,000 breakers out ("Redis has not answered the
   * previous sync yet"), a false 'lost' from a healthy Redis (an outside harness: 8 of 13 runs).
   */
  private sync(): Promise<void> {
    return (this.syncUnderWay ??= this.syncOnce().finally(() => (this.syncUnderWay = undefined)));
  }

  /** One sync: every breaker whose window changed (or that the cluster holds, or never synced, or whose Redis node failed) in one pipeline per node. */
  private async syncOnce(): Promise<void> {
    if (this.closed) return;
    if (this.host !== undefined) {
      this.syncing = this.registry.holdsHostControl(Math.max(1000, 4 * this.options.syncIntervalMs));
      if (!this.syncing) {
        // A process that does not sync reports its own connection: whether its clients reach Redis.
        this.connected = this.commands.status === 'ready' && this.subscriber.status === 'ready';
        return;
      }
      this.registry.adoptHostBreakers(); // the host's breakers, whichever process named them
    }
    if (this.setupError !== undefined) {
      const now = performance.now();
      for (const tracked of this.tracked.values()) this.lostBreaker(tracked, now);
      return this.lost(new Error(this.setupError));
    }
    const batch: Synced[] = [];
    for (const entry of this.registry.entries()) {
      let tracked = this.byEntry.get(entry);
      if (tracked === undefined) {
        const key = breakerKey(entry.kind, entry.name);
        tracked = this.tracked.get(key) ?? this.track(key);
        this.byEntry.set(entry, tracked);
      }
      const { line, rejections, open } = windowReading(entry.breaker);
      // The probe lease goes only to a node that refused calls since its last sync: one that gets no
      // calls (drained by its load balancer, say) would hold it without probing, and the others open.
      const wantsProbe = rejections > tracked.rejections;
      tracked.rejections = rejections;
      // A breaker open here syncs each interval, changed or not: one that tripped on its own window
      // before the cluster opened learns the cluster's hold and lease from its syncs when no message
      // reaches it (its subscriber on a hung Redis Cluster master); before, it probed on its own.
      if (line !== tracked.pushed || tracked.open || tracked.held || open) {
        batch.push({ tracked, breaker: entry.breaker, line, wantsProbe });
      }
    }
    const interval = this.options.syncIntervalMs;
    const sentAt = performance.now();
    const { replies, error, failedNodes } = await this.pipelines.send(
      batch.map(({ tracked, breaker, line, wantsProbe }) => ({
        keys: tracked.keys,
        slot: tracked.slot,
        key: tracked.key,
        line,
        wantsProbe,
        heldMs: tracked.held ? tracked.openUntil - sentAt : 0,
        judged: judged(tracked, breaker, interval),
      })),
    );
    if (this.closed) return; // a reply that comes after close() moves no breaker: nothing would release it
    if (failedNodes.size > 0) this.pushAgainOn(failedNodes);
    const now = performance.now();
    batch.forEach(({ tracked, breaker, line }, i) => {
      // Removed while the sync was in flight: a breaker made again under its name syncs next time.
      if (!this.registry.holds(tracked.kind, tracked.name, breaker)) return;
      const reply = replies[i];
      if (reply instanceof Error) {
        tracked.pushed = ''; // its window pushes again with its next sync
        return this.lostBreaker(tracked, now);
      }
      tracked.lostSince = NaN;
      tracked.pushed = line;
      const [open, remainingMs, epoch, probe, , , , , optionsDiffer, decided, repaired] = reply;
      if (optionsDiffer === 1 && !tracked.warnedOptions) warnOptionsDiffer(tracked);
      if (repaired !== 0) warnRepaired(tracked, repaired);
      if (decided === 0) {
        // Redis holds no decision of the breaker (it lost its keys): no close, which only a probe
        // decides. A hold ends as when Redis is lost: the cluster's deadline, then local decisions.
        tracked.epoch = Math.max(tracked.epoch, epoch);
        return this.release(tracked, now);
      }
      this.apply(tracked, breaker, open === 1 ? 'open' : 'closed', remainingMs, epoch);
      if (open === 1 && probe === 1) this.probe(tracked, breaker, epoch);
      else if (tracked.probing >= 0 && open === 1) this.hold(tracked, breaker, remainingMs); // the lease went elsewhere
    });
    if (error !== undefined) return this.lost(error);
    this.syncs++;
    this.connectionError = undefined;
    this.connected = true;
    // lastError stands from a failed sync to the next that succeeds: 'lost' was announced then.
    if (this.lastError !== undefined) {
      this.lastError = undefined;
      this.emit({ type: 'restored', reason: 'a sync succeeded again' });
    }
  }

  /**
   * Every breaker whose keys a failed node serves pushes its window again once the node answers,
   * changed or not: the node may come back without it (restarted, or failed over to a replica that
   * lagged). The breakers of the nodes that answered push only what changed, as ever.
   */
  private pushAgainOn(nodes: ReadonlySet<string>): void {
    for (const tracked of this.tracked.values())
      if (nodes.has(this.pipelines.nodeOf(tracked.slot))) tracked.pushed = '';
  }

  /** Forgets the breakers the registry no longer holds (removed or disposed): passing names leave nothing behind. */
  private track(key: string): Tracked {
    const { kind, name } = splitBreakerKey(key);
    const prefix = breakerKeyPrefix(this.options.namespace, kind, name);
    const tracked: Tracked = {
      key,
      kind,
      name,
      keys: [`${prefix}:windows`, `${prefix}:state`, `${prefix}:probe`],
      slot: keySlot(prefix),
      pushed: '',
      rejections: 0,
      epoch: 0,
      open: false,
      openUntil: 0,
      held: false,
      heldEpoch: -1,
      probing: -1,
      judged: undefined,
      warnedOptions: false,
      warnedRepair: false,
      lostSince: NaN,
    };
    this.tracked.set(key, tracked);
    return tracked;
  }

  /** Applies the cluster's state of a breaker (from a sync or a message) when it is news. */
  private apply(
    tracked: Tracked,
    breaker: CircuitBreaker,
    state: TransitionMessage['state'],
    remainingMs: number,
    epoch: number,
  ): void {
    if (epoch < tracked.epoch) return;
    tracked.epoch = epoch;
    if (state === 'open') {
      // Never past the breaker's own longest open period: a deadline Redis holds may be garbage,
      // or stand on a clock that stepped back.
      const heldFor = Math.min(remainingMs, breaker.options.maxRecoveryTimeout);
      tracked.open = true;
      tracked.openUntil = performance.now() + heldFor;
      if (tracked.probing !== epoch) this.hold(tracked, breaker, heldFor);
      return;
    }
    const wasHeld = tracked.held || tracked.probing >= 0;
    tracked.open = false;
    tracked.held = false;
    tracked.probing = -1;
    const now = breaker.getState();
    // Held, or open for the cluster and released since (Redis lost past a lease: before, it stayed
    // open until a call of its own probed): a close of a later epoch is a probe's verdict.
    if ((now === 'open' || now === 'half-open') && (wasHeld || breaker.lastOpenReason() === 'cluster'))
      breaker.clusterMove('closed');
  }

  /** Keeps the breaker open past the cluster's deadline, so that only the probing node probes. */
  private hold(tracked: Tracked, breaker: CircuitBreaker, remainingMs: number): void {
    tracked.probing = -1;
    tracked.held = true;
    const state = breaker.getState();
    if (state === 'forced-open' || state === 'disabled') return;
    // Moved once per decision of the cluster (and whenever it is not open): not each sync while
    // another node probes, and never left to end at the cluster's deadline, where it would probe too.
    const fresh = tracked.heldEpoch !== tracked.epoch;
    tracked.heldEpoch = tracked.epoch;
    if (state !== 'open' || (fresh && breaker.getMetrics().retryAfterMs < remainingMs + this.holdMs / 2))
      breaker.clusterMove('open', Math.min(MAX_PERIOD_MS, remainingMs + this.holdMs));
  }

  /** This node holds the probe lease: its breaker may go half-open now and probe for the cluster. */
  private probe(tracked: Tracked, breaker: CircuitBreaker, epoch: number): void {
    if (tracked.probing === epoch) return;
    tracked.probing = epoch;
    tracked.held = false;
    if (breaker.getState() === 'open') breaker.clusterMove('open', 0);
  }

  /** The probing node's local verdict (its half-open breaker closed or opened again) becomes the cluster's. */
  private observe(event: BreakerEvent): void {
    if (event.event_type !== 'transition' || this.closed) return;
    const tracked = this.tracked.get(breakerKey(event.kind, event.breaker));
    const detail = event.detail as { from?: string; to?: string } | null;
    if (tracked === undefined || tracked.probing < 0 || detail?.from !== 'half-open') return;
    const breaker = this.registry.get(event.kind, event.breaker);
    if (breaker === undefined) return;
    const verdict = detail.to === 'closed' ? 'closed' : 'open';
    const recoveryMs = verdict === 'open' ? Math.max(1, breaker.getMetrics().retryAfterMs) : 0;
    const epoch = tracked.probing;
    const sending = this.commands.breakwaterVerdict(
      ...tracked.keys,
      this.options.nodeId,
      verdict,
      recoveryMs,
      this.channel,
      epoch,
      tracked.key,
    );
    withinDeadline(sending, this.deadlineMs, 'a probe verdict').catch((error: unknown) => {
      this.lost(error);
      this.lostBreaker(tracked, performance.now());
    });
  }

  private receive(text: string): void {
    if (!this.syncing || this.closed) return; // the host's syncing process applies it, to the slots every process shares
    const message = parseTransitionMessage(text);
    if (message === undefined) return; // not ours: another program publishing on the channel
    const { kind, name } = splitBreakerKey(message.key);
    const breaker = this.registry.get(kind, name);
    if (breaker === undefined) return;
    const tracked = this.tracked.get(message.key) ?? this.track(message.key);
    if (message.epoch <= tracked.epoch) return;
    this.apply(tracked, breaker, message.state, message.remainingMs, message.epoch);
  }

  /**
   * Redis, or on Redis Cluster one of its masters, lost, hung or slow: the status says so and a
   * 'lost' event fires; the breakers whose syncs fail decide locally until one succeeds.
   */
  private lost(error: unknown): void {
    if (this.closed) return;
    this.failedSyncs++;
    // A client without a connection fails a command at once with its own words ("Stream isn't
    // writeable..."); the reason is the connection's error, with the address it tried.
    // A Redis that accepted the connection and never answered (hung, or stopped) gave no error:
    // the reason says so, with the client's status.
    // A Redis Cluster client may be ready while one of its masters is not: that master's failure
    // names it (NodeSyncError).
    const unconnected = this.commands.status !== 'ready' && !(error instanceof NodeSyncError);
    const announced = this.lastError !== undefined; // a Redis down from the start is announced too
    this.lastError = unconnected
      ? `Redis ${redisAddress(this.commands)} is not connected: ${this.connectionError ?? `no answer yet (the client is at "${this.commands.status}")`}`
      : messageOf(error);
    this.connected = false;
    if (!announced) this.emit({ type: 'lost', reason: this.lastError });
  }

  /**
   * A breaker whose sync failed. A hold of the cluster's stays for one probe lease first, so a
   * blip shorter than that (a slow answer, a moment's failover) moves none; released at once, every
   * node whose cluster period was over probed the dependency while another node held the lease.
   */
  private lostBreaker(tracked: Tracked, now: number): void {
    if (Number.isNaN(tracked.lostSince)) tracked.lostSince = now;
    if (now - tracked.lostSince >= this.leaseMs) this.release(tracked, now);
  }

  /** A breaker held open for the cluster keeps its deadline and then recovers on its own. */
  private release(tracked: Tracked, now: number): void {
    if (!tracked.held && tracked.probing < 0) return;
    tracked.held = false;
    tracked.heldEpoch = -1;
    tracked.probing = -1;
    tracked.open = false;
    tracked.pushed = '';
    const breaker = this.registry.get(tracked.kind, tracked.name);
    if (breaker?.getState() === 'open') breaker.clusterMove('open', Math.max(0, tracked.openUntil - now));
  }

  private emit(event: ClusterEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
