import nodeGypBuild from 'node-gyp-build';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as layout from '../../../src/core/layout';

const root = resolve(__dirname, '../../..');

/** The TypeScript value of a reported name: `Slot.epoch` is layout.Slot.epoch, `LANES` is layout.LANES. */
function typescriptValue(name: string): unknown {
  const [table, field] = name.split('.');
  const value = (layout as Record<string, unknown>)[table];
  return field === undefined ? value : (value as Record<string, unknown> | undefined)?.[field];
}

describe('arena layout', () => {
  it('the TypeScript constants are the offsets, indices and codes the addon was compiled with', () => {
    const binding = nodeGypBuild(root) as { layout(): Record<string, number> };
    const reported = binding.layout();
    // Every record, index list and code list of native/layout.json reaches the report.
    for (const table of [
      'Header',
      'Slot',
      'BucketField',
      'Total',
      'Config',
      'Snap',
      'WindowStat',
      'Scratch',
      'ClockWord',
      'State',
      'Reason',
      'Outcome',
    ])
      expect(
        Object.keys(reported).some((name) => name.startsWith(`${table}.`)),
        table,
      ).toBe(true);
    const differ = Object.entries(reported)
      .filter(([name, value]) => typescriptValue(name) !== value)
      .map(([name, value]) => `${name}: addon ${value}, TypeScript ${String(typescriptValue(name))}`);
    expect(differ).toEqual([]);
    expect(Object.keys(reported).length).toBeGreaterThan(150);
  });

  it('the generated files are what native/layout.json gives (scripts/layout.mjs --check)', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/layout.mjs', '--check'], { cwd: root, stdio: 'pipe' }),
    ).not.toThrow();
  });
});
