import { describe, expect, it } from 'vitest';
import { runOnSmallTmpfs } from '../small-tmpfs';
import { arenaFolder, ENTRY } from './processes';

describe('a host arena on a file system too small for it', () => {
  it('is refused at open, naming the options that size it, and the process goes on', () => {
    const folder = arenaFolder();
    // 200 breakers of 20 buckets with histograms take about 1.9 MiB; the file system holds 1 MiB.
    const script = `
      const { Registry } = require(${JSON.stringify(ENTRY)});
      const { statSync } = require('node:fs');
      const directory = process.argv.at(-1);
      try {
        const registry = new Registry({ host: { name: 'large', directory, capacity: 200 } });
        for (let i = 0; i < 200; i++) registry.getOrCreate('endpoint', 'dependency-' + i).executeSync(() => i);
        console.log('opened');
      } catch (error) {
        console.log(error.message);
      }
      console.log('left behind: ' + statSync(directory + '/breakwater-large').size + ' bytes');
      const registry = new Registry({ host: { name: 'small', directory, capacity: 50 } });
      let calls = 0;
      for (let i = 0; i < 50; i++) calls += registry.getOrCreate('endpoint', 'dependency-' + i).executeSync(() => 1);
      console.log('small arena: ' + calls + ' calls');
    `;
    const child = runOnSmallTmpfs(script, folder, 1);
    // Without the reservation, the first write past the file system's room is SIGBUS: the process dies.
    expect({ signal: child.signal, status: child.status, stderr: child.stderr }).toEqual({
      signal: null,
      status: 0,
      stderr: '',
    });
    const [refusal, leftBehind, small] = child.stdout.trim().split('\n');
    expect(refusal).toMatch(/^breakwater: host arena: cannot reserve \d+ bytes for .*breakwater-large: No space left/);
    expect(refusal).toContain('host.capacity 200, host.maxBuckets 20, latency histograms on');
    // An empty file is a fresh one to the next process that opens it.
    expect(leftBehind).toBe('left behind: 0 bytes');
    expect(small).toBe('small arena: 50 calls');
  });
});
