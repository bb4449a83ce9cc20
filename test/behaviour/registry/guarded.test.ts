import { describe, expect, it } from 'vitest';
import { transformSync } from 'esbuild';
import { CircuitOpenError, ManualClock, Registry, guard, guardedBy } from '../../../src/index';

/**
 * Compiles a class that uses standard decorators the way a user's build does (esbuild, as tsup and
 * tsx use it): the test runner's own transform doesn't lower them.
 */
function compileClass<T>(source: string, scope: Record<string, unknown>): T {
  const { code } = transformSync(`function make() { return (${source}); }`, { loader: 'ts', target: 'es2022' });
  return new Function(...Object.keys(scope), `${code}\nreturn make();`)(...Object.values(scope)) as T;
}

describe('guarding functions and methods by a named circuit', () => {
  it('@guardedBy runs a method through the named circuit and refuses once it opens', async () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    interface Client {
      calls: number;
      predict(input: number): Promise<number>;
    }
    const ModelClient = compileClass<new (healthy: boolean) => Client>(
      `class ModelClient {
        calls = 0;
        constructor(private readonly healthy: boolean) {}
        @guardedBy('endpoint', 'model-a', { registry, failureThreshold: 2 })
        async predict(input: number): Promise<number> {
          this.calls++;
          if (!this.healthy) throw new Error('model down');
          return input * 2;
        }
      }`,
      { guardedBy, registry },
    );
    expect(registry.size).toBe(0); // defining the class creates nothing
    expect(await new ModelClient(true).predict(21)).toBe(42);
    const sick = new ModelClient(false);
    await expect(sick.predict(1)).rejects.toThrow('model down');
    await expect(sick.predict(1)).rejects.toThrow('model down');
    await expect(sick.predict(1)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(sick.calls).toBe(2);
    expect(registry.isOpen('endpoint', 'model-a')).toBe(true);
  });

  it('@guardedBy refuses to decorate a field', () => {
    expect(() => compileClass(`class C { @guardedBy('task', 't') x = 1; }`, { guardedBy })).toThrow(
      /decorates methods, not a field/,
    );
  });

  it('guard() wraps a function by a named circuit of a registry', async () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    const add = guard('task', 'sum', async (a: number, b: number) => a + b, { registry });
    expect(await add(2, 3)).toBe(5);
    expect(registry.get('task', 'sum')!.getMetrics().successes).toBe(1);
    expect(() => guard('task', 'x', 42 as never)).toThrow(/needs a function/);
  });
});
