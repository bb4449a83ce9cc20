import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importCycles, importGraph } from './import-graph';

const src = resolve(__dirname, '../../../src');

/** The one folder outside src/sim/ that may import it: the command line (src/cli/), which drives everything. */
const MAY_IMPORT_SIM = /^cli\//;

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'breakwater-graph-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the import graph of src/', () => {
  it('has no import cycle (type-only imports included)', () => {
    expect(importCycles(importGraph(src))).toEqual([]);
  });

  it('has the registry, which every wing builds on, importing no wing: only the breaker, the core and the feature rows', () => {
    const wings = /^(adaptive|observe|rollout|recovery|chaos|compat|cluster|sim|cli)\//;
    const intoWings = [...importGraph(src)]
      .filter(([file]) => file.startsWith('registry/'))
      .flatMap(([file, targets]) =>
        targets.filter((target) => wings.test(target)).map((target) => `${file} -> ${target}`),
      );
    expect(intoWings).toEqual([]);
  });

  it("has no module outside src/core/ decoding a state word's bits, the core's output vectors or byte offsets, or writing a configure() record by hand", () => {
    const byHand =
      /(&\s*0xf\b|>>>\s*4\b|GENERATION_MASK|\bConfig\.\w+|CONFIG_SIZE|\bSnap\.\w+|SNAPSHOT_SIZE|HISTORY_FIELDS|\b(Slot|Header|BucketField|ClockWord|Scratch|WindowStat|SpanStat)\.\w+)/;
    const offenders = [...importGraph(src).keys()]
      .filter((file) => !file.startsWith('core/'))
      .flatMap((file) =>
        readFileSync(join(src, file), 'utf8')
          .split('\n')
          .flatMap((line, i) => (byHand.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
      );
    expect(offenders).toEqual([]);
  });

  it("has no wing importing another's internals: only the history sinks, which breakwater/observe exports, cross between wings", () => {
    const wing = (file: string) => /^(adaptive|observe|rollout|recovery|chaos|compat|cluster)\//.exec(file)?.[1];
    const crossings = [...importGraph(src)].flatMap(([file, targets]) =>
      targets
        .filter((target) => wing(file) !== undefined && wing(target) !== undefined && wing(target) !== wing(file))
        .map((target) => `${file} -> ${target}`),
    );
    expect(crossings).toEqual([
      'adaptive/adaptive-breaker.ts -> observe/sinks/duckdb.ts',
      'adaptive/adaptive-breaker.ts -> observe/sinks/jsonl.ts',
    ]);
  });

  it('has no wing importing the simulator: src/sim/ depends on the wings, never the reverse', () => {
    const intoSim = [...importGraph(src)]
      .filter(([file]) => !file.startsWith('sim/') && !MAY_IMPORT_SIM.test(file))
      .flatMap(([file, targets]) =>
        targets.filter((target) => target.startsWith('sim/')).map((target) => `${file} -> ${target}`),
      );
    expect(intoSim).toEqual([]);
  });
});

describe('the import-graph check', () => {
  it('finds a cycle through type imports, re-exports and folder indexes, and a file importing itself', () => {
    const root = tree({
      'a.ts': "import type { B } from './b';\nexport type A = B;\n",
      'b.ts': "export { c } from './c';\nexport type B = number;\n",
      'c/index.ts': "import '../a';\nexport const c = 1;\n",
      'leaf.ts': "import { c } from './c';\nimport { join } from 'node:path';\nexport const leaf = [c, join];\n",
      'self.ts': "import * as self from './self';\nexport const me = self;\n",
    });
    expect(importGraph(root).get('leaf.ts')).toEqual(['c/index.ts']);
    expect(importCycles(importGraph(root)).sort((x, y) => x[0].localeCompare(y[0]))).toEqual([
      ['a.ts', 'b.ts', 'c/index.ts'],
      ['self.ts'],
    ]);
  });

  it('finds none in an acyclic tree', () => {
    const root = tree({ 'a.ts': "import './b';\n", 'b.ts': "import './c';\n", 'c.ts': 'export {};\n' });
    expect(importCycles(importGraph(root))).toEqual([]);
  });
});
