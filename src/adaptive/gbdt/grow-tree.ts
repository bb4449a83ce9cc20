import { MISSING_BIN } from './bins';
import type { ResolvedGbdtOptions } from './options';
import type { LeafNode } from './tree';

/** A split on bin codes: rows with bin <= `bin` go left; missing ones follow `missingGoesLeft`. */
export interface BinnedSplit {
  readonly kind: 'split';
  readonly feature: number;
  readonly bin: number;
  readonly missingGoesLeft: boolean;
  readonly left: number;
  readonly right: number;
}

/** A leaf of a tree grown on bins: a leaf of the finished tree already. */
export type BinnedLeaf = LeafNode;

export type BinnedNode = BinnedSplit | BinnedLeaf;

/** What every tree of one training run shares. */
export interface GrowContext {
  /** One column of bin codes per feature. */
  readonly columns: readonly Uint8Array[];
  /** Value bins per feature (edges + 1); the missing bin is extra. */
  readonly binCounts: readonly number[];
  readonly gradients: Float64Array;
  readonly hessians: Float64Array;
  readonly options: ResolvedGbdtOptions;
  /** Per feature, 1 when the score may only grow with it (a monotone constraint), else 0. */
  readonly increasing: Uint8Array;
}

/** Per feature, 256 bins (the last is MISSING_BIN) of [gradient sum, hessian sum, row count]. */
const FEATURE_STRIDE = 256 * 3;

interface Candidate {
  feature: number;
  bin: number;
  missingGoesLeft: boolean;
  gain: number;
  /** Between the children's weights: the bound a monotone split passes down. */
  middle: number;
}

/** A node's Newton weight, clamped to the bounds its monotone ancestors set. */
function leafWeight(gradient: number, hessian: number, l2: number, bounds: { lower: number; upper: number }): number {
  return Math.min(bounds.upper, Math.max(bounds.lower, -gradient / (hessian + l2)));
}

/** A node waiting to be split or turned into a leaf: its rows are rows[start, end). */
interface Pending {
  index: number;
  start: number;
  end: number;
  histogram: Float64Array;
  gradient: number;
  hessian: number;
  /** Bounds on the node's leaf values (before shrinkage) that keep the constrained features monotone. */
  lower: number;
  upper: number;
}

/** Grows one tree depth by depth on `rows` (reordered in place), splitting only on `features`. */
export function growTree(context: GrowContext, rows: Uint32Array, features: Uint32Array): BinnedNode[] {
  const { gradients, hessians, options } = context;
  const nodes: Array<BinnedNode | undefined> = [undefined];
  const scratch = new Uint32Array(rows.length);
  const rootHistogram = buildHistogram(context, rows, 0, rows.length, features);
  let gradient = 0;
  let hessian = 0;
  for (const row of rows) {
    gradient += gradients[row];
    hessian += hessians[row];
  }
  let frontier: Pending[] = [
    {
      index: 0,
      start: 0,
      end: rows.length,
      histogram: rootHistogram,
      gradient,
      hessian,
      lower: -Infinity,
      upper: Infinity,
    },
  ];
  for (let depth = 0; frontier.length > 0; depth++) {
    const next: Pending[] = [];
    for (const node of frontier) {
      const split = depth < options.maxDepth ? bestSplit(context, node, features) : undefined;
      if (split === undefined) {
        nodes[node.index] = {
          kind: 'leaf',
          value: Math.fround(leafWeight(node.gradient, node.hessian, options.l2, node) * options.learningRate),
        };
        continue;
      }
      const middle = partition(context, rows, scratch, node, split);
      // Under a monotone split every leaf on the left stays at or below every leaf on the right.
      const bound = context.increasing[split.feature] === 1 ? split.middle : undefined;
      const left: Pending = {
        index: nodes.length,
        start: node.start,
        end: middle,
        histogram: node.histogram,
        gradient: 0,
        hessian: 0,
        lower: node.lower,
        upper: bound ?? node.upper,
      };
      const right: Pending = {
        index: nodes.length + 1,
        start: middle,
        end: node.end,
        histogram: node.histogram,
        gradient: 0,
        hessian: 0,
        lower: bound ?? node.lower,
        upper: node.upper,
      };
      nodes.push(undefined, undefined);
      nodes[node.index] = {
        kind: 'split',
        feature: split.feature,
        bin: split.bin,
        missingGoesLeft: split.missingGoesLeft,
        left: left.index,
        right: right.index,
      };
      if (depth + 1 >= options.maxDepth) {
        // The children will be leaves: their sums are all they need, no histograms.
        for (const child of [left, right]) {
          for (let i = child.start; i < child.end; i++) {
            child.gradient += gradients[rows[i]];
            child.hessian += hessians[rows[i]];
          }
          next.push(child);
        }
        continue;
      }
      // Scan only the smaller child; the larger one's histogram is the parent's minus it, in place.
      const [small, large] = middle - node.start <= node.end - middle ? [left, right] : [right, left];
      small.histogram = buildHistogram(context, rows, small.start, small.end, features);
      subtractInPlace(large.histogram, small.histogram, features);
      for (const child of [left, right]) {
        const totals = featureTotals(child.histogram, features[0]);
        child.gradient = totals[0];
        child.hessian = totals[1];
        next.push(child);
      }
    }
    frontier = next;
  }
  return nodes as BinnedNode[];
}

/** The leaf value a binned row lands on. */
export function binnedTreeValue(nodes: readonly BinnedNode[], columns: readonly Uint8Array[], row: number): number {
  let node = nodes[0];
  while (node.kind === 'split') {
    const bin = columns[node.feature][row];
    const left = bin === MISSING_BIN ? node.missingGoesLeft : bin <= node.bin;
    node = nodes[left ? node.left : node.right];
  }
  return node.value;
}

function buildHistogram(
  context: GrowContext,
  rows: Uint32Array,
  start: number,
  end: number,
  features: Uint32Array,
): Float64Array {
  const { columns, gradients, hessians } = context;
  const histogram = new Float64Array(columns.length * FEATURE_STRIDE);
  for (const feature of features) {
    const column = columns[feature];
    const base = feature * FEATURE_STRIDE;
    for (let i = start; i < end; i++) {
      const row = rows[i];
      const at = base + column[row] * 3;
      histogram[at] += gradients[row];
      histogram[at + 1] += hessians[row];
      histogram[at + 2] += 1;
    }
  }
  return histogram;
}

function subtractInPlace(target: Float64Array, part: Float64Array, features: Uint32Array): void {
  for (const feature of features) {
    const base = feature * FEATURE_STRIDE;
    for (let i = base; i < base + FEATURE_STRIDE; i++) target[i] -= part[i];
  }
}

/** [gradient, hessian, rows] summed over one feature's bins: the node's totals. */
function featureTotals(histogram: Float64Array, feature: number): [number, number, number] {
  const totals: [number, number, number] = [0, 0, 0];
  const base = feature * FEATURE_STRIDE;
  for (let at = base; at < base + FEATURE_STRIDE; at += 3) {
    totals[0] += histogram[at];
    totals[1] += histogram[at + 1];
    totals[2] += histogram[at + 2];
  }
  return totals;
}

/** The split with the largest loss reduction that respects the child limits, or undefined. */
function bestSplit(context: GrowContext, node: Pending, features: Uint32Array): Candidate | undefined {
  const { l2, minChildWeight, minSamplesLeaf, minGain } = context.options;
  const rows = node.end - node.start;
  if (rows < 2 * minSamplesLeaf) return undefined;
  const parentScore = (node.gradient * node.gradient) / (node.hessian + l2);
  let best: Candidate | undefined;
  for (const feature of features) {
    const base = feature * FEATURE_STRIDE;
    const bins = context.binCounts[feature];
    const missing = base + MISSING_BIN * 3;
    const missingRows = node.histogram[missing + 2];
    // Missing values are tried on both sides when the node has any; else they follow the bigger child.
    for (const missingLeft of missingRows > 0 ? [false, true] : [false]) {
      let gl = missingLeft ? node.histogram[missing] : 0;
      let hl = missingLeft ? node.histogram[missing + 1] : 0;
      let cl = missingLeft ? missingRows : 0;
      for (let bin = 0; bin < bins; bin++) {
        const at = base + bin * 3;
        gl += node.histogram[at];
        hl += node.histogram[at + 1];
        cl += node.histogram[at + 2];
        const cr = rows - cl;
        // The last bin sends every value left: a split only when it isolates the missing rows.
        if (cr === 0 || cl === 0) continue;
        if (cl < minSamplesLeaf || cr < minSamplesLeaf) continue;
        const hr = node.hessian - hl;
        if (hl < minChildWeight || hr < minChildWeight) continue;
        const gr = node.gradient - gl;
        const weightLeft = leafWeight(gl, hl, l2, node);
        const weightRight = leafWeight(gr, hr, l2, node);
        if (context.increasing[feature] === 1 && weightLeft > weightRight) continue;
        const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parentScore;
        if (gain > minGain && (best === undefined || gain > best.gain)) {
          best = {
            feature,
            bin,
            missingGoesLeft: missingRows > 0 ? missingLeft : cl >= cr,
            gain,
            middle: (weightLeft + weightRight) / 2,
          };
        }
      }
    }
  }
  return best;
}

/** Reorders rows[start, end) so the left child's rows come first (stable); returns where the right ones start. */
function partition(
  context: GrowContext,
  rows: Uint32Array,
  scratch: Uint32Array,
  node: Pending,
  split: Candidate,
): number {
  const column = context.columns[split.feature];
  let left = node.start;
  let right = 0;
  for (let i = node.start; i < node.end; i++) {
    const row = rows[i];
    const bin = column[row];
    if (bin === MISSING_BIN ? split.missingGoesLeft : bin <= split.bin) rows[left++] = row;
    else scratch[right++] = row;
  }
  rows.set(scratch.subarray(0, right), left);
  return left;
}
