import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { arenaFolder, ENTRY } from './processes';

/**
 * A host arena is a file any program of its owner can write: a bug elsewhere, a script, a stray
 * `dd`. Copies of a used file with random words written over (its header, the arena's header, the
 * slots, the directory), before a process opens it or while the process has it mapped: the open is
 * refused with an error that names the file, or every operation on its breakers answers or throws
 * an error that names itself. The process neither crashes nor hangs. Run in a child process, so a
 * crash or a hang is a signal this test reports.
 */
const FAST_CHECK = require.resolve('fast-check');
const RUNS = 120;

const script = `
const fc = require(${JSON.stringify(FAST_CHECK)});
const { Registry } = require(${JSON.stringify(ENTRY)});
const { closeSync, copyFileSync, openSync, readFileSync, rmSync, writeSync } = require('node:fs');
const [dir, mode, seed] = process.argv.slice(-3);
process.removeAllListeners('warning'); // the warnings a spoilt file draws are expected here
process.on('warning', () => {});
const used = new Registry({ host: { name: 'used', directory: dir, capacity: 8 } });
const timed = used.getOrCreate('endpoint', 'a', { failureThreshold: 2, recoveryTimeout: 50, timeout: 1000, slowCallDuration: 5, slowCallRateThreshold: 90 });
const counted = used.getOrCreate('worker', 'b', { slidingWindowType: 'count', slidingWindowSize: 20, failureRateThreshold: 50, minimumCalls: 4 });
const down = () => { throw new Error('down'); };
for (let i = 0; i < 30; i++) try { counted.executeSync(i % 2 ? down : () => i); } catch {}
for (let i = 0; i < 3; i++) try { timed.executeSync(down); } catch {}
timed.recordSuccess(3);
counted.reconfigure({ failureRateThreshold: 60 });
const original = readFileSync(dir + '/breakwater-used');
const arenaBytes = Number(original.readBigUInt64LE(32)); // native/LAYOUT.md "Host arenas"
const regions = {
  header: [0, 4096],
  arenaHeader: [4096, 256],
  slots: [4096 + 256, arenaBytes - 256],
  directory: [4096 + arenaBytes, original.length - 4096 - arenaBytes],
};
const named = (error) => error instanceof Error && /breakwater/.test(error.message);
const outcome = { runs: 0, refused: 0, served: 0, unnamed: [] };
const attempt = (what, operation) => {
  try {
    operation();
  } catch (error) {
    if (!named(error) && !(error instanceof Error && error.message === 'down')) outcome.unnamed.push(what + ': ' + String(error && error.message));
  }
};
const use = (registry) => {
  attempt('adoptHostBreakers', () => registry.adoptHostBreakers());
  for (const [kind, name] of [['endpoint', 'a'], ['worker', 'b'], ['endpoint', 'new']]) {
    let breaker;
    attempt('getOrCreate', () => (breaker = registry.getOrCreate(kind, name)));
    if (breaker === undefined) continue;
    for (let i = 0; i < 6; i++) attempt('executeSync', () => breaker.executeSync(i % 3 === 0 ? down : () => i));
    attempt('getMetrics', () => breaker.getMetrics());
    attempt('toJSON', () => JSON.stringify(breaker.toJSON()));
    attempt('reconfigure', () => breaker.reconfigure({ failureThreshold: 4 }));
  }
  attempt('health', () => registry.health());
  attempt('list', () => registry.list());
  attempt('tick', () => registry.tick());
};
let file = 0;
fc.assert(
  fc.asyncProperty(
    fc.array(
      fc.record({
        region: fc.constantFrom(...Object.keys(regions)),
        at: fc.nat(),
        value: fc.oneof(fc.constantFrom(0, 1, 2, 3, 64, 1024, 0x7fffffff, 0x80000000, 0xffffffff, 0x7ff80000), fc.nat({ max: 0xffffffff })),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    async (writes) => {
      outcome.runs++;
      const name = 'copy' + file++;
      const path = dir + '/breakwater-' + name;
      copyFileSync(dir + '/breakwater-used', path);
      const open = () => new Registry({ host: { name, directory: dir } });
      let registry;
      if (mode === 'mapped') {
        registry = open();
        use(registry);
      }
      const fd = openSync(path, 'r+');
      for (const { region, at, value } of writes) {
        const [from, span] = regions[region];
        const word = Buffer.alloc(4);
        word.writeUInt32LE(value >>> 0);
        writeSync(fd, word, 0, 4, from + 4 * (at % Math.floor(span / 4)));
      }
      closeSync(fd);
      if (registry === undefined) {
        try {
          registry = open();
        } catch (error) {
          outcome.refused++;
          if (!named(error) || !error.message.includes(path)) outcome.unnamed.push('open: ' + String(error && error.message));
          rmSync(path);
          return;
        }
      }
      outcome.served++;
      use(registry);
      await registry.shutdown();
      rmSync(path);
    },
  ),
  { numRuns: ${RUNS}, seed: Number(seed) },
).then(() => process.stdout.write(JSON.stringify(outcome)));
`;

describe('a host arena file written over by another program', () => {
  it.each(['closed', 'mapped'])(
    'while %s: refused by name, or its breakers answer or throw named errors, without a crash or a hang',
    (mode) => {
      const child = spawnSync(process.execPath, ['-e', script, '--', arenaFolder(), mode, '20261207'], {
        encoding: 'utf8',
        timeout: 120_000, // a process that loops for ever ends here, killed: the test then fails on the signal
      });
      expect(child.signal, child.stderr).toBeNull();
      expect(child.status, child.stderr).toBe(0);
      const outcome = JSON.parse(child.stdout) as { runs: number; refused: number; served: number; unnamed: string[] };
      expect(outcome.runs).toBe(RUNS);
      expect(outcome.refused + outcome.served).toBe(RUNS);
      // A file spoilt before it is opened is refused or served, both of them here; a mapped one
      // is served (its header was checked at the open).
      if (mode === 'closed') expect(outcome.refused).toBeGreaterThan(5);
      expect(outcome.served).toBeGreaterThan(mode === 'closed' ? 60 : RUNS - 1);
      expect(outcome.unnamed).toEqual([]);
    },
  );
});
