import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { arenaFolder, ENTRY } from './processes';

/** Runs `script` in a new Node process (the folder after it in argv) and returns how it ended. */
function runChild(script: string, folder: string) {
  // The timeout only guards against a hang; nothing here measures time.
  return spawnSync(process.execPath, ['-e', script, '--', folder], { encoding: 'utf8', timeout: 60_000 });
}

describe('a host arena file cut shorter under a live mapping', () => {
  it('costs the process its sharing, not its life: calls go on, a warning names the file, the rules hold again', () => {
    const folder = arenaFolder();
    const script = `
      const { Registry } = require(${JSON.stringify(ENTRY)});
      const { truncateSync } = require('node:fs');
      const { execFileSync } = require('node:child_process');
      const directory = process.argv.at(-1);
      const file = directory + '/breakwater-cut';
      process.on('warning', (warning) => console.log('warning ' + warning.code + ': ' + warning.message));
      const registry = new Registry({ host: { name: 'cut', directory } });
      const orders = registry.getOrCreate('endpoint', 'orders', { failureThreshold: 3 });
      for (let i = 0; i < 3; i++) orders.executeSync(() => 1);
      truncateSync(file, 4096); // the header alone: every slot, the directory and the lanes are gone
      let returned = 0;
      for (let i = 0; i < 10; i++) returned += orders.executeSync(() => 1);
      console.log('after the cut: ' + returned);
      let thrown = 0;
      try { orders.executeSync(() => { throw new Error('its own error'); }); } catch (error) { thrown = error.message; }
      console.log('a failing call throws: ' + thrown);
      console.log('named after the cut: ' + registry.getOrCreate('endpoint', 'payments').executeSync(() => 7));
      console.log('cut: ' + JSON.stringify(registry.hostArena.cut()));
      registry.tick();
      for (let i = 0; i < 3; i++) try { orders.executeSync(() => { throw new Error('down'); }); } catch {}
      console.log('after 3 failures: ' + orders.getState());
      try {
        execFileSync(process.execPath, ['-e', 'new (require(process.argv[1]).Registry)({ host: { name: "cut", directory: process.argv[2] } })', ${JSON.stringify(ENTRY)}, directory], { stdio: 'pipe' });
        console.log('another process: opened');
      } catch (error) {
        console.log('another process: ' + error.stderr.toString().split('\\n').find((line) => line.includes('breakwater:')).trim());
      }
      registry.tick();
      console.log('done');
    `;
    const child = runChild(script, folder);
    // Without the guard the first call after the cut touches a page past the file's end: SIGBUS.
    expect({ signal: child.signal, status: child.status }).toEqual({ signal: null, status: 0 });
    const lines = child.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual([
      'after the cut: 10',
      'a failing call throws: its own error',
      'named after the cut: 7',
    ]);
    const cut = JSON.parse(lines[3].replace(/^cut: /, ''));
    expect(cut).toEqual({ fileBytes: 4096, sharedBytes: 4096, mappedBytes: expect.any(Number) });
    expect(cut.mappedBytes).toBeGreaterThan(4096);
    // Exactly one warning, on the tick after the cut, naming the file and the sizes.
    const warnings = lines.filter((line) => line.startsWith('warning '));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^warning BREAKWATER_HOST_ARENA_CUT: breakwater: host arena .*\/breakwater-cut was cut from \d+ to 4096 bytes while this process had it mapped; past byte 4096 /,
    );
    // Its slot lost its rules with the cut; the tick wrote them back, so three failures trip it.
    expect(lines).toContain('after 3 failures: open');
    // A process opening the file now is refused with the file named, not crashed.
    expect(lines.find((line) => line.startsWith('another process: '))).toMatch(
      /^another process: Error: breakwater: host arena: .*\/breakwater-cut is corrupt: 4096 bytes, its header says \d+/,
    );
    expect(lines).toContain('done');
  });

  it('leaves every other SIGBUS to the action before it: the process still dies of one sent to it', () => {
    const folder = arenaFolder();
    const script = `
      const { Registry } = require(${JSON.stringify(ENTRY)});
      const registry = new Registry({ host: { name: 'guarded', directory: process.argv.at(-1) } });
      registry.getOrCreate('endpoint', 'orders').executeSync(() => 1);
      process.kill(process.pid, 'SIGBUS');
      setTimeout(() => console.log('survived'), 1000);
    `;
    const child = runChild(script, folder);
    expect({ signal: child.signal, stdout: child.stdout }).toEqual({ signal: 'SIGBUS', stdout: '' });
  });
});
