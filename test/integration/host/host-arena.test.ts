import {
  chmodSync,
  chownSync,
  existsSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
  closeSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, Registry } from '../../../src';
import { HostArena } from '../../../src/core/host-arena';
import { LAYOUT_VERSION } from '../../../src/core/layout';
import { attachArena } from '../../../src/core/pool';
import { arenaFolder, ENTRY, runNode, startNode } from './processes';

/** A child that opens host arena `name` in `dir` and runs `body` with `breaker` = endpoint "payments". */
function hostScript(body: string): string {
  return `
    const { Registry, CircuitOpenError } = require(${JSON.stringify(ENTRY)});
    const [dir, name] = process.argv.slice(-2);
    const registry = new Registry({ host: { name, directory: dir, capacity: 64 } });
    const breaker = registry.getOrCreate('endpoint', 'payments', { minimumCalls: 10, failureRateThreshold: 50, recoveryTimeout: 600000 });
    (async () => { ${body} })().catch((error) => { console.error(error); process.exit(1); });
  `;
}

describe('a host arena shared by processes', () => {
  it('gives every process the same breaker: totals exact over concurrent processes', async () => {
    const dir = arenaFolder();
    const body = `
      for (let i = 0; i < 50000; i++) breaker.executeSync(() => i);
      await breaker.execute(async () => { throw new Error('one failure'); }).catch(() => {});
      console.log('done');
    `;
    const children = Array.from({ length: 4 }, () => startNode(hostScript(body), [dir, 'shared']));
    expect(await Promise.all(children.map((child) => child.done))).toEqual(Array(4).fill('done\n'));
    const registry = new Registry({ host: { name: 'shared', directory: dir } });
    const metrics = registry
      .getOrCreate('endpoint', 'payments', { minimumCalls: 10, failureRateThreshold: 50 })
      .getMetrics();
    expect(metrics.successes).toBe(200_000);
    expect(metrics.failures).toBe(4);
    expect(metrics.totalCalls).toBe(200_004);
    expect(metrics.state).toBe('closed');
    await registry.shutdown();
  });

  it('shows a trip in one process to the others on their next call', () => {
    const dir = arenaFolder();
    const trip = hostScript(`
      for (let i = 0; i < 10; i++) await breaker.execute(async () => { throw new Error('down'); }).catch(() => {});
      console.log(breaker.getState(), breaker.getMetrics().rejections);
    `);
    const refused = hostScript(`
      const outcome = await breaker.execute(async () => 'sent').catch((error) => error instanceof CircuitOpenError ? 'refused' : String(error));
      console.log(outcome, breaker.getMetrics().rejections);
    `);
    expect(runNode(refused, [dir, 'trip']).trim()).toBe('sent 0');
    // Five failures in a row trip it (the default failureThreshold); its last five calls are refused.
    expect(runNode(trip, [dir, 'trip']).trim()).toBe('open 5');
    expect(runNode(refused, [dir, 'trip']).trim()).toBe('refused 6');
  });

  it('lets a worker thread attach to a host breaker from its handle', async () => {
    const dir = arenaFolder();
    const script = `
      const { Worker } = require('node:worker_threads');
      const { Registry, CircuitBreaker } = require(${JSON.stringify(ENTRY)});
      const [dir] = process.argv.slice(-1);
      const breaker = new Registry({ host: { name: 'threads', directory: dir } }).getOrCreate('task', 'resize');
      const handle = breaker.handle;
      const worker = new Worker(\`
        const { workerData, parentPort } = require('node:worker_threads');
        const { CircuitBreaker } = require(\${JSON.stringify(${JSON.stringify(ENTRY)})});
        const view = CircuitBreaker.fromHandle(workerData);
        for (let i = 0; i < 1000; i++) view.executeSync(() => i);
        parentPort.postMessage('counted');
      \`, { eval: true, workerData: handle });
      worker.on('message', () => worker.terminate().then(() => {
        console.log(JSON.stringify({ buffer: handle.buffer, host: handle.host === ${JSON.stringify(join(dir, 'breakwater-threads'))}, calls: breaker.getMetrics().totalCalls }));
      }));
    `;
    expect(JSON.parse(runNode(script, [dir]))).toEqual({ buffer: null, host: true, calls: 1000 });
  });

  it('keeps the options the breaker was created with, warning with each difference', () => {
    const dir = arenaFolder();
    const create = `
      const { Registry } = require(${JSON.stringify(ENTRY)});
      const [dir, threshold] = process.argv.slice(-2);
      const warnings = [];
      process.on('warning', (warning) => warnings.push(warning.code + ': ' + warning.message));
      const breaker = new Registry({ host: { name: 'options', directory: dir } })
        .getOrCreate('endpoint', 'search', { failureRateThreshold: Number(threshold), timeout: 123 });
      setImmediate(() => console.log(JSON.stringify({ threshold: breaker.options.failureRateThreshold, timeout: breaker.options.timeout, warnings })));
    `;
    expect(JSON.parse(runNode(create, [dir, '30']))).toEqual({ threshold: 30, timeout: 123, warnings: [] });
    const second = JSON.parse(runNode(create, [dir, '70']));
    expect(second.threshold).toBe(30);
    expect(second.timeout).toBe(123);
    expect(second.warnings).toEqual([
      expect.stringMatching(
        /^BREAKWATER_HOST_OPTIONS: .*"endpoint\/search" in host arena .*breakwater-options keeps the options a process of the host configured it with: failureRateThreshold 30 \(asked 70\)$/,
      ),
    ]);
  });

  it('refuses a breaker with more window buckets than the arena holds, naming the option', () => {
    const dir = arenaFolder();
    const registry = new Registry({ host: { name: 'buckets', directory: dir, maxBuckets: 4 } });
    expect(() => registry.getOrCreate('endpoint', 'wide', { slidingWindowBuckets: 10 })).toThrow(
      /slidingWindowBuckets of "endpoint\/wide" is 10, more than host arena .*breakwater-buckets holds \(4; set host.maxBuckets/,
    );
  });
});

/** The host layout a test needs to forge files (native/LAYOUT.md "Host arenas"). */
const HOST_HEADER_BYTES = 4096;
const ENTRY_BYTES = 384;

function fnv1a(text: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text)) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash;
}

describe('a host arena no crash can wedge', () => {
  it('stays usable after processes creating breakers are killed at any instant', async () => {
    const dir = arenaFolder();
    const churn = `
      const { Registry } = require(${JSON.stringify(ENTRY)});
      const [dir] = process.argv.slice(-1);
      const registry = new Registry({ host: { name: 'churn', directory: dir, capacity: 2048 } });
      console.log('open');
      for (let round = 0; ; round++) {
        for (let i = 0; i < 1000; i++) registry.getOrCreate('endpoint', 'k' + ((i * 7 + round) % 1000)).executeSync(() => i);
        registry.remove('endpoint', 'k0');
      }
    `;
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 12; round++) {
      const children = [startNode(churn, [dir]), startNode(churn, [dir])];
      // Kill each at a different point of its work: the first waits until it opened the arena.
      await new Promise((resolveWait) => setTimeout(resolveWait, 40 + random() * 160));
      for (const child of children) child.kill();
      await Promise.allSettled(children.map((child) => child.done));
    }
    const check = `
      const { Registry } = require(${JSON.stringify(ENTRY)});
      const [dir] = process.argv.slice(-1);
      const registry = new Registry({ host: { name: 'churn', directory: dir } });
      const slots = new Set();
      for (let i = 0; i < 1000; i++) {
        const breaker = registry.getOrCreate('endpoint', 'k' + i);
        slots.add(breaker.handle.slot);
        breaker.executeSync(() => i);
      }
      console.log(slots.size);
    `;
    expect(runNode(check, [dir]).trim()).toBe('1000');
    const host = HostArena.attachPath(join(dir, 'breakwater-churn'));
    const keys = host.keys();
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.filter((key) => key.startsWith('endpoint\u0000k')).length).toBe(1000);
  }, 120_000);

  it('retires an entry whose creator died mid-claim, and names the breaker elsewhere', () => {
    const dir = arenaFolder();
    runNode(hostScript('console.log("made")'), [dir, 'claim']); // makes the file (capacity 64 from the script)
    const path = join(dir, 'breakwater-claim');
    const header = readFileSync(path).subarray(0, HOST_HEADER_BYTES);
    const arenaBytes = Number(header.readBigUInt64LE(32));
    const hostCapacity = header.readUInt32LE(20);
    expect(hostCapacity).toBe(64);
    const key = 'endpoint\u0000orphan';
    const index = Number(fnv1a(key) % BigInt(hostCapacity));
    const deadPid = Number(runNode('console.log(process.pid)').trim()); // exited: a pid nobody runs
    const word = Buffer.alloc(8);
    word.writeBigUInt64LE(1n | (BigInt(deadPid) << 32n)); // claiming, by the dead process
    const fd = openSync(path, 'r+');
    writeSync(fd, word, 0, 8, HOST_HEADER_BYTES + arenaBytes + index * ENTRY_BYTES);
    closeSync(fd);
    const found = hostScript(`
      const other = registry.getOrCreate('endpoint', 'orphan');
      other.executeSync(() => 1);
      console.log(other.handle.slot, other.getMetrics().totalCalls);
    `);
    const [slot, calls] = runNode(found, [dir, 'claim']).trim().split(' ').map(Number);
    expect(slot).not.toBe(index);
    expect(calls).toBe(1);
    const after = readFileSync(path).readBigUInt64LE(HOST_HEADER_BYTES + arenaBytes + index * ENTRY_BYTES);
    expect(after & 3n).toBe(3n); // retired
  });

  it('redoes a set-up its creator did not finish', () => {
    const dir = arenaFolder();
    const path = join(dir, 'breakwater-setup');
    const unfinished = Buffer.alloc(HOST_HEADER_BYTES * 2);
    unfinished.write('BWHOST01', 0, 'latin1'); // the magic is written first, `ready` last
    writeFileSync(path, unfinished, { mode: 0o600 });
    expect(runNode(hostScript('console.log(breaker.getState())'), [dir, 'setup']).trim()).toBe('closed');
    expect(statSync(path).size).toBeGreaterThan(HOST_HEADER_BYTES * 2);
  });

  it('gives the lanes of killed processes to the next process', async () => {
    const dir = arenaFolder();
    const hold = hostScript(`breaker.executeSync(() => 1); console.log('counting'); setInterval(() => {}, 1000);`);
    const holders = Array.from({ length: 16 }, () => startNode(hold, [dir, 'lanes']));
    // Every holder counts in a lane of its own before it is killed: wait for each to say so.
    await Promise.all(holders.map((holder) => holder.printed));
    for (const holder of holders) holder.kill();
    await Promise.allSettled(holders.map((holder) => holder.done));
    const host = HostArena.attachPath(join(dir, 'breakwater-lanes'));
    expect(attachArena(host.arena).lane).toBeGreaterThanOrEqual(0);
  }, 60_000);
});

describe('host arena files that are not ours', () => {
  const open = (dir: string, name: string) => () => new Registry({ host: { name, directory: dir } });

  it('names the file and the magic it expected', () => {
    const dir = arenaFolder();
    writeFileSync(join(dir, 'breakwater-other'), Buffer.alloc(8192, 7), { mode: 0o600 });
    expect(open(dir, 'other')).toThrow(
      /breakwater-other is not a breakwater host arena \(magic 0x707070707070707, expected 0x313054534f485742\)/,
    );
  });

  it('says which file is full, and what a larger capacity needs', () => {
    const dir = arenaFolder();
    const registry = new Registry({ host: { name: 'small', directory: dir, capacity: 2 } });
    registry.getOrCreate('endpoint', 'a');
    registry.getOrCreate('endpoint', 'b');
    expect(() => registry.getOrCreate('endpoint', 'c')).toThrow(
      `breakwater: host arena is full: all 2 entries name a breaker (${join(dir, 'breakwater-small')}); names stay for the file's life, so a larger host.capacity needs a new arena`,
    );
    expect(registry.size).toBe(2);
  });

  it('names the versions of a file from another release', () => {
    const dir = arenaFolder();
    new Registry({ host: { name: 'version', directory: dir, capacity: 4 } });
    const path = join(dir, 'breakwater-version');
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(9, 8);
    writeFileSync(path, bytes);
    // This process mapped the file already; a new process reads the header afresh.
    expect(() =>
      runNode(
        `new (require(${JSON.stringify(ENTRY)}).Registry)({ host: { name: 'version', directory: process.argv.at(-1) } })`,
        [dir],
      ),
    ).toThrow(
      `breakwater-version has host layout 9 with arena layout ${LAYOUT_VERSION}; this build reads host layout 2 with arena layout ${LAYOUT_VERSION}`,
    );
  });

  it('refuses a file another user owns, or others may read', () => {
    const dir = arenaFolder();
    const path = join(dir, 'breakwater-owner');
    writeFileSync(path, '', { mode: 0o600 });
    chmodSync(path, 0o644);
    expect(open(dir, 'owner')).toThrow(/breakwater-owner has mode 644, expected 0600/);
    if (process.getuid?.() === 0) {
      chmodSync(path, 0o600);
      chownSync(path, 65534, 65534);
      expect(open(dir, 'owner')).toThrow(/breakwater-owner belongs to uid 65534, not to this process's uid 0/);
    }
  });

  it('creates its file 0600, and refuses names that are not plain identifiers', () => {
    const dir = arenaFolder();
    new Registry({ host: { name: 'mode', directory: dir } });
    expect(statSync(join(dir, 'breakwater-mode')).mode & 0o777).toBe(0o600);
    for (const name of ['../etc', '', 'a/b', '.hidden', 'x'.repeat(65)]) {
      expect(open(dir, name)).toThrow(/host.name must be 1-64 letters, digits/);
    }
    expect(() => new Registry({ host: { name: 'rel', directory: 'relative/dir' } })).toThrow(
      /host.directory must be an absolute path/,
    );
  });

  it('keeps serving its breakers when its file header is overwritten while mapped, in this thread and a new one', () => {
    const dir = arenaFolder();
    const script = `
      const { Registry } = require(${JSON.stringify(ENTRY)});
      const { writeSync, openSync, closeSync } = require('node:fs');
      const { Worker } = require('node:worker_threads');
      const dir = process.argv.at(-1);
      const registry = new Registry({ host: { name: 'scribbled', directory: dir, capacity: 8 } });
      registry.getOrCreate('endpoint', 'before').executeSync(() => 1);
      // Another process of the same user writes over the host header (sizes, magic, lanes).
      const fd = openSync(dir + '/breakwater-scribbled', 'r+');
      writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 0);
      closeSync(fd);
      const after = registry.getOrCreate('endpoint', 'after');
      after.executeSync(() => 1);
      const worker = new Worker(\`
        const { Registry } = require(\${JSON.stringify(${JSON.stringify(ENTRY)})});
        const registry = new Registry({ host: { name: 'scribbled', directory: \${JSON.stringify(dir)} } });
        const breaker = registry.getOrCreate('endpoint', 'after');
        breaker.executeSync(() => 1);
        require('node:worker_threads').parentPort.postMessage(breaker.getMetrics().totalCalls);
      \`, { eval: true });
      worker.once('message', (calls) => { console.log(registry.get('endpoint', 'before').getMetrics().totalCalls, calls); worker.terminate(); });
    `;
    expect(runNode(script, [dir]).trim()).toBe('1 2');
  });

  it('attaches a handle only to an arena file set up as one: never makes, sizes or writes the file it names', () => {
    const dir = arenaFolder();
    const owner = new Registry({ host: { name: 'owner', directory: dir, capacity: 4 } }).getOrCreate('endpoint', 'e');
    const attach = (host: string) => () => CircuitBreaker.fromHandle({ ...owner.handle, host });
    const missing = join(dir, 'breakwater-missing');
    expect(attach(missing)).toThrow(`breakwater: host arena: cannot open ${missing}: No such file or directory`);
    expect(existsSync(missing)).toBe(false);
    const zeros = join(dir, 'breakwater-zeros'); // what a host arena's set-up would take for its own, cut short
    writeFileSync(zeros, Buffer.alloc(8192), { mode: 0o600 });
    expect(attach(zeros)).toThrow(`${zeros} holds no host arena (empty, or its set-up never finished)`);
    expect(readFileSync(zeros).equals(Buffer.alloc(8192))).toBe(true);
    for (const host of [`${owner.handle.host}\u0000/x`, '/etc/passwd', 'breakwater-owner', join(dir, 'breakwater-..')])
      expect(attach(host)).toThrow(/handle\.host must be the absolute path of a host arena file \(breakwater-<name>\)/);
  });

  it('reads the registry whole when one slot or directory entry is written over: the bad parts are left out', () => {
    const dir = arenaFolder();
    const path = join(dir, 'breakwater-spoilt');
    const registry = new Registry({ host: { name: 'spoilt', directory: dir, capacity: 8 } });
    const spoilt = registry.getOrCreate('endpoint', 'spoilt', { failureThreshold: 1 });
    expect(() =>
      spoilt.executeSync(() => {
        throw new Error('down');
      }),
    ).toThrow('down'); // a transition in its history
    registry.getOrCreate('endpoint', 'unnamed').executeSync(() => 1);
    const header = readFileSync(path).subarray(0, 4096 + 256);
    const arenaBytes = Number(header.readBigUInt64LE(32));
    const slotBytes = header.readUInt32LE(4096 + 16);
    const fd = openSync(path, 'r+');
    // Every history entry of one slot gets codes the core never writes (native/LAYOUT.md: from, to, reason at 8..10).
    const history = 4096 + 256 + spoilt.handle.slot * slotBytes + 256;
    for (let entry = 0; entry < 8; entry++) writeSync(fd, Buffer.from([9, 9, 0]), 0, 3, history + entry * 16 + 8);
    // Another breaker's directory entry loses its key (keyBytes, at 16 of a 384-byte entry).
    writeSync(
      fd,
      Buffer.alloc(4),
      0,
      4,
      4096 + arenaBytes + registry.get('endpoint', 'unnamed')!.handle.slot * 384 + 16,
    );
    closeSync(fd);
    expect(spoilt.getMetrics().stateChanges).toEqual([]);
    expect(spoilt.lastOpenReason()).toBeUndefined();
    expect(registry.health().total).toBe(2);
    const adopter = new Registry({ host: { name: 'spoilt', directory: dir } });
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      expect(adopter.adoptHostBreakers()).toBe(1);
      expect(warn).toHaveBeenCalledWith(
        `breakwater: host arena ${path}: 1 directory entry names no breaker (""): skipped; something other than breakwater wrote the file`,
        { code: 'BREAKWATER_HOST_ENTRY' },
      );
    } finally {
      warn.mockRestore();
    }
    expect(adopter.list().items.map((entry) => entry.name)).toEqual(['spoilt']);
  });

  it('refuses a capacity larger than a thread can address before making the file, naming the most these settings allow', () => {
    const dir = arenaFolder();
    // Before, the file was reserved (5.6 GB of /dev/shm), then the open failed and left it there.
    expect(() => new Registry({ host: { name: 'huge', directory: dir, capacity: 1 << 20 } })).toThrow(
      'breakwater: host.capacity 1048576 with host.maxBuckets 20 and latency histograms needs 5570035968 bytes of arena, more than the 2147483647 JavaScript can address: at most 404270 breakers with these settings',
    );
    expect(existsSync(join(dir, 'breakwater-huge'))).toBe(false);
  });

  it('says the reference core cannot share a host', () => {
    const dir = arenaFolder();
    const script = `new (require(${JSON.stringify(ENTRY)}).Registry)({ host: { name: 'ref', directory: process.argv.at(-1) } })`;
    expect(() => runNode(script, [dir], { ...process.env, BREAKWATER_NATIVE: '0' })).toThrow(
      /host arenas need the native core, and this process runs the reference core/,
    );
  });
});
