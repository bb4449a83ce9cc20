import { EVIDENCE_FEATURES } from './core-features';
import type { GbdtOptions } from './gbdt/options';

/**
 * The trainer's settings for early-warning models: few shallow trees (10,000 breakers must score
 * within a 10 ms tick), monotone in every column of failure, timeout or latency evidence.
 */
export const EARLY_WARNING_GBDT: GbdtOptions = Object.freeze({
  rounds: 120,
  learningRate: 0.1,
  maxDepth: 4,
  minSamplesLeaf: 100,
  l2: 5,
  seed: 1,
  earlyStoppingRounds: 20,
  increasing: EVIDENCE_FEATURES,
});
