import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAdaptiveBreaker } from '../../../src/adaptive/adaptive-breaker';
import { ManualClock } from '../../../src/clock';
import { Registry } from '../../../src/registry/registry';

/** createAdaptiveBreaker's history files, as the README's example names them, in a fresh project. */
describe('createAdaptiveBreaker history folders', () => {
  it('creates the folder of metricsPath, and the history lands there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'breakwater-history-'));
    const metricsPath = join(dir, 'data/nested/events.jsonl');
    const registry = new Registry({ clock: new ManualClock(0) });
    const adaptive = await createAdaptiveBreaker('ranker', {
      registry,
      metricsPath,
      predictionEnabled: false,
      optimizationEnabled: false,
    });
    adaptive.breaker.forceOpen();
    await registry.flush();
    await adaptive.close();
    const events = readFileSync(metricsPath, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event_type: string });
    expect(events.map((event) => event.event_type)).toContain('transition');
  });

  it('names the option and the folder it cannot create, before any breaker is made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'breakwater-history-'));
    writeFileSync(join(dir, 'data'), 'a file where the folder should be');
    const registry = new Registry({ clock: new ManualClock(0) });
    await expect(
      createAdaptiveBreaker('ranker', {
        registry,
        metricsPath: join(dir, 'data/events.jsonl'),
        predictionEnabled: false,
      }),
    ).rejects.toThrow(
      `breakwater/adaptive: option metricsPath: cannot create the folder ${join(dir, 'data')} for ${join(dir, 'data/events.jsonl')} (EEXIST)`,
    );
    expect(registry.size).toBe(0);
  });
});
