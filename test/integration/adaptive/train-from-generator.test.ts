import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_FEATURES } from '../../../src/features/core-features';
import { EVIDENCE_FEATURES, LATENCY_TO_TIMEOUT_FEATURES } from '../../../src/features/column-groups';
import type { ModelCard } from '../../../src/adaptive/model-card';
import { Predictor } from '../../../src/adaptive/predictor';
import { runTrainCommand } from '../../../src/cli/train';
import { HELD_OUT_FAMILIES } from '../../../src/sim/generator/families';

describe('breakwater train --from simulator', () => {
  it('trains on the generator, and reports the model beside the rule baselines on the held-out families, with a reliability table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'breakwater-train-'));
    const lines: string[] = [];
    const card: ModelCard = await runTrainCommand(
      ['--from', 'simulator', '--out', 'model.onnx', '--seeds', '1'],
      (line) => lines.push(line),
      dir,
    );
    expect(card.featureList).toBe('breakwater.core@10');
    expect(card.heldOutFamilies).toEqual(HELD_OUT_FAMILIES);
    expect(card.monotone).toEqual(EVIDENCE_FEATURES);
    // A breaker without a timeout reads its latency-to-timeout columns as the training rows' medians.
    expect(Object.keys(card.missingAs!)).toEqual(LATENCY_TO_TIMEOUT_FEATURES);
    for (const value of Object.values(card.missingAs!)) expect(value).toBeGreaterThan(0);
    expect(card.calibration!.slope).toBeGreaterThan(0);
    expect(card.heldOut!.map((score) => score.name)).toEqual([
      'model',
      'recent-quarter rule',
      'trend-extrapolation rule',
    ]);
    const rows = card.heldOut![0].evaluation.rows;
    for (const score of card.heldOut!) {
      expect(score.evaluation.rows).toBe(rows); // the same held-out rows for every score
      expect(score.evaluation.auc).toBeGreaterThan(0);
      expect(score.evaluation.auc).toBeLessThanOrEqual(1);
    }
    expect(card.reliability!.reduce((sum, bin) => sum + bin.rows, 0)).toBe(rows);
    expect(lines.some((line) => line.includes('| recent-quarter rule |'))).toBe(true);
    const markdown = readFileSync(join(dir, 'model.onnx.card.md'), 'utf8');
    expect(markdown).toContain('## The model beside rule baselines, on the same held-out rows');
    expect(markdown).toContain('## Reliability (held-out rows)');
    expect(markdown).toContain('- Missing values read as the training median');
    expect(existsSync(join(dir, 'model.onnx.card.json'))).toBe(true);
    const model = await Predictor.load(join(dir, 'model.onnx'), {
      featureList: CORE_FEATURES,
      executionProviders: ['typescript'],
    });
    expect(model.description.trees).toBe(card.trees);
  });
});
