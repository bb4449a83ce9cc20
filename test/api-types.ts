// Compiled by `npm run typecheck` (part of `npm test`): the README's call shapes must type-check.
import { CircuitBreaker, type Attempt } from '../src/index';

const breaker = new CircuitBreaker({
  name: 'inventory',
  failureRateThreshold: 50,
  minimumCalls: 20,
  recoveryTimeout: 10_000,
  timeout: 2_000,
});
breaker.on('open', (e) => console.warn(`${breaker.name} opened (${e.reason}), retry in ${e.retryAfterMs} ms`));

export const withArgsAndSignal: Promise<Response> = breaker.execute(
  (sku: string, { signal }) => fetch(`http://inventory/${sku}`, { signal }),
  'sku-42',
);
export const noArgs: Promise<number> = breaker.execute(async () => 1);
export const contextOnly: Promise<number> = breaker.execute(async ({ signal }) => (signal.aborted ? 0 : 1));
export const argsWithoutContext: Promise<number> = breaker.execute(async (x: number) => x * 2, 21);
export const wrapped: (x: number) => Promise<number> = breaker.wrap(async (x: number) => x * 2);
export const attempted: Attempt<number> = breaker.attempt(() => 1);

// Shapes that must not compile: each line fails the type check if its error goes away.
// @ts-expect-error an argument of the wrong type for the guarded function
export const wrongArgument = breaker.execute(async (x: number) => x * 2, 'twenty-one');
// @ts-expect-error a missing argument
export const missingArgument = breaker.execute(async (x: number, y: number) => x + y, 1);
// @ts-expect-error the result is a Promise<number>, not a Promise<string>
export const wrongResult: Promise<string> = breaker.execute(async () => 1);
// @ts-expect-error the context carries a signal, not a deadline
export const noDeadline = breaker.execute(async ({ deadline }) => deadline);
// @ts-expect-error a guarded value must be a function
export const notAFunction = breaker.execute(42);
// @ts-expect-error attempt() guards synchronous functions of no arguments
export const attemptWithArguments = breaker.attempt((x: number) => x);
// @ts-expect-error event names are typed
breaker.on('opne', () => {});
