/** The trees of a gradient-boosted model: what the trainer grows and every scorer walks. */

/**
 * An inner node: rows with `x[feature] <= threshold` go left, the others right, and a missing
 * value (NaN) goes where `missingGoesLeft` says. Thresholds are float32 values, so a float32 row
 * takes the same path here, in onnxruntime and in the tensorised graph.
 */
export interface SplitNode {
  readonly kind: 'split';
  readonly feature: number;
  readonly threshold: number;
  readonly missingGoesLeft: boolean;
  /** Indices of the children in the tree's node array. */
  readonly left: number;
  readonly right: number;
}

/** A leaf: its value (already scaled by the learning rate, a float32 value) adds to the raw score. */
export interface LeafNode {
  readonly kind: 'leaf';
  readonly value: number;
}

export type TreeNode = SplitNode | LeafNode;

/** One tree; the root is node 0. */
export interface Tree {
  readonly nodes: readonly TreeNode[];
}
