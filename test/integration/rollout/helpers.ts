import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/clock';
import { RolloutController, type RolloutOptions } from '../../../src/rollout/index';

/** A controller on a fresh manual clock (the clock never moves unless a test moves it). */
export function manualRollout(options: RolloutOptions = {}): { rollout: RolloutController; clock: ManualClock } {
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock(1_000_000);
  return { rollout: new RolloutController({ ...options, clock }), clock };
}

/**
 * Records `calls` outcomes on a version, `failures` of them failed and spread evenly (so no prefix
 * of the stream is worse than the whole), each with `latencyMs`. Deterministic, so every threshold
 * edge is hit exactly.
 */
export function feed(
  rollout: RolloutController,
  version: 'new' | 'old',
  calls: number,
  failures = 0,
  latencyMs = 10,
): void {
  for (let i = 0; i < calls; i++) {
    const failed = Math.floor(((i + 1) * failures) / calls) > Math.floor((i * failures) / calls);
    rollout.recordExecution(version, !failed, latencyMs);
  }
}

/** A new empty directory under the OS temp dir for state files. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'breakwater-rollout-'));
}
