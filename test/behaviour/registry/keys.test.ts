import { describe, expect, it } from 'vitest';
import { ManualClock, Registry } from '../../../src/index';

describe('registry keys', () => {
  it('kind "a\\0b" / name "c" and kind "a" / name "b\\0c" are never the same breaker', () => {
    const registry = new Registry({ clock: new ManualClock(0) });
    const plain = registry.getOrCreate('a', 'b\u0000c');
    expect(() => registry.getOrCreate('a\u0000b', 'c')).toThrow(TypeError);
    expect(() => registry.getOrCreate('a\u0000b', 'c')).toThrow(
      'breakwater: a breaker kind must not contain the NUL character (\\u0000), got "a\\u0000b"',
    );
    expect(() => registry.get('a\u0000b', 'c')).toThrow(/kind must not contain the NUL character/);
    expect(() => registry.configure('a\u0000b', { failureThreshold: 2 })).toThrow(
      /kind must not contain the NUL character/,
    );
    expect(registry.size).toBe(1);
    expect(registry.get('a', 'b\u0000c')).toBe(plain);
    // A name may hold any character: only the kind is a separator's neighbour.
    const other = registry.getOrCreate('a', 'b');
    expect(other).not.toBe(plain);
    expect(registry.get('a', 'b')).toBe(other);
  });
});
