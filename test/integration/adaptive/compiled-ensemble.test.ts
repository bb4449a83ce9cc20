import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileEnsemble } from '../../../src/adaptive/gbdt/compiled';
import { predictRaw, type GbdtModel, type Tree } from '../../../src/adaptive/gbdt/model';
import { trainGbdt } from '../../../src/adaptive/gbdt/train';
import { FEATURES, syntheticSet } from './helpers';

const DIST_MODEL = resolve(__dirname, '../../../dist/adaptive/gbdt/model.js');

/**
 * predictRaw() of the built package in a Node that refuses code generation from strings, so it
 * walks the trees: the raw scores' bytes, as base64.
 */
function walkedInAChild(model: GbdtModel, rows: Float32Array): Float64Array {
  const script = `
    const { predictRaw } = require(${JSON.stringify(DIST_MODEL)});
    let input = '';
    process.stdin.on('data', (c) => (input += c)).on('end', () => {
      const infinite = (_, v) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v);
      const { model, rows } = JSON.parse(input, infinite);
      const bytes = Buffer.from(rows, 'base64');
      const features = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      let generated = true;
      try { new Function('return 1'); } catch { generated = false; }
      const raw = predictRaw(model, features);
      process.stdout.write(JSON.stringify({ generated, raw: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') }));
    });`;
  const out = execFileSync(process.execPath, ['--disallow-code-generation-from-strings', '-e', script], {
    // JSON has no infinities (a split past the last bin edge has threshold Infinity): they travel as strings.
    input: JSON.stringify(
      { model, rows: Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength).toString('base64') },
      (_, v: unknown) => (v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v),
    ),
    encoding: 'utf8',
  });
  const { generated, raw } = JSON.parse(out) as { generated: boolean; raw: string };
  expect(generated).toBe(false);
  // A decoded Buffer may be a view into a larger pool (Node 24's base64 decoding gives one): copy its own bytes.
  const bytes = Buffer.from(raw, 'base64');
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** Rows with missing values and infinities, so every branch kind is taken. */
function rowsWithEdges(): Float32Array {
  const rows = syntheticSet(2000, 31, 2, 0.1).set.features.slice();
  rows[1] = Number.POSITIVE_INFINITY;
  rows[8] = Number.NEGATIVE_INFINITY;
  rows.fill(Number.NaN, 12, 18);
  return rows;
}

describe('the ensemble compiled to JavaScript', () => {
  it('scores every row bit for bit as walking the trees does (deep trees, missing values, infinities)', () => {
    const model = trainGbdt(syntheticSet(4000, 30, 2, 0.15).set, { rounds: 30, maxDepth: 6, earlyStoppingRounds: 0 });
    const rows = rowsWithEdges();
    const compiled = predictRaw(model, rows);
    expect(Array.from(compiled)).toEqual(Array.from(walkedInAChild(model, rows)));
  });

  it('puts nothing but numbers into the generated code: a forged tree gets an error naming the field', () => {
    const leaf = { kind: 'leaf' as const, value: 0.5 };
    const width = FEATURES.features.length;
    const forged = (node: object): Tree[] =>
      [{ nodes: [{ kind: 'split', missingGoesLeft: true, left: 1, right: 2, ...node }, leaf, leaf] }] as Tree[];
    expect(() => compileEnsemble(forged({ feature: 0, threshold: '0;globalThis.pwned=1' }), width)).toThrow(
      /a tree's threshold must be a number, got 0;globalThis.pwned=1/,
    );
    expect(() => compileEnsemble(forged({ feature: '0]+(globalThis.pwned=1)+x[0', threshold: 0 }), width)).toThrow(
      /a tree's feature index must be an integer from 0 to 5/,
    );
    expect(() => compileEnsemble(forged({ feature: 6, threshold: 0 }), width)).toThrow(
      /feature index must be an integer from 0 to 5, got 6/,
    );
    expect(() => compileEnsemble(forged({ feature: 0, threshold: 0, left: 0 }), width)).toThrow(
      /deeper than 64 levels/,
    );
    expect((globalThis as { pwned?: number }).pwned).toBeUndefined();
  });
});
