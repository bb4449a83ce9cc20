import type { CircuitBreaker } from '../breaker';
import type { CircuitBreakerOptions } from '../options';
import { defaultRegistry } from './default-registry';
import type { BreakerKind, Registry } from './registry';

export interface GuardOptions extends CircuitBreakerOptions {
  /** The registry holding the circuit; default the process's default registry. */
  registry?: Registry;
}

/** The named circuit, looked up on first call (defining a guarded function creates nothing). */
function circuitOf(kind: BreakerKind, name: string, options: GuardOptions): () => CircuitBreaker {
  const { registry, ...breakerOptions } = options;
  let breaker: CircuitBreaker | undefined;
  return () => (breaker ??= (registry ?? defaultRegistry()).getOrCreate(kind, name, breakerOptions));
}

/** A function that runs fn through the named circuit of the registry. */
export function guard<A extends unknown[], T>(
  kind: BreakerKind,
  name: string,
  fn: (...args: A) => T | PromiseLike<T>,
  options: GuardOptions = {},
): (...args: A) => Promise<T> {
  if (typeof fn !== 'function')
    throw new TypeError(`breakwater: guard("${kind}", "${name}", fn) needs a function, got ${typeof fn}`);
  const circuit = circuitOf(kind, name, options);
  return (...args: A) => circuit().execute(() => fn(...args));
}

/**
 * A method decorator (TypeScript/ECMAScript standard decorators): the method runs through the
 * named circuit. The method must return a promise (a refused call rejects with CircuitOpenError).
 *
 *     class Inference { @guardedBy('endpoint', 'model-a') async predict(x) { ... } }
 */
export function guardedBy(kind: BreakerKind, name: string, options: GuardOptions = {}) {
  const circuit = circuitOf(kind, name, options);
  return function decorate<This, A extends unknown[], T>(
    method: (this: This, ...args: A) => Promise<T>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<T>>,
  ): (this: This, ...args: A) => Promise<T> {
    if (context.kind !== 'method')
      throw new TypeError(`breakwater: @guardedBy decorates methods, not a ${context.kind}`);
    return function guarded(this: This, ...args: A): Promise<T> {
      return circuit().execute(() => method.apply(this, args));
    };
  };
}
