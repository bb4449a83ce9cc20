import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BreakerEvent } from '../../../src/registry/event';
import { createJsonlSink } from '../../../src/observe/sinks/jsonl';
import { bundleForChild, makeEvent, makeEvents, removeTempFolders, tempFolder } from './events';

afterAll(removeTempFolders);

const readLines = (path: string): string[] => {
  const text = readFileSync(path, 'utf8');
  return text === '' ? [] : text.split('\n').slice(0, -1);
};

/** Runs a child process that appends events to `path` through the sink; resolves with its stdout lines. */
function runChild(
  bundle: string,
  path: string,
  body: string,
): { child: ReturnType<typeof spawn>; lines: string[]; exited: Promise<NodeJS.Signals | number | null> } {
  const template = JSON.stringify(makeEvent(0));
  const script = `
    const { createJsonlSink } = require(${JSON.stringify(bundle)});
    const template = ${template};
    const event = (i, pad) => ({ ...template, timestamp: i, breaker: process.argv[1] + '-' + i, detail: pad ? { pad } : null });
    const sink = createJsonlSink({ path: ${JSON.stringify(path)}, maxBytes: 1e9, maxQueuedEvents: 1e6 });
    ${body}
  `;
  const child = spawn(process.execPath, ['-e', script, `child${Math.random().toString(36).slice(2, 6)}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<NodeJS.Signals | number | null>((done) =>
    child.on('exit', (code, signal) => done(signal ?? code)),
  );
  return { child, lines, exited };
}

describe('JSONL sink', () => {
  it('writes each event as one JSON line with the fixed schema', async () => {
    const path = join(tempFolder('jsonl'), 'events.jsonl');
    const sink = createJsonlSink({ path });
    const events = makeEvents(0, 50);
    sink.write(events.slice(0, 20));
    sink.write(events.slice(20));
    await sink.close();
    expect(readLines(path).map((line) => JSON.parse(line) as BreakerEvent)).toEqual(events);
    expect(sink.written).toBe(50);
    expect(sink.dropped).toBe(0);
  });

  it('rotates by size, renaming to path.1 .. path.N and keeping maxFiles', async () => {
    const path = join(tempFolder('rotate'), 'events.jsonl');
    const maxBytes = 4096;
    const sink = createJsonlSink({ path, maxBytes, maxFiles: 2 });
    const events = makeEvents(0, 60);
    for (const event of events) {
      sink.write([event]);
      await sink.flush();
    }
    await sink.close();
    expect(existsSync(`${path}.1`)).toBe(true);
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    expect(sink.rotations).toBeGreaterThan(2);
    for (const file of [`${path}.2`, `${path}.1`, path]) expect(statSync(file).size).toBeLessThanOrEqual(maxBytes);
    // Oldest file first, the kept events are the newest ones, in order and whole.
    const kept = [`${path}.2`, `${path}.1`, path].flatMap(readLines).map((line) => JSON.parse(line) as BreakerEvent);
    expect(kept).toEqual(events.slice(events.length - kept.length));
  });

  it('keeps appending to the live file, losing nothing, when a rotation cannot rename', async () => {
    const path = join(tempFolder('rotate-fails'), 'events.jsonl');
    mkdirSync(`${path}.1`);
    writeFileSync(join(`${path}.1`, 'in-the-way'), '');
    const sink = createJsonlSink({ path, maxBytes: 2048, maxFiles: 1 });
    const events = makeEvents(0, 20);
    for (const event of events) {
      sink.write([event]);
      await sink.flush();
    }
    await sink.close();
    expect(sink.rotations).toBe(0);
    expect(sink.lastError).toBeInstanceOf(Error);
    expect(sink.dropped).toBe(0);
    expect(readLines(path).map((line) => JSON.parse(line) as BreakerEvent)).toEqual(events);
  });

  it('keeps lines whole when batches arrive while a write is in flight and two sinks share the file', async () => {
    const path = join(tempFolder('concurrent'), 'events.jsonl');
    const a = createJsonlSink({ path, maxBytes: 1e9 });
    const b = createJsonlSink({ path, maxBytes: 1e9 });
    const pad = 'y'.repeat(5000);
    for (let round = 0; round < 40; round++) {
      a.write(makeEvents(round * 100, 50).map((e) => ({ ...e, breaker: `a-${e.timestamp}`, detail: { pad } })));
      b.write(makeEvents(round * 100 + 50, 50).map((e) => ({ ...e, breaker: `b-${e.timestamp}`, detail: { pad } })));
      if (round % 3 === 0) await new Promise((tick) => setImmediate(tick));
    }
    await Promise.all([a.close(), b.close()]);
    const parsed = readLines(path).map((line) => JSON.parse(line) as BreakerEvent);
    expect(parsed).toHaveLength(4000);
    expect(new Set(parsed.map((e) => e.breaker)).size).toBe(4000);
    // Each sink's own events stay in the order it wrote them.
    const fromA = parsed.filter((e) => e.breaker.startsWith('a-')).map((e) => e.timestamp);
    expect(fromA).toEqual([...fromA].sort((x, y) => x - y));
  });

  it('keeps lines whole with two processes appending to one file at once', async () => {
    const folder = tempFolder('processes');
    const bundle = bundleForChild('src/observe/sinks/jsonl.ts', folder);
    const path = join(folder, 'events.jsonl');
    const body = `
      const pad = 'z'.repeat(3000);
      (async () => {
        for (let round = 0; round < 30; round++) {
          const batch = [];
          for (let k = 0; k < 100; k++) batch.push(event(round * 100 + k, pad));
          sink.write(batch);
          if (round % 2 === 0) await sink.flush();
        }
        await sink.close();
        console.log('done', sink.written, sink.dropped);
      })();
    `;
    const first = runChild(bundle, path, body);
    const second = runChild(bundle, path, body);
    expect(await first.exited).toBe(0);
    expect(await second.exited).toBe(0);
    expect(first.lines).toEqual(['done 3000 0']);
    const parsed = readLines(path).map((line) => JSON.parse(line) as BreakerEvent);
    expect(parsed).toHaveLength(6000);
    expect(new Set(parsed.map((e) => e.breaker)).size).toBe(6000);
  });

  it('leaves only whole lines after the writing process is killed mid-write', async () => {
    const folder = tempFolder('killed');
    const bundle = bundleForChild('src/observe/sinks/jsonl.ts', folder);
    const path = join(folder, 'events.jsonl');
    // Batches of ~1.5 MB keep a write in flight nearly all the time, so the kill lands inside one.
    const { child, lines, exited } = runChild(
      bundle,
      path,
      `
      const pad = 'k'.repeat(3000);
      let i = 0;
      const loop = () => {
        const batch = [];
        for (let k = 0; k < 500; k++) batch.push(event(i++, pad));
        sink.write(batch);
        sink.flush().then(() => { console.log('flushed ' + sink.written); loop(); });
      };
      loop();
    `,
    );
    await new Promise<void>((ready) => {
      const check = (): void => (lines.length >= 3 ? ready() : void setTimeout(check, 5));
      check();
    });
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const flushedBeforeKill = Math.max(...lines.map((line) => Number(line.split(' ')[1])));
    // Opening the file again cuts off a line the kill may have torn; every line left parses.
    const sink = createJsonlSink({ path, maxBytes: 1e9 });
    sink.write([makeEvent(999_999)]);
    await sink.close();
    const all = readLines(path);
    const parsed = all.map((line) => JSON.parse(line) as BreakerEvent);
    expect(parsed.length).toBeGreaterThanOrEqual(flushedBeforeKill + 1);
    expect(parsed.at(-1)!.timestamp).toBe(makeEvent(999_999).timestamp);
  });

  it('repairs a torn last line left by an earlier writer', async () => {
    const path = join(tempFolder('torn'), 'events.jsonl');
    writeFileSync(path, `${JSON.stringify(makeEvent(1))}\n{"timestamp":17000`);
    const sink = createJsonlSink({ path });
    sink.write([makeEvent(2)]);
    await sink.close();
    expect(readLines(path).map((line) => JSON.parse(line) as BreakerEvent)).toEqual([makeEvent(1), makeEvent(2)]);
  });

  it('keeps the oldest events that fit and counts the rest when too many wait, without blocking the caller', async () => {
    const path = join(tempFolder('behind'), 'events.jsonl');
    const sink = createJsonlSink({ path, maxQueuedEvents: 100 });
    sink.write(makeEvents(0, 60));
    sink.write(makeEvents(60, 60)); // 40 fit, the newest 20 are dropped
    sink.write(makeEvents(120, 40)); // the queue is full: all dropped
    expect(sink.dropped).toBe(60);
    await sink.close();
    expect(sink.written).toBe(100);
    sink.write(makeEvents(200, 5)); // closed: dropped, never thrown
    expect(sink.dropped).toBe(65);
    expect(readLines(path).map((line) => JSON.parse(line) as BreakerEvent)).toEqual(makeEvents(0, 100));
  });

  it('keeps what fits of a burst larger than the whole queue (12,000 events in one batch)', async () => {
    const path = join(tempFolder('burst'), 'events.jsonl');
    const sink = createJsonlSink({ path, maxQueuedEvents: 10_000 });
    sink.write(makeEvents(0, 12_000));
    expect(sink.dropped).toBe(2_000);
    await sink.close();
    expect(sink.written).toBe(10_000);
    expect(readLines(path).map((line) => JSON.parse(line) as BreakerEvent)).toEqual(makeEvents(0, 10_000));
  });

  it('never writes into or closes a descriptor it gave up when its folder vanished at a rotation; resumes when the folder is back', async () => {
    const folder = join(tempFolder('vanished'), 'logs');
    mkdirSync(folder);
    const path = join(folder, 'events.jsonl');
    const sink = createJsonlSink({ path, maxBytes: 1024 });
    sink.write(makeEvents(0, 2));
    await sink.flush();
    const descriptorOf = (file: string): number[] =>
      readdirSync('/proc/self/fd')
        .map(Number)
        .filter((n) => {
          try {
            return readlinkSync(`/proc/self/fd/${n}`).startsWith(file);
          } catch {
            return false;
          }
        });
    const [sinkFd] = descriptorOf(path);
    expect(sinkFd).toBeGreaterThan(2);

    rmSync(folder, { recursive: true });
    sink.write(makeEvents(2, 3)); // over maxBytes: the rotation finds no folder
    await sink.flush();
    expect(sink.dropped).toBe(3);
    expect(sink.lastError).toBeInstanceOf(Error);

    // Another file of the process now gets the number the sink closed.
    const bystanderPath = join(tempFolder('bystander'), 'database.bin');
    writeFileSync(bystanderPath, 'mine\n');
    const bystander = openSync(bystanderPath, 'r+');
    try {
      expect(bystander).toBe(sinkFd);
      sink.write(makeEvents(5, 4));
      await sink.flush();
      sink.write(makeEvents(9, 1));
      await sink.flush();
      expect(sink.dropped).toBe(8);
      expect(() => fstatSync(bystander)).not.toThrow(); // still open: the sink did not close it
      expect(writeSync(bystander, 'still mine\n', 5)).toBeGreaterThan(0);
      expect(readFileSync(bystanderPath, 'utf8')).toBe('mine\nstill mine\n');

      mkdirSync(folder);
      sink.write(makeEvents(10, 2));
      await sink.close();
      expect(sink.dropped).toBe(8);
      expect(readLines(path).map((line) => JSON.parse(line) as BreakerEvent)).toEqual(makeEvents(10, 2));
      expect(readFileSync(bystanderPath, 'utf8')).toBe('mine\nstill mine\n');
    } finally {
      closeSync(bystander);
    }
  });

  it('refuses a file that is not an event history, and leaves it as it was', () => {
    const folder = tempFolder('foreign');
    const config = join(folder, 'config.json');
    const configText = '{\n  "port": 8080,\n  "name": "api"\n}';
    writeFileSync(config, configText);
    expect(() => createJsonlSink({ path: config })).toThrow(
      /JSONL sink file .*config\.json is not an event history \(.*\); expected JSON lines of breakwater events/,
    );
    expect(readFileSync(config, 'utf8')).toBe(configText);

    const logs = join(folder, 'app.log');
    const logText = 'started\nlistening on 8080\n';
    writeFileSync(logs, logText);
    expect(() => createJsonlSink({ path: logs })).toThrow(
      /app\.log is not an event history \(its last line is not a record\)/,
    );
    expect(readFileSync(logs, 'utf8')).toBe(logText);

    // Someone else's JSON lines, the last one cut: not provably ours either.
    const other = join(folder, 'other.jsonl');
    const otherText = '{"level":"info","msg":"a"}\n{"level":"in';
    writeFileSync(other, otherText);
    expect(() => createJsonlSink({ path: other })).toThrow(/other\.jsonl is not an event history/);
    expect(readFileSync(other, 'utf8')).toBe(otherText);
  });

  it('keeps a last event that lost only its newline', async () => {
    const path = join(tempFolder('unterminated'), 'events.jsonl');
    writeFileSync(path, `${JSON.stringify(makeEvent(1))}\n${JSON.stringify(makeEvent(2))}`);
    const sink = createJsonlSink({ path });
    sink.write([makeEvent(3)]);
    await sink.close();
    expect(readLines(path).map((line) => JSON.parse(line) as BreakerEvent)).toEqual([
      makeEvent(1),
      makeEvent(2),
      makeEvent(3),
    ]);
  });

  it('names the missing folder and bad options', () => {
    const missing = join(tempFolder('missing'), 'no-such-folder', 'events.jsonl');
    expect(() => createJsonlSink({ path: missing })).toThrow(
      /JSONL sink file .*events\.jsonl: its folder .*no-such-folder does not exist/,
    );
    expect(() => createJsonlSink({ path: '' })).toThrow(/option path must be a non-empty file path/);
    const folder = tempFolder('a-folder');
    expect(() => createJsonlSink({ path: folder })).toThrow(
      new RegExp(`JSONL sink file ${folder} is a folder; name a file in it, e\\.g\\. ${folder}/events\\.jsonl`),
    );
    expect(() => createJsonlSink({ path: join(tempFolder('bad'), 'e.jsonl'), maxBytes: 0 })).toThrow(
      /option maxBytes must be an integer >= 1, got 0/,
    );
    expect(() => createJsonlSink({ path: join(tempFolder('bad'), 'e.jsonl'), maxFiles: -1 })).toThrow(
      /option maxFiles/,
    );
  });
});
