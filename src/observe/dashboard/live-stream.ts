import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Disposer } from '../../events';
import type { Registry } from '../../registry/registry';
import type { BreakerEvent } from '../../registry/event';
import type { SharedSnapshot } from '../registry-snapshot';
import { eventsJsonArray } from '../event-json';
import { overviewOf } from './overview';
import { HttpError } from './respond';

/** Events forwarded to pages as they happen; periodic 'window' summaries are not (the overview covers them). */
const FORWARDED = new Set<BreakerEvent['event_type']>(['transition', 'tuning', 'prediction', 'recovery', 'rollout']);
/** Events sent in one message at most; a burst beyond it is counted in `skipped`, the page refreshes instead. */
const MAX_BATCH = 500;
/** How long events are gathered before they are sent together. */
const BATCH_MS = 200;

/** How many live pages a dashboard serves at once, and how far behind one may fall. */
export interface LiveStreamLimits {
  /** Concurrent event streams; one more is refused with 503. */
  maxClients: number;
  /** Bytes a stream may leave unsent when the next message is due; beyond it the stream is closed. */
  maxBacklogBytes: number;
}

/** What the live stream has done, for the dashboard's own metrics. */
export interface LiveStreamCounts {
  clients: number;
  maxClients: number;
  /** Streams refused because maxClients were connected. */
  refused: number;
  /** Streams closed because they fell more than maxBacklogBytes behind. */
  droppedSlow: number;
}

/**
 * Server-sent events for the page (GET /circuit-breakers/events): `overview` every
 * `updateEveryMs` and right after changes, and `breaker-events` with the transitions, tuning and
 * other events gathered over 200 ms. It listens to the registry only while a page is connected,
 * and its timers are unref'd. At most `maxClients` pages at once; a page that does not read is closed.
 */
export class LiveStream {
  private readonly clients = new Set<ServerResponse>();
  private refused = 0;
  private droppedSlow = 0;
  private unsubscribe: Disposer | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private pending: BreakerEvent[] = [];
  private skipped = 0;

  constructor(
    private readonly registry: Pick<Registry, 'onEvent'>,
    private readonly snapshot: SharedSnapshot,
    private readonly updateEveryMs: number,
    private readonly limits: LiveStreamLimits,
  ) {}

  /** Connected pages. */
  get size(): number {
    return this.clients.size;
  }

  get counts(): LiveStreamCounts {
    return {
      clients: this.clients.size,
      maxClients: this.limits.maxClients,
      refused: this.refused,
      droppedSlow: this.droppedSlow,
    };
  }

  /** Takes over a request as an event stream until the page goes away; a 503 when maxClients are connected. */
  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.clients.size >= this.limits.maxClients) {
      this.refused++;
      throw new HttpError(
        503,
        `the dashboard already serves ${this.limits.maxClients} live pages (option maxLiveClients); close one or retry later`,
        { 'Retry-After': '10' },
      );
    }
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      // Proxies such as nginx buffer responses unless told not to.
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    this.clients.add(res);
    req.socket.setNoDelay(true);
    // The response closes when the page goes away (the request's own 'close' depends on body reading).
    res.on('close', () => this.remove(res));
    this.sendTo(res, `retry: 2000\n\n` + message('overview', overviewOf(this.snapshot.get())));
    this.start();
  }

  /** Ends every stream and stops listening. */
  close(): void {
    for (const client of this.clients) client.end();
    this.clients.clear();
    this.stop();
  }

  private remove(client: ServerResponse): void {
    this.clients.delete(client);
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    if (this.unsubscribe !== undefined) return;
    this.unsubscribe = this.registry.onEvent((event) => this.gather(event));
    this.ticker = setInterval(
      () => this.broadcast(message('overview', overviewOf(this.snapshot.get()))),
      this.updateEveryMs,
    );
    this.ticker.unref();
  }

  private stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.ticker);
    clearTimeout(this.batchTimer);
    this.ticker = this.batchTimer = undefined;
    this.pending = [];
    this.skipped = 0;
  }

  private gather(event: BreakerEvent): void {
    if (!FORWARDED.has(event.event_type)) return;
    if (this.pending.length < MAX_BATCH) this.pending.push(event);
    else this.skipped++;
    if (this.batchTimer !== undefined) return;
    this.batchTimer = setTimeout(() => this.sendBatch(), BATCH_MS);
    this.batchTimer.unref();
  }

  private sendBatch(): void {
    this.batchTimer = undefined;
    // An event that cannot be serialised is left out and counted with the skipped ones.
    let skipped = this.skipped;
    const events = eventsJsonArray(this.pending, () => skipped++);
    this.pending = [];
    this.skipped = 0;
    this.snapshot.invalidate();
    this.broadcast(
      jsonMessage('breaker-events', `{"events":${events},"skipped":${skipped}}`) +
        message('overview', overviewOf(this.snapshot.get())),
    );
  }

  private broadcast(text: string): void {
    for (const client of this.clients) this.sendTo(client, text);
  }

  /**
   * Writes a message, unless the page left more than maxBacklogBytes of earlier ones unsent: such
   * a page is not reading, and holding every message for it would grow without bound. It is closed
   * (an EventSource reconnects and starts from a fresh overview).
   */
  private sendTo(client: ServerResponse, text: string): void {
    if (client.writableLength > this.limits.maxBacklogBytes) {
      this.droppedSlow++;
      this.remove(client);
      client.destroy();
      return;
    }
    client.write(text);
  }
}

/** One SSE message; JSON never contains a raw newline, so `data:` is one line. */
function jsonMessage(event: string, json: string): string {
  return `event: ${event}\ndata: ${json}\n\n`;
}

function message(event: string, data: unknown): string {
  return jsonMessage(event, JSON.stringify(data));
}
