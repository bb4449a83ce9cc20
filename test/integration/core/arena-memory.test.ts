import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../../..');

/**
 * In a child process: a handle forged with a plain ArrayBuffer copy of a real arena (1.3 MB, so
 * its memory is unmapped when freed). Were it attached, transferring the buffer away and
 * collecting it would leave the core writing into freed memory on the next call (SIGSEGV).
 */
const script = `
  const { CircuitBreaker } = require(${JSON.stringify(resolve(root, 'dist/index.js'))});
  const binding = require('node-gyp-build')(${JSON.stringify(root)});
  const keep = [];
  for (let i = 0; i < 241; i++) { const b = new CircuitBreaker({ failureThreshold: 1e6 }); b.executeSync(() => i); keep.push(b); }
  const handle = keep[240].handle; // the first slot of a 256-slot arena
  const copy = new ArrayBuffer(handle.buffer.byteLength);
  new Uint8Array(copy).set(new Uint8Array(handle.buffer));
  const seen = {};
  let view;
  try { view = CircuitBreaker.fromHandle({ ...handle, buffer: copy }); } catch (error) { seen.fromHandle = error.constructor.name + ': ' + error.message; }
  try { binding.attach(copy); } catch (error) { seen.attach = error.constructor.name + ': ' + error.message; }
  if (view !== undefined) {
    structuredClone(copy, { transfer: [copy] }); // detached here; the clone, now owning the memory, is dropped
    for (let i = 0; i < 5; i++) { gc(); new ArrayBuffer(1 << 20); }
    for (let i = 0; i < 1000; i++) try { view.executeSync(() => { throw new Error('x'); }); } catch {}
  }
  console.log(JSON.stringify(seen));
`;

describe('arena memory', () => {
  it('a handle or attach with a plain ArrayBuffer is refused with a TypeError, so a transferred buffer never crashes the core', () => {
    // The timeout only guards against a hang; nothing here measures time.
    const child = spawnSync(process.execPath, ['--expose-gc', '-e', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(child.stderr).toBe('');
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({
      fromHandle: expect.stringMatching(
        /^TypeError: breakwater: handle\.buffer must be a SharedArrayBuffer holding a breakwater arena, got ArrayBuffer/,
      ),
      attach: expect.stringMatching(
        /^TypeError: attach: buffer must be a SharedArrayBuffer holding an arena, got an ArrayBuffer/,
      ),
    });
  });
});
