// Compiled by `npm run typecheck` (part of `npm test`): the README's call shapes must type-check.
import { CircuitBreaker, type Attempt } from '../src/index';

const breaker = new CircuitBreaker({ name: 'inventory', failureRateThreshold: 50, minimumCalls: 20, recoveryTimeout: 10_000, timeout: 2_000 });
breaker.on('open', (e) => console.warn(`${breaker.name} opened (${e.reason}), retry in ${e.retryAfterMs} ms`));

export const withArgsAndSignal: Promise<Response> = breaker.execute((sku: string, { signal }) => fetch(`http://inventory/${sku}`, { signal }), 'sku-42');
export const noArgs: Promise<number> = breaker.execute(async () => 1);
export const contextOnly: Promise<number> = breaker.execute(async ({ signal }) => (signal.aborted ? 0 : 1));
export const argsWithoutContext: Promise<number> = breaker.execute(async (x: number) => x * 2, 21);
export const wrapped: (x: number) => Promise<number> = breaker.wrap(async (x: number) => x * 2);
export const attempted: Attempt<number> = breaker.attempt(() => 1);
