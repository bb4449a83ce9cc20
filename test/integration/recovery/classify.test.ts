import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/breaker';
import { ManualClock } from '../../../src/clock';
import { CircuitOpenError } from '../../../src/errors/CircuitOpenError';
import { TimeoutError } from '../../../src/errors/TimeoutError';
import { defaultClassifier } from '../../../src/recovery/classify';
import { RecoveryManager } from '../../../src/recovery/manager';
import { coded, rig } from './helpers';

describe('the default classifier', () => {
  it.each([
    ['a breaker TimeoutError', new TimeoutError('worker/w1', 500), 'timeout'],
    ['ETIMEDOUT', coded('ETIMEDOUT'), 'timeout'],
    ['an undici headers timeout', coded('UND_ERR_HEADERS_TIMEOUT'), 'timeout'],
    ['AbortSignal.timeout()', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), 'timeout'],
    ['a "timed out" message', new Error('request timed out'), 'timeout'],
    ['ECONNRESET', coded('ECONNRESET'), 'connection'],
    ['EPIPE', coded('EPIPE'), 'connection'],
    ['ECONNREFUSED', coded('ECONNREFUSED'), 'unreachable'],
    [
      'fetch failed (ECONNREFUSED as the cause)',
      new TypeError('fetch failed', { cause: coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:9') }),
      'unreachable',
    ],
    ['ERR_OUT_OF_MEMORY', coded('ERR_OUT_OF_MEMORY'), 'out-of-memory'],
    ['ENOMEM', coded('ENOMEM'), 'out-of-memory'],
    [
      'a CUDA OOM message',
      new Error('CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.90 GiB total capacity)'),
      'out-of-memory',
    ],
    ['a CUDA runtime OOM', new Error('RuntimeError: CUDA error: out of memory'), 'out-of-memory'],
    [
      'an ONNX Runtime allocation failure',
      new Error('Failed to allocate memory for requested buffer of size 1073741824'),
      'out-of-memory',
    ],
    ['a V8 allocation failure', new RangeError('Array buffer allocation failed'), 'out-of-memory'],
    ['a string error', 'CUDA_ERROR_OUT_OF_MEMORY: out of memory', 'out-of-memory'],
    ['a refused call', new CircuitOpenError('worker/w1', 1000, 'open'), 'circuit-open'],
    ['anything else', new Error('the model returned garbage'), 'unknown'],
    ['a non-error', 42, 'unknown'],
  ])('%s is %s', (_name, error, kind) => {
    expect(defaultClassifier(error)).toBe(kind);
  });

  it('classifies the TimeoutError a real breaker raises on a slow call', async () => {
    const clock = new ManualClock(0);
    const breaker = new CircuitBreaker({ clock, timeout: 100 });
    const call = breaker.execute(() => new Promise(() => undefined));
    clock.advance(100);
    const error = await call.catch((e: unknown) => e);
    expect(defaultClassifier(error)).toBe('timeout');
  });
});

describe('user classification', () => {
  it('an errorKind in the context wins over any classifier', () => {
    const { registry } = rig();
    const manager = new RecoveryManager({ registry, classify: () => 'fatal' });
    expect(manager.handleFailure({ task: 'a', errorKind: 'transient', error: coded('ENOMEM') }).failureKind).toBe(
      'transient',
    );
  });

  it('a classifier decides, and undefined falls back to the default one', () => {
    const { registry } = rig();
    const manager = new RecoveryManager({
      registry,
      classify: (error) => (String(error).includes('browser') ? 'crash' : undefined),
    });
    expect(manager.handleFailure({ task: 'a', error: new Error('browser disconnected') }).failureKind).toBe('crash');
    expect(manager.handleFailure({ task: 'b', error: coded('ECONNRESET') }).failureKind).toBe('connection');
    expect(manager.handleFailure({ task: 'c', message: 'CUDA out of memory' }).failureKind).toBe('out-of-memory');
  });

  it('a classifier returning something outside the vocabulary is a named error', () => {
    const { registry } = rig();
    const manager = new RecoveryManager({ registry, classify: () => 'flaky' as never });
    expect(() => manager.handleFailure({ task: 'a', error: new Error('x') })).toThrow(
      /option "classify" returned "flaky"; expected one of transient/,
    );
  });
});
