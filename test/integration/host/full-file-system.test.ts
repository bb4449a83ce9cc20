import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { arenaFolder, ENTRY } from './processes';

/**
 * Runs `script` in a Node process that sees `folder` as a tmpfs of `megabytes` MiB: a small
 * /dev/shm, as a container has by default (64 MiB in Docker). The mount lives in a private mount
 * namespace (util-linux's unshare, unprivileged through a user namespace), so it needs no root
 * and vanishes with the process.
 */
function runOnSmallTmpfs(script: string, folder: string, megabytes: number) {
  const mountThenRun = `mount -t tmpfs -o size=${megabytes}m tmpfs "$0" || exit 97; exec "$@"`;
  const child = spawnSync(
    'unshare',
    ['--mount', '--map-root-user', 'sh', '-c', mountThenRun, folder, process.execPath, '-e', script, '--', folder],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (child.error !== undefined || child.status === 97)
    throw new Error(
      `this test mounts a small tmpfs in a private mount namespace; it needs util-linux's unshare and user namespaces (or root): ${child.error?.message ?? child.stderr}`,
    );
  return child;
}

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
