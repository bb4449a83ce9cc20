import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Disposer } from '../../events';
import type { Registry } from '../../registry/registry';
import type { BreakerEvent } from '../event';
import type { OverviewCache } from './overview';

/** Events forwarded to pages as they happen; periodic 'window' summaries are not (the overview covers them). */
const FORWARDED = new Set<BreakerEvent['event_type']>(['transition', 'tuning', 'prediction', 'recovery', 'rollout']);
/** Events sent in one message at most; a burst beyond it is counted in `skipped`, the page refreshes instead. */
const MAX_BATCH = 500;
/** How long events are gathered before they are sent together. */
const BATCH_MS = 200;

interface Client {
  res: ServerResponse;
  /** The socket's buffer is full: skip messages until it drains (the next overview catches up). */
  congested: boolean;
}

/**
 * Server-sent events for the page (GET /circuit-breakers/events): `overview` every
 * `updateEveryMs` and right after changes, and `breaker-events` with the transitions, tuning and
 * other events gathered over 200 ms. It listens to the registry only while a page is connected,
 * and its timers are unref'd.
 */
export class LiveStream {
  private readonly clients = new Set<Client>();
  private unsubscribe: Disposer | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private pending: BreakerEvent[] = [];
  private skipped = 0;

  constructor(
    private readonly registry: Pick<Registry, 'onEvent'>,
    private readonly overview: OverviewCache,
    private readonly updateEveryMs: number,
  ) {}

  /** Connected pages. */
  get size(): number {
    return this.clients.size;
  }

  /** Takes over a request as an event stream until the page goes away. */
  open(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      // Proxies such as nginx buffer responses unless told not to.
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    const client: Client = { res, congested: false };
    res.on('drain', () => (client.congested = false));
    this.clients.add(client);
    req.socket.setNoDelay(true);
    // The response closes when the page goes away (the request's own 'close' depends on body reading).
    res.on('close', () => this.remove(client));
    this.sendTo(client, `retry: 2000\n\n`);
    this.sendTo(client, message('overview', this.overview.get()));
    this.start();
  }

  /** Ends every stream and stops listening. */
  close(): void {
    for (const client of this.clients) client.res.end();
    this.clients.clear();
    this.stop();
  }

  private remove(client: Client): void {
    this.clients.delete(client);
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    if (this.unsubscribe !== undefined) return;
    this.unsubscribe = this.registry.onEvent((event) => this.gather(event));
    this.ticker = setInterval(() => this.broadcast(message('overview', this.overview.get())), this.updateEveryMs);
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
    const events = this.pending;
    const skipped = this.skipped;
    this.pending = [];
    this.skipped = 0;
    this.overview.invalidate();
    this.broadcast(message('breaker-events', { events, skipped }) + message('overview', this.overview.get()));
  }

  private broadcast(text: string): void {
    for (const client of this.clients) if (!client.congested) this.sendTo(client, text);
  }

  private sendTo(client: Client, text: string): void {
    if (!client.res.write(text)) client.congested = true;
  }
}

/** One SSE message; JSON never contains a raw newline, so `data:` is one line. */
function message(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
