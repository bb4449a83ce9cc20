import { syncDeadlineMs, withinDeadline, type RedisLike } from './redis';
import { scriptArguments, type ScriptedBreaker, type SyncContext } from './sync-arguments';

/** What a sync sent: each breaker's reply (REPLY_NUMBERS numbers) or the error of the Redis node that holds its keys. */
export interface SyncReplies {
  readonly replies: readonly (readonly number[] | Error)[];
  /** The first error met, a PING's too when nothing was to be sent; undefined when every node answered. */
  readonly error: Error | undefined;
  /** The nodes (as nodeOf names them) that did not answer, or answered with an error. */
  readonly failedNodes: ReadonlySet<string>;
}

/** The numbers of one breaker's reply (scripts.ts, SYNC_SCRIPT). */
const REPLY_NUMBERS = 11;

/** Breakers a sync script takes on a single Redis: about 10 µs each, so one script holds Redis for about 1 ms. */
const BREAKERS_PER_SCRIPT = 100;

/**
 * A sync's scripts on their way to Redis: one pipeline, or on Redis Cluster one per master (a
 * pipeline may only hold keys one node serves), sent at once, each under a deadline of its own. A
 * master that is down, hung or slow fails only the breakers whose keys it serves; the others'
 * replies come back as ever.
 */
export class SyncPipelines {
  /** Pipelines sent, in the connection's life. */
  roundTrips = 0;
  /** Per node, a pipeline it has not answered yet: no other is sent to it meanwhile, so a hung node meets no pile of stale writes when it answers again. */
  private readonly unanswered = new Set<string>();

  constructor(
    private readonly commands: RedisLike,
    private readonly context: SyncContext,
  ) {}

  /** The node that serves `slot` now: its address on Redis Cluster, '' on a single Redis. */
  nodeOf(slot: number): string {
    return this.commands.isCluster === true ? (this.commands.slots?.[slot]?.[0] ?? '') : '';
  }

  /** Sends `breakers` (a PING when there are none, which keeps the lost/restored events true); never rejects. */
  async send(breakers: readonly ScriptedBreaker[]): Promise<SyncReplies> {
    const single = this.commands.isCluster !== true;
    const byNode = new Map<string, number[]>();
    breakers.forEach(({ slot }, i) => {
      const node = this.nodeOf(slot);
      const indexes = byNode.get(node);
      if (indexes === undefined) byNode.set(node, [i]);
      else indexes.push(i);
    });
    if (breakers.length === 0) byNode.set('', []);
    const replies: (readonly number[] | Error)[] = new Array(breakers.length);
    let firstError: Error | undefined;
    const failedNodes = new Set<string>();
    await Promise.all(
      [...byNode].map(async ([node, indexes]) => {
        try {
          const nodeReplies = await this.sendTo(node, indexes, breakers, single);
          indexes.forEach((index, k) => (replies[index] = nodeReplies[k]));
        } catch (caught) {
          const error = onNode(node, caught);
          firstError ??= error;
          failedNodes.add(node);
          for (const index of indexes) replies[index] = error;
        }
      }),
    );
    firstError ??= replies.find((reply): reply is Error => reply instanceof Error);
    return { replies, error: firstError, failedNodes };
  }

  /** One node's pipeline: the replies of its breakers (in `indexes`' order), or a rejection when the node does not answer in time. */
  private async sendTo(
    node: string,
    indexes: readonly number[],
    breakers: readonly ScriptedBreaker[],
    single: boolean,
  ): Promise<(readonly number[] | Error)[]> {
    if (this.unanswered.has(node)) throw new Error('Redis has not answered the previous sync yet');
    const pipeline = this.commands.pipeline();
    if (indexes.length === 0) pipeline.ping();
    // One breaker a script on Redis Cluster (its keys are one slot); on a single Redis, batches
    // short enough that a script holds Redis for about a millisecond.
    const perScript = single ? BREAKERS_PER_SCRIPT : 1;
    const scripts: number[] = [];
    for (let first = 0; first < indexes.length; first += perScript) {
      const inScript = indexes.slice(first, first + perScript).map((i) => breakers[i]);
      pipeline.breakwaterSync(...scriptArguments(this.context, inScript));
      scripts.push(inScript.length);
    }
    this.roundTrips++;
    const sending = pipeline.exec();
    this.unanswered.add(node);
    const settle = (): void => void this.unanswered.delete(node);
    sending.then(settle, settle);
    const answer = await withinDeadline(sending, syncDeadlineMs(this.context.syncIntervalMs, indexes.length), 'a sync');
    if (answer === null) throw new Error('pipeline discarded');
    if (indexes.length === 0 && answer[0]?.[0]) throw answer[0][0]; // the PING failed
    return scripts.flatMap((count, j) => {
      const [error, reply] = answer[j];
      const replies: (readonly number[] | Error)[] = [];
      for (let k = 0; k < count; k++)
        replies.push(error ?? (reply as number[]).slice(REPLY_NUMBERS * k, REPLY_NUMBERS * (k + 1)));
      return replies;
    });
  }
}

/** A sync that failed on one Redis Cluster node: its reason is that node's, whatever the client's state. */
export class NodeSyncError extends Error {}

/** `error` with the Redis Cluster node it came from, when it came from one. */
function onNode(node: string, error: unknown): Error {
  const cause = error instanceof Error ? error : new Error(String(error));
  return node === '' ? cause : new NodeSyncError(`Redis node ${node}: ${cause.message}`, { cause });
}
