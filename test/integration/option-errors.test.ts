import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CircuitBreaker, ManualClock, Registry } from '../../src/index';
import {
  AdaptiveTuner,
  CORE_FEATURES,
  EarlyWarning,
  Predictor,
  defaultModelPath,
  trainInWorker,
} from '../../src/adaptive/index';
import {
  bridgeToOpenTelemetry,
  collectBreakwaterMetrics,
  createDashboardHandler,
  createDuckDbSink,
  createJsonlSink,
  startDashboard,
} from '../../src/observe/index';
import { JsonlTaskStore } from '../../src/recovery/index';
import { show } from '../../src/error-message';
import { connectCluster } from '../../src/cluster/index';
import { FaultInjector } from '../../src/chaos/index';
import { MeterProvider } from '@opentelemetry/sdk-metrics';

/**
 * Values a caller may pass by mistake that a naive message cannot print: JSON.stringify throws on
 * a BigInt or a cycle and gives undefined for a function or a symbol.
 */
const cyclic: Record<string, unknown> = {};
cyclic.self = cyclic;
const AWKWARD: readonly unknown[] = [10n, Symbol('s'), cyclic, { nested: 10n }, () => 1, 1e308, {}];
/** The same for an argument that must be an object: anything else. */
const NOT_OBJECTS: readonly unknown[] = [10n, Symbol('s'), () => 1, 1e308, 'text', null];

/** The messages of JavaScript's own errors, which name no option: a malformed option must never end in one. */
const ENGINE_MESSAGE =
  /Cannot read|is not a function|not iterable|serialize a BigInt|circular structure|Cannot convert/;

function rejection(make: () => unknown): Error {
  try {
    make();
  } catch (error) {
    return error as Error;
  }
  throw new Error('accepted');
}

const registry = new Registry({ clock: new ManualClock(0) });
const typoFolder = mkdtempSync(join(tmpdir(), 'breakwater-typo-'));
const typoFile = (name: string): string => join(typoFolder, name);
/** An empty training set of the current feature list: valid, so the options are what is checked. */
const typoTrainingSet = () => ({
  featureList: CORE_FEATURES,
  features: new Float32Array(0),
  labels: new Uint8Array(0),
  rowCount: 0,
});
const predictor = await Predictor.load(defaultModelPath(), { executionProviders: ['typescript'] });
afterAll(() => {
  registry.shutdown();
  rmSync(typoFolder, { recursive: true, force: true });
});

describe('a malformed option is named, whatever its value', () => {
  it('shows any value without throwing: BigInts, symbols, cycles, functions, long data by kind', () => {
    expect(show(10n)).toBe('10n');
    expect(show(Symbol('s'))).toBe('Symbol(s)');
    expect(show(cyclic)).toBe('an object');
    expect(show([1, { a: 2n }])).toBe('an array');
    expect(show(() => 1)).toBe('a function');
    expect(show('x')).toBe('"x"');
    expect(show({ a: [1, 2] })).toBe('{"a":[1,2]}');
    expect(show(Array.from({ length: 100 }, (_, i) => i))).toBe('an array');
    expect(show(undefined)).toBe('undefined');
  });

  it('prints a BigInt or a numeric string as itself, not as the number it reads as, in every refusal of the breaker and its clock', async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock });
    const messages = [
      () => breaker.shed(1n as never),
      () => breaker.recordSuccess('10' as never),
      () => breaker.recordFailure(undefined, 10n as never),
      () => breaker.preOpen('5' as never),
      () => breaker.reconfigure(42 as never),
      () => new ManualClock('5' as never),
      () => clock.advance(10n as never),
      () => clock.set('5' as never),
      () => CircuitBreaker.fromHandle({ ...breaker.handle, version: '2' as never }),
      () => CircuitBreaker.fromHandle({ ...breaker.handle, slot: '1' as never }),
    ].map((make) => rejection(make).message);
    expect(messages.map((message) => message.match(/(got |version |slot )(\S+)/)?.[2])).toEqual([
      '1n',
      '"10"',
      '10n',
      '"5"',
      '42',
      '"5"',
      '10n',
      '"5"',
      '"2"',
      '"1"',
    ]);
    await expect(clock.runFor('5' as never)).rejects.toThrow(/got "5"$/);
    await expect(breaker.executeWithRetries(async () => 1, { maxRetries: '3' as never })).rejects.toThrow(/got "3"$/);
    await expect(breaker.executeWithRetries(async () => 1, { backoff: 10n as never })).rejects.toThrow(/got 10n$/);
    breaker.dispose();
  });

  const cases: readonly [string, string, (value: unknown) => unknown, (readonly unknown[])?][] = [
    ['Registry', 'clock', (clock) => new Registry({ clock } as never)],
    ['CircuitBreaker', 'clock', (clock) => new CircuitBreaker({ clock } as never)],
    ['registry.getOrCreate', 'kind', (kind) => registry.getOrCreate(kind as never, 'name')],
    ['registry.getOrCreate', 'name', (name) => registry.getOrCreate('endpoint', name as never)],
    ['EarlyWarning', 'mode', (mode) => new EarlyWarning(registry, predictor, { mode } as never)],
    ['EarlyWarning', 'kinds', (kinds) => new EarlyWarning(registry, predictor, { kinds } as never)],
    ['EarlyWarning', 'Registry', (given) => new EarlyWarning(given as never, predictor)],
    ['AdaptiveTuner', 'kinds', (kinds) => new AdaptiveTuner(registry, { kinds } as never)],
    [
      'AdaptiveTuner',
      'retrainingInterval',
      (every) => new AdaptiveTuner(registry, { retrainingInterval: every } as never),
    ],
    ['AdaptiveTuner', 'Registry', (given) => new AdaptiveTuner(given as never)],
    ['dashboard', 'allowedHosts', (allowedHosts) => createDashboardHandler({ registry, allowedHosts } as never)],
    ['dashboard', 'controls', (controls) => createDashboardHandler({ registry, controls } as never)],
    ['registry.list', 'list() query', (query) => registry.list(query as never), NOT_OBJECTS],
    ['registry.list', 'search', (search) => registry.list({ search } as never)],
    ['registry.list', 'state', (state) => registry.list({ state } as never)],
    ['registry.recent', 'recent() query', (query) => registry.recent(query as never), NOT_OBJECTS],
    [
      'registry.hardwareBreaker',
      'options for hardware',
      (options) => registry.hardwareBreaker('gpu', options as never),
      NOT_OBJECTS,
    ],
    ['registry.schedule', 'schedule(name)', (name) => registry.schedule(name as never, 1000, () => {})],
    ['collectBreakwaterMetrics', 'Registry', (given) => collectBreakwaterMetrics(given as never)],
    ['bridgeToOpenTelemetry', 'Registry', (given) => bridgeToOpenTelemetry(given as never, {} as never)],
  ];

  it.each(cases)('%s rejects a malformed %s with an error that names it', (_, option, make, values = AWKWARD) => {
    for (const value of values) {
      const error = rejection(() => make(value));
      expect(error, show(value)).toBeInstanceOf(Error);
      expect(error.message, show(value)).toContain(option);
      expect(error.message, show(value)).not.toMatch(ENGINE_MESSAGE);
    }
  });

  it('quotes the hardware class once in its options error', () => {
    expect(rejection(() => registry.hardwareBreaker('gpu', null as never)).message).toBe(
      'breakwater: options for hardware "gpu" must be an object, got null',
    );
  });

  it('rejects retry options that are not an object, naming them', async () => {
    const breaker = new CircuitBreaker({ clock: new ManualClock(0) });
    for (const options of [null, 10n, 'fast'])
      await expect(breaker.executeWithRetries(async () => 1, options as never)).rejects.toThrow(
        /breakwater: retry options must be an object, got /,
      );
    breaker.dispose();
  });

  it('bounds the thread count it hands onnxruntime, and names the option', async () => {
    await expect(Predictor.load(defaultModelPath(), { intraOpThreads: 1e308 })).rejects.toThrow(
      /options\.intraOpThreads must be an integer from 1 to 1024, got 1e\+308/,
    );
  });
});

describe('a misspelt option is refused, naming it and the options there are', () => {
  // Before, each of these but the FaultInjector took the typo and left the default in force.
  const misspelt: readonly [string, string, () => unknown][] = [
    ['Registry', 'summaryEveryMS', () => new Registry({ summaryEveryMS: 0 } as never)],
    ['Registry option "host"', 'capacty', () => new Registry({ host: { name: 'typo', capacty: 8 } } as never)],
    [
      'EarlyWarning',
      'predictionTreshold',
      () => new EarlyWarning(registry, predictor, { predictionTreshold: 0.9 } as never),
    ],
    ['AdaptiveTuner', 'learningrate', () => new AdaptiveTuner(registry, { learningrate: 1 } as never)],
    [
      'connectCluster',
      'syncInterval',
      () => connectCluster(registry, { redis: 'redis://127.0.0.1:1', syncInterval: 50 } as never),
    ],
    ['FaultInjector', 'sead', () => new FaultInjector({ sead: 1 } as never)],
    ['createDashboardHandler', 'control', () => createDashboardHandler({ registry, control: true } as never)],
    ['collectBreakwaterMetrics', 'prefx', () => collectBreakwaterMetrics(registry, { prefx: 'app_' } as never)],
    [
      'bridgeToOpenTelemetry',
      'prefx',
      () => bridgeToOpenTelemetry(registry, new MeterProvider().getMeter('typo'), { prefx: 'app.' } as never),
    ],
    // These four took a typo until 2026-12-07 (a README audit found them).
    ['createJsonlSink', 'maxFile', () => createJsonlSink({ path: typoFile('events.jsonl'), maxFile: 2 } as never)],
    [
      'JsonlTaskStore.open',
      'compactafter',
      () => JsonlTaskStore.open(typoFile('tasks.jsonl'), { compactafter: 10 } as never),
    ],
    ['trainInWorker', 'validaton', () => trainInWorker(typoTrainingSet(), { validaton: undefined } as never)],
  ];

  it.each(misspelt)('%s refuses "%s"', (_, option, make) => {
    expect(rejection(make)).toMatchObject({
      name: 'TypeError',
      message: expect.stringMatching(new RegExp(`unknown option "${option}" \\(known: \\w+, `)),
    });
  });

  it('Predictor.load, retries, startDashboard and createDuckDbSink refuse a misspelt option too', async () => {
    await expect(createDuckDbSink({ path: ':memory:', batchsize: 10 } as never)).rejects.toThrow(
      /createDuckDbSink options: unknown option "batchsize" \(known: path, batchSize, maxQueuedEvents\)/,
    );
    await expect(startDashboard({ registry, prot: 0 } as never)).rejects.toThrow(
      /startDashboard options: unknown option "prot" \(known: .*, port, host\)/,
    );
    await expect(Predictor.load(defaultModelPath(), { executionProvider: ['cpu'] } as never)).rejects.toThrow(
      /Predictor.load options: unknown option "executionProvider" \(known: featureList, executionProviders, intraOpThreads\)/,
    );
    const breaker = new CircuitBreaker({ clock: new ManualClock(0) });
    await expect(breaker.executeWithRetries(async () => 1, { retries: 3 } as never)).rejects.toThrow(
      /retry options: unknown option "retries" \(known: maxRetries, /,
    );
    breaker.dispose();
  });
});
