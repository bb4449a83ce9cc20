import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('process lifetime', () => {
  it('a process with live breakers in every state exits on its own', () => {
    const entry = resolve(__dirname, '../../../dist/index.js');
    const script = `
      const { CircuitBreaker } = require(${JSON.stringify(entry)});
      const closed = new CircuitBreaker();
      for (let i = 0; i < 1000; i++) closed.executeSync(() => i);
      const open = new CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 600000 });
      try { open.executeSync(() => { throw new Error('x'); }); } catch {}
      for (let i = 0; i < 100; i++) open.attempt(() => 1);
      const forced = new CircuitBreaker();
      forced.forceOpen();
      Promise.all([closed.execute(async () => 1), new CircuitBreaker({ timeout: 600000 }).execute(async () => 2)])
        .then(() => console.log('done', open.getState()));
    `;
    // The timeout only guards against a hang; nothing here measures time.
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout.trim()).toBe('done open');
  });
});
