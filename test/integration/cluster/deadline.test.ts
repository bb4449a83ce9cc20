import { execFileSync } from 'node:child_process';
import Redis from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { withinDeadline } from '../../../src/cluster/redis';
import { useCluster } from './harness';
import { CLI } from './redis-server';

// A real redis-server. A process starved of CPU runs its due timers before it reads its sockets;
// blocking this one synchronously puts it in that place, with Redis's answer waiting in the socket.
const { redis } = useCluster();
const clients: Redis[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

/** Blocks this process until redis-cli reads `value` at `key`: Redis has run (and answered) the command that set it. */
function blockUntilRedisHolds(key: string, value: string): void {
  const port = String(redis().port);
  while (execFileSync(CLI, ['-p', port, 'GET', key]).toString().trim() !== value);
}

/** Blocks this process until `ms` have passed since `from`: a deadline set at `from` is due. */
function blockPast(from: number, ms: number): void {
  while (performance.now() - from < ms);
}

describe('a deadline on a Redis command', () => {
  it('counts an answer that came while the process was blocked past the deadline', async () => {
    const client = new Redis(redis().url);
    clients.push(client);
    await client.ping();
    const sentAt = performance.now();
    const answer = withinDeadline(client.set('deadline:blocked', 'done'), 20, 'a SET');
    blockUntilRedisHolds('deadline:blocked', 'done');
    blockPast(sentAt, 40);
    // Before, the due timer ran first: "a SET got no answer from Redis within 20 ms".
    await expect(answer).resolves.toBe('OK');
  });

  it('still fails a command Redis has not answered by then', async () => {
    const client = new Redis(redis().url);
    clients.push(client);
    await client.ping();
    // CLIENT PAUSE holds every write command's answer for 500 ms; this process waits on nothing else.
    await client.call('CLIENT', 'PAUSE', '500', 'WRITE');
    await expect(withinDeadline(client.set('deadline:paused', 'done'), 20, 'a SET')).rejects.toThrow(
      'a SET got no answer from Redis within 20 ms',
    );
  });
});
