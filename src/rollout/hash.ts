/**
 * The id hash behind shouldUseNewVersion(): 32-bit FNV-1a over the id's UTF-16 code units (one
 * multiply per code unit, no allocation, no TextEncoder), finished with murmur3's fmix32 avalanche
 * so that ids differing only in their last characters ("user-41", "user-42") still land uniformly
 * over the whole 32-bit range, whose top bits the split compares.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a of a string's UTF-16 code units, continuing from `basis`. */
export function fnv1a32(text: string, basis = FNV_OFFSET_BASIS): number {
  let hash = basis;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** murmur3's 32-bit finaliser: every input bit flips each output bit with probability ~1/2. */
export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The FNV basis a seed starts from: different rollouts (seeds) pick independent sets of ids. */
export function seededBasis(seed: string): number {
  return seed.length === 0 ? FNV_OFFSET_BASIS : fnv1a32(seed);
}

/** An id's position in [0, 2^32): it is on the new version while position < weight * 2^32. */
export function idPosition(id: string, basis: number): number {
  return fmix32(fnv1a32(id, basis));
}

/** The position bound for a weight: positions below it take the new version. 2^32 admits every id. */
export function positionBound(weight: number): number {
  return weight >= 1 ? 2 ** 32 : Math.floor(weight * 2 ** 32);
}
