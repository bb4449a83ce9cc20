import { CircuitBreaker } from '../breaker';
import { HostArena } from '../core/host-arena';
import { slotRef } from '../core/pool';
import { coreConfig, profileWithConfig, resolveName, resolveProfile, type CircuitBreakerOptions } from '../options';

/** The most bytes of UTF-8 a host arena's directory keeps of `kind\0name`. */
const MAX_KEY_BYTES = 224;

/**
 * The breaker `key` names in a host arena, as a view of its slot: made there with `options` when
 * no process named it before; otherwise it keeps the rules a process last configured it with (the
 * core's state is one for every process), with a warning naming what this process asked for
 * differently (unless `adopting`: it asked for nothing). Its timeout, fallback, error filter and
 * labels are this process's own.
 */
export function hostBreaker(
  host: HostArena,
  key: string,
  options: CircuitBreakerOptions,
  adopting: boolean,
): HostPlacement {
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw new RangeError(
      `breakwater: a host arena names a breaker by its kind, a NUL and its name in at most ${MAX_KEY_BYTES} bytes of UTF-8; "${options.name}" takes ${Buffer.byteLength(key)}`,
    );
  const asked = resolveProfile(options);
  const name = resolveName(options);
  if (asked.slidingWindowBuckets > host.arena.maxBuckets)
    throw new RangeError(
      `breakwater: slidingWindowBuckets of "${name}" is ${asked.slidingWindowBuckets}, more than host arena ${host.path} holds (${host.arena.maxBuckets}; set host.maxBuckets where it is created)`,
    );
  const { slot, created } = host.lookup(key, coreConfig(asked));
  // Read before the record: a record written in between shows as a newer version at the next tick.
  const version = versionOf(host, slot);
  let profile = asked;
  if (!created) {
    const kept = profileWithConfig(asked, host.configOf(slot));
    profile = kept.profile;
    if (kept.differences.length > 0 && !adopting)
      process.emitWarning(
        `breakwater: "${name}" in host arena ${host.path} keeps the options a process of the host configured it with: ${kept.differences.join(', ')}`,
        { code: 'BREAKWATER_HOST_OPTIONS' },
      );
  }
  const breaker = CircuitBreaker.attachedTo({
    ref: slotRef(host.arena, slot),
    epoch: host.arena.epochOf(slot),
    name,
    profile,
    local: { isFailure: options.isFailure, fallback: options.fallback },
  });
  return { breaker, slot, version };
}

/** A host breaker's view in this process: its slot, and the config version of it the view took. */
export interface HostPlacement {
  readonly breaker: CircuitBreaker;
  readonly slot: number;
  version: number;
}

function versionOf(host: HostArena, slot: number): number {
  const out = new Float64Array(1);
  host.configVersions(Int32Array.of(slot), out);
  return out[0];
}

/** Says once that the host arena at `path` has directory entries naming no breaker (`keys`), which adoption skipped. */
export function warnUnnamedEntries(path: string, keys: readonly string[]): void {
  const shown = keys.slice(0, 3).map((key) => JSON.stringify(key));
  process.emitWarning(
    `breakwater: host arena ${path}: ${keys.length} directory ${keys.length === 1 ? 'entry names' : 'entries name'} no breaker (${shown.join(', ')}): skipped; something other than breakwater wrote the file`,
    { code: 'BREAKWATER_HOST_ENTRY' },
  );
}
