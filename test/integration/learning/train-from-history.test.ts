import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORE_FEATURES } from '../../../src/features/core-features';
import { EarlyWarning } from '../../../src/adaptive/early-warning';
import { Predictor } from '../../../src/adaptive/predictor';
import { runTrainCommand } from '../../../src/cli/train';
import { ManualClock } from '../../../src/clock';
import { createJsonlSink } from '../../../src/observe/sinks/jsonl';
import { Registry } from '../../../src/registry/registry';
import { main } from '../../../src/cli/index';
import { runTick } from '../../../src/tick';

describe("training on a registry's own history", () => {
  it('window summaries carry the live feature rows, so a model trained on them scores live breakers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-history-'));
    const file = join(dir, 'events.jsonl');
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 1000 });
    const sink = createJsonlSink({ path: file });
    registry.addSink(sink);
    const options = { failureThreshold: 0, failureRateThreshold: 50, minimumCalls: 20, recoveryTimeout: 5000 };
    const steady = registry.endpointBreaker('steady', options);
    const flaky = registry.endpointBreaker('flaky', options);
    for (let second = 0; second < 600; second++) {
      // flaky degrades over 20 s every minute, then recovers
      const phase = second % 60;
      const failureShare = phase >= 30 && phase < 50 ? (phase - 30) / 20 : 0.02;
      for (let i = 0; i < 20; i++) {
        steady.attempt(() => i);
        try {
          flaky.attempt(() => {
            if ((i + second) % 20 < failureShare * 20) throw new Error('down');
            return i;
          });
        } catch {
          // a failure, recorded by the breaker
        }
      }
      runTick();
      clock.advance(1000);
      registry.tick();
    }
    await registry.shutdown();

    const window = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .find((e) => e.event_type === 'window');
    expect(window.detail).toMatchObject({ featureList: 'breakwater.core@10' });
    expect(window.detail.features).toHaveLength(CORE_FEATURES.features.length);

    const lines: string[] = [];
    const out = join(dir, 'model.onnx');
    const card = await runTrainCommand(
      ['--from', file, '--out', out, '--horizon', '10'],
      (line) => lines.push(line),
      dir,
    );
    expect(card.featureList).toBe('breakwater.core@10');
    expect(card.trainingRows).toBeGreaterThan(500);
    expect(card.positiveShare).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(/the recorded breakwater.core rows/);
    const model = await Predictor.load(out, { featureList: CORE_FEATURES, executionProviders: ['typescript'] });
    expect(() => new EarlyWarning(new Registry({ clock }), model)).not.toThrow();

    // A history written elsewhere, without the rows: the features are derived from the events.
    const bare = join(dir, 'bare.jsonl');
    const events = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => ({ ...JSON.parse(line), detail: null }));
    writeFileSync(bare, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const derived = await runTrainCommand(['--from', bare, '--out', join(dir, 'bare.onnx')], () => {}, dir);
    expect(derived.featureList).toBe('breakwater.history@1');
    await expect(runTrainCommand(['--from', join(dir, 'missing.jsonl'), '--out', out], () => {}, dir)).rejects.toThrow(
      /missing\.jsonl: no such file/,
    );
    await expect(runTrainCommand(['--from', join(dir, 'missing.duckdb'), '--out', out], () => {}, dir)).rejects.toThrow(
      /missing\.duckdb: no such file/,
    );
    expect(existsSync(join(dir, 'missing.duckdb'))).toBe(false);
  });

  it('refuses to write a model of no trees (trips with no precursor), and says why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-history-'));
    const file = join(dir, 'steady.jsonl');
    const clock = new ManualClock(0);
    const registry = new Registry({ clock, summaryEveryMs: 1000 });
    registry.addSink(createJsonlSink({ path: file }));
    // A trip out of nowhere: a run of failures within one second, after seconds that all look alike.
    const cliff = registry.endpointBreaker('cliff', {
      failureThreshold: 5,
      failureRateThreshold: 0,
      recoveryTimeout: 3_600_000,
    });
    for (let second = 0; second < 600; second++) {
      const down = second === 300;
      for (let i = 0; i < 20; i++) {
        try {
          cliff.attempt(() => {
            if (down) throw new Error('down');
            return i;
          });
        } catch {
          // a failure or a refusal
        }
      }
      runTick();
      clock.advance(1000);
      registry.tick();
    }
    await registry.shutdown();
    const out = join(dir, 'model.onnx');
    await expect(runTrainCommand(['--from', file, '--out', out], () => {}, dir)).rejects.toThrow(
      /kept 0 trees past the starting point \(\d+ rows, [\d.]+% positive\): no split beat the base rate or the breaker's own trip chance, so nothing was written/,
    );
    expect(existsSync(out)).toBe(false);
    const stderr: string[] = [];
    const io = { stdout: { write: () => true }, stderr: { write: (text: string) => stderr.push(text) }, cwd: dir };
    expect(await main(['train', '--from', file, '--out', out], io)).toBe(2);
    expect(stderr.join('')).toMatch(/^breakwater train: kept 0 trees/);
  });
});
