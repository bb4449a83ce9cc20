import { vi } from 'vitest';

/** Our compat breakers on one core: the native one, or the reference one (a fresh module graph). */
export async function compatOn(
  coreKind: 'native' | 'reference',
): Promise<typeof import('../../../src/compat/cockatiel')> {
  vi.resetModules();
  const previous = process.env.BREAKWATER_NATIVE;
  process.env.BREAKWATER_NATIVE = coreKind === 'native' ? '1' : '0';
  try {
    const compat = await import('../../../src/compat/cockatiel');
    const { coreKind: loaded } = await import('../../../src/core/select');
    if (loaded !== coreKind) throw new Error(`expected the ${coreKind} core, got ${loaded}`);
    return compat;
  } finally {
    if (previous === undefined) delete process.env.BREAKWATER_NATIVE;
    else process.env.BREAKWATER_NATIVE = previous;
  }
}
