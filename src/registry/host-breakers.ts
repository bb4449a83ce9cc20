import { CircuitBreaker } from '../breaker';
import { HostArena } from '../core/host-arena';
import { slotRef } from '../core/pool';
import { coreConfig, profileWithConfig, resolveName, resolveProfile, type CircuitBreakerOptions } from '../options';

/** The most bytes of UTF-8 a host arena's directory keeps of `kind\0name`. */
const MAX_KEY_BYTES = 224;

/**
 * The breaker `key` names in a host arena, as a view of its slot: made there with `options` when
 * no process named it before; otherwise it keeps the rules it was made with (the core's state is
 * one for every process), with a warning naming what this process asked for differently (unless
 * `adopting`: it asked for nothing). Its timeout, fallback, error filter and labels are this
 * process's own.
 */
export function hostBreaker(
  host: HostArena,
  key: string,
  options: CircuitBreakerOptions,
  adopting: boolean,
): CircuitBreaker {
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
  let profile = asked;
  if (!created) {
    const kept = profileWithConfig(asked, host.configOf(slot));
    profile = kept.profile;
    if (kept.differences.length > 0 && !adopting)
      process.emitWarning(
        `breakwater: "${name}" in host arena ${host.path} keeps the options another process created it with: ${kept.differences.join(', ')}`,
        { code: 'BREAKWATER_HOST_OPTIONS' },
      );
  }
  return CircuitBreaker.attachedTo({
    ref: slotRef(host.arena, slot),
    epoch: host.arena.epochOf(slot),
    name,
    profile,
    local: { isFailure: options.isFailure, fallback: options.fallback },
  });
}
