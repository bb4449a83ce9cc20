import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/breaker';
import { ManualClock } from '../../../src/clock';
import type * as Adaptive from '../../../src/adaptive/index';
import { predictProbabilities } from '../../../src/adaptive/gbdt/model';
import { trainGbdt } from '../../../src/adaptive/gbdt/train';
import { modelFromTreeEnsemble } from '../../../src/adaptive/onnx/import-tree-ensemble';
import { decodeModel, readModelInfo } from '../../../src/adaptive/onnx/model-file';
import { trainInWorker } from '../../../src/adaptive/train-worker';
import { FEATURES, buildAdaptiveBundle, syntheticSet } from './helpers';

// Workers cannot run TypeScript: these tests use the adaptive entry bundled by esbuild, so
// trainInWorker starts its worker on that very file, as it does from dist/.
let built: typeof Adaptive;
let bundle: string;
beforeAll(() => {
  bundle = buildAdaptiveBundle();
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a bundle this test builds at run time
  built = require(bundle) as typeof Adaptive;
});
afterAll(() => rmSync(dirname(bundle), { recursive: true, force: true }));

describe('trainInWorker', () => {
  const { set } = syntheticSet(20_000, 41, 2, 0.05);

  it('trains off the event loop: guarded calls keep running while the trees grow', async () => {
    const breaker = new CircuitBreaker({ clock: new ManualClock(0) });
    let turns = 0;
    let turning = true;
    const spin = (): void => {
      // One guarded call per turn of the loop.
      turns = breaker.executeSync(() => turns + 1);
      if (turning) setImmediate(spin);
    };
    setImmediate(spin);
    const progress: number[] = [];
    const turnsAtProgress: number[] = [];
    const trained = await built.trainInWorker(set, {
      gbdt: { seed: 41, rounds: 60, earlyStoppingRounds: 0 },
      onProgress: (p) => {
        progress.push(p.round);
        turnsAtProgress.push(turns);
      },
    });
    // Read at the moment the promise settles: a trainer on this thread would leave it at 0.
    const turnsWhenTrained = turns;
    turning = false;
    expect(progress).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(turnsAtProgress[0]).toBeGreaterThan(0);
    expect(turnsWhenTrained).toBeGreaterThan(0);
    expect(breaker.getMetrics().successes).toBeGreaterThanOrEqual(turnsWhenTrained);
    expect(trained.summary.roundsGrown).toBe(60);
    // The same model as training here, in the calling thread.
    const here = trainGbdt(set, { seed: 41, rounds: 60, earlyStoppingRounds: 0 });
    const back = modelFromTreeEnsemble(decodeModel(trained.onnx));
    expect(back.trees).toEqual(here.trees);
    expect(predictProbabilities(back, set.features.subarray(0, 600))).toEqual(
      predictProbabilities(here, set.features.subarray(0, 600)),
    );
  });

  it('returns the tensorised form when asked, with the extra metadata', async () => {
    const trained = await built.trainInWorker(set, {
      gbdt: { rounds: 5 },
      form: 'tensorised',
      extra: { data: 'synthetic' },
    });
    const info = readModelInfo(trained.onnx);
    expect(info.description.form).toBe('tensorised');
    expect(info.description.extra).toEqual({ data: 'synthetic' });
    expect(info.featureList).toEqual(FEATURES);
  });

  it("rejects with the worker's error when training fails", async () => {
    const oneClass = { ...set, labels: new Uint8Array(set.rowCount) };
    await expect(built.trainInWorker(oneClass, { gbdt: { validationFraction: 0 } })).rejects.toThrow(
      /need both labels, got 0 positive/,
    );
    await expect(built.trainInWorker(set, { gbdt: { maxDepth: 99 } })).rejects.toThrow(
      /gbdt option maxDepth must be an integer in \[1, 16\], got 99/,
    );
  });

  it('bad arguments fail before a worker starts', () => {
    expect(() => built.trainInWorker({ ...set, labels: new Uint8Array(3) })).toThrow(
      /labels has 3 labels, expected one per row/,
    );
    expect(() => built.trainInWorker(set, { form: 'zipmap' as never })).toThrow(
      /option form must be 'tree-ensemble' or 'tensorised'/,
    );
  });

  it('an abort signal terminates the worker', async () => {
    const controller = new AbortController();
    const training = built.trainInWorker(set, {
      gbdt: { rounds: 10_000, earlyStoppingRounds: 0 },
      signal: controller.signal,
      onProgress: () => controller.abort(new Error('stop training')),
    });
    await expect(training).rejects.toThrow('stop training');
  });

  it('from TypeScript source, without a built entry: a clear error', () => {
    expect(() => trainInWorker(set)).toThrow(
      /cannot start a worker on TypeScript source .*train-worker\.ts.*pass options.workerEntry/,
    );
  });
});
