import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runOnSmallTmpfs } from '../small-tmpfs';
import { removeTempFolders, tempFolder } from './events';

afterAll(removeTempFolders);

/** The built package, as users load it. */
const ENTRY = resolve(__dirname, '../../../dist/index.js');
const OBSERVE = resolve(__dirname, '../../../dist/observe/index.js');
const ADAPTIVE = resolve(__dirname, '../../../dist/adaptive/index.js');

describe('a JSONL event sink on a disk that fills up', () => {
  it('warns once that it drops events, naming the file and the error, and again when it writes again; the file keeps whole lines', () => {
    const folder = tempFolder('full-disk');
    const script = `
      const { Registry, ManualClock } = require(${JSON.stringify(ENTRY)});
      const { collectBreakwaterMetrics, createJsonlSink } = require(${JSON.stringify(OBSERVE)});
      const { readEventHistory } = require(${JSON.stringify(ADAPTIVE)});
      const { rmSync, writeFileSync } = require('node:fs');
      const directory = process.argv.at(-1);
      process.on('warning', (warning) => {
        if (warning.code === 'BREAKWATER_SINK_ERROR') console.log('warning: ' + warning.message);
      });
      writeFileSync(directory + '/filler', Buffer.alloc(1000 * 1024)); // 24 KiB of the MiB left
      (async () => {
        const clock = new ManualClock(0);
        const registry = new Registry({ clock, summaryEveryMs: 1000 });
        const sink = createJsonlSink({ path: directory + '/events.jsonl' });
        registry.addSink(sink);
        const breakers = Array.from({ length: 50 }, (_, i) => registry.getOrCreate('endpoint', 'dependency-' + i));
        const second = async () => {
          for (const breaker of breakers) breaker.executeSync(() => 1);
          clock.advance(1000); // the tick writes a window summary of each busy breaker
          await sink.flush(); // the write's outcome is in before the next tick looks
        };
        for (let s = 0; s < 20; s++) await second();
        console.log('full: ' + (sink.dropped > 0));
        // What /metrics shows of it: the sink's own count, by its file.
        const exposition = await collectBreakwaterMetrics(registry).register.metrics();
        const sample = exposition.split('\\n').find((line) => line.startsWith('breakwater_events_dropped_total{stage="sink"'));
        console.log('metric: ' + sample.replace(directory, 'DIR').replace(/ \\d+$/, (n) => (Number(n) === sink.dropped ? ' = dropped' : n)));
        rmSync(directory + '/filler');
        for (let s = 0; s < 5; s++) await second();
        await registry.shutdown();
        const events = await readEventHistory(directory + '/events.jsonl');
        console.log('read back: ' + (events.length === sink.written));
        console.log('done');
      })();
    `;
    const child = runOnSmallTmpfs(script, folder, 1);
    expect({
      status: child.status,
      stderr: child.stderr.replace(
        /\(node:\d+\) \[BREAKWATER_SINK_ERROR\][^\n]*\n|\(Use `node --trace-warnings[^\n]*\n/g,
        '',
      ),
    }).toEqual({ status: 0, stderr: '' });
    const lines = child.stdout.trim().split('\n');
    // One warning per cause (the disk's last block taken by part of a batch, then no room at all),
    // not one a second. Before, nothing: a sink counts what it drops and never throws, so a full
    // disk lost the history unsaid.
    const drops = lines.filter((line) => line.includes('dropped events'));
    expect(drops.length).toBeGreaterThanOrEqual(1);
    expect(drops.length).toBeLessThanOrEqual(2);
    for (const line of drops)
      expect(line).toMatch(
        /^warning: breakwater: event sink \/.*\/events\.jsonl dropped events: (ENOSPC: no space left on device, write|breakwater\/observe: JSONL sink .*: short write, the file system took part of a batch \(full\?\)); \d+ dropped in all$/,
      );
    expect(lines.filter((line) => !line.includes('dropped events'))).toEqual([
      'full: true',
      'metric: breakwater_events_dropped_total{stage="sink",sink="DIR/events.jsonl"} = dropped',
      expect.stringMatching(/^warning: breakwater: an event sink writes again, after \d+ failed writes$/),
      // Before, the disk's last bytes held part of a line, the next batch went on after it, and the
      // history reader refused the file: "line N is not JSON".
      'read back: true',
      'done',
    ]);
  });
});
