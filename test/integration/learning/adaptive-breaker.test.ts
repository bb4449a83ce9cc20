import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAdaptiveBreaker } from '../../../src/adaptive/adaptive-breaker';
import { ManualClock } from '../../../src/clock';
import { Registry } from '../../../src/registry/registry';

describe('createAdaptiveBreaker', () => {
  it('maps the adaptive options: base values, hardware type, tuning, prediction with the shipped model, JSONL history', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-adaptive-'));
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const adaptive = await createAdaptiveBreaker('ranker', {
      registry,
      hardwareType: 'gpu',
      baseFailureRateThreshold: 40,
      baseRecoveryTimeout: 15_000,
      failureThreshold: 0,
      learningRate: 0.5,
      retrainingInterval: 5000,
      minDataPoints: 2,
      executionProviders: ['typescript'],
      metricsPath: join(dir, 'events.jsonl'),
    });
    expect(adaptive.breaker.name).toBe('adaptive/ranker');
    expect(adaptive.breaker.options).toMatchObject({
      failureRateThreshold: 40,
      recoveryTimeout: 15_000,
      labels: { hardware: 'gpu' },
    });
    expect(adaptive.tuner?.options).toMatchObject({ learningRate: 0.5, retrainingInterval: 5000, minDataPoints: 2 });
    expect(adaptive.earlyWarning).toBeDefined();
    expect(adaptive.predictionError).toBeUndefined();
    for (let i = 0; i < 30; i++) adaptive.breaker.executeSync(() => i);
    await adaptive.earlyWarning!.step(clock.now());
    expect(registry.breakerHealth('adaptive', 'ranker')?.probability).not.toBeNull();
    registry.recordEvent('adaptive', 'ranker', 'recovery', { action: 'test' });
    await registry.flush();
    await adaptive.close();
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((e) => e.event_type)).toContain('prediction');
  });

  it('a bad model file turns prediction off with a warning that names it, and the breaker keeps working', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bw-adaptive-'));
    const bad = join(dir, 'truncated.onnx');
    writeFileSync(bad, readFileSync(join(__dirname, '../../../models/default.onnx')).subarray(0, 100));
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const adaptive = await createAdaptiveBreaker('classifier', {
      registry: new Registry({ clock: new ManualClock(0) }),
      modelPath: bad,
      executionProviders: ['typescript'],
    });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(adaptive.earlyWarning).toBeUndefined();
    expect(adaptive.predictionError?.message).toMatch(/truncated\.onnx/);
    expect(
      warnings.some(
        (w) => w.includes('prediction is off for breaker "adaptive/classifier"') && w.includes('truncated.onnx'),
      ),
    ).toBe(true);
    expect(adaptive.breaker.executeSync(() => 42)).toBe(42);
    await adaptive.close();
  });

  it('shares one tuner and one early warning among the adaptive breakers of a registry, until the last is closed', async () => {
    const clock = new ManualClock(0);
    const registry = new Registry({ clock });
    const options = { registry, executionProviders: ['typescript'] as const, failureThreshold: 0 };
    const [ranker, classifier] = await Promise.all([
      createAdaptiveBreaker('ranker', options),
      createAdaptiveBreaker('classifier', options),
    ]);
    // Before, the second made a tuner and an early warning of its own: both acted on every breaker.
    expect(classifier.earlyWarning).toBe(ranker.earlyWarning);
    expect(classifier.tuner).toBe(ranker.tuner);
    expect(classifier.predictionError).toBeUndefined();
    await ranker.close();
    for (let i = 0; i < 30; i++) classifier.breaker.executeSync(() => i);
    await classifier.earlyWarning!.step(clock.now());
    expect(registry.breakerHealth('adaptive', 'classifier')?.probability).not.toBeNull();
    await classifier.close();
    const third = await createAdaptiveBreaker('reranker', options);
    expect(third.earlyWarning).not.toBe(ranker.earlyWarning);
    await third.close();
  });

  it('with optimisation and prediction off it is a plain registry breaker', async () => {
    const adaptive = await createAdaptiveBreaker('plain', { optimizationEnabled: false, predictionEnabled: false });
    expect(adaptive.tuner).toBeUndefined();
    expect(adaptive.earlyWarning).toBeUndefined();
    expect(adaptive.predictionError).toBeUndefined();
    await adaptive.close();
  });
});
