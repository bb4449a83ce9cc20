import type { Tree, TreeNode } from './tree';

/** Adds the raw scores of a group of trees to `out` for every row of `features`. */
type TreeGroup = (features: Float32Array, rows: number, width: number, out: Float64Array) => void;

/** Adds every tree's leaf to each row's raw score in `out` (which starts at the base score). */
export type CompiledEnsemble = (features: Float32Array, rows: number, width: number, out: Float64Array) => void;

/**
 * Trees per generated function: V8 stops optimising a function past about 60 KB of bytecode, and a
 * group of 8 depth-4 trees stays well under it while its loop over the rows stays tight.
 */
const TREES_PER_GROUP = 8;

function checkedNumber(value: unknown, what: string): string {
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new TypeError(`breakwater/adaptive: a tree's ${what} must be a number, got ${String(value)}`);
  // String() of a number is a JS number literal (or Infinity / -Infinity): nothing but a number
  // ever reaches the generated source.
  return String(value);
}

function checkedIndex(value: unknown, below: number, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= below)
    throw new RangeError(
      `breakwater/adaptive: a tree's ${what} must be an integer from 0 to ${below - 1}, got ${String(value)}`,
    );
  return value;
}

/** One tree as nested ifs that add its leaf to `s`. */
function treeSource(nodes: readonly TreeNode[], width: number, index: number, depth: number): string {
  if (depth > 64) throw new RangeError('breakwater/adaptive: a tree is deeper than 64 levels (a cycle?)');
  const node = nodes[checkedIndex(index, nodes.length, 'child index')];
  if (node.kind === 'leaf') return `s+=${checkedNumber(node.value, 'leaf value')};`;
  const x = `x[o+${checkedIndex(node.feature, width, 'feature index')}]`;
  const threshold = checkedNumber(node.threshold, 'threshold');
  // A missing value (NaN) fails every comparison: !(x > t) sends it left, x <= t sends it right.
  const test = node.missingGoesLeft ? `!(${x}>${threshold})` : `${x}<=${threshold}`;
  return `if(${test}){${treeSource(nodes, width, node.left, depth + 1)}}else{${treeSource(nodes, width, node.right, depth + 1)}}`;
}

/**
 * The ensemble compiled to JavaScript: each tree becomes nested ifs, so V8 runs it as machine
 * code with the thresholds inlined instead of loading every node from arrays (10,000 rows of the
 * shipped model in 1.3-1.9 ms, walking them took 7.7: `npm run bench:scoring`, 2026-12-04). Returns undefined where code generation from strings is off
 * (node --disallow-code-generation-from-strings): the caller walks the trees instead.
 */
export function compileEnsemble(trees: readonly Tree[], width: number): CompiledEnsemble | undefined {
  const sources: string[] = [];
  for (let first = 0; first < trees.length; first += TREES_PER_GROUP) {
    const group = trees.slice(first, first + TREES_PER_GROUP);
    const body = group.map((tree) => treeSource(tree.nodes, width, 0, 0)).join('\n');
    sources.push(`for(let r=0,o=0;r<rows;r++,o+=width){let s=out[r];\n${body}\nout[r]=s;}`);
  }
  let groups: TreeGroup[];
  try {
    groups = sources.map((source) => new Function('x', 'rows', 'width', 'out', source) as TreeGroup);
  } catch (error) {
    if (error instanceof EvalError) return undefined;
    throw error;
  }
  return (features, rows, w, out) => {
    for (const group of groups) group(features, rows, w, out);
  };
}
