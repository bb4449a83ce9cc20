import { Arena } from '../core/arena';
import { HostArena } from '../core/host-arena';
import { slotRef, type SlotRef } from '../core/pool';
import { resolveName, resolveProfile, type BreakerProfile, type ResolvedOptions } from '../options';
import { optionsObject } from '../options-object';
import { show } from '../error-message';
import type { BreakerHandle, LocalOptions } from './types';

/** The handle layout this build makes and attaches to. */
const HANDLE_VERSION = 2;

/** What a breaker attached from a handle is made of. */
export interface Attachment {
  readonly ref: SlotRef;
  readonly epoch: number;
  readonly name: string;
  readonly profile: Readonly<BreakerProfile>;
  readonly local: LocalOptions;
}

/**
 * The key under which fromHandle() passes an Attachment to the constructor: module-private, so no
 * options object a user writes can carry one.
 */
export const ATTACHMENT: unique symbol = Symbol('breakwater.attachment');

/**
 * The options a view of a shared breaker sets for itself. A key per option, so one added to
 * LocalOptions and not here does not compile.
 */
const LOCAL_OPTIONS: Record<keyof LocalOptions, true> = { isFailure: true, fallback: true, timeout: true };

/**
 * Checks a handle (its kind, version, memory, slot and epoch) and the view's own options, and
 * resolves what attaching to it takes.
 */
export function attachmentOf(handle: BreakerHandle, local: LocalOptions | undefined): Attachment {
  const own = localOptions(local);
  if (handle === null || typeof handle !== 'object' || handle.kind !== 'breakwater.breaker') {
    throw new TypeError('breakwater: fromHandle() needs the `handle` of a CircuitBreaker');
  }
  if (handle.version !== HANDLE_VERSION)
    throw new RangeError(
      `breakwater: breaker handle version ${show(handle.version)} is not supported (expected ${HANDLE_VERSION})`,
    );
  const arena =
    typeof handle.host === 'string'
      ? HostArena.attachPath(handle.host).arena
      : Arena.from(handle.buffer, 'handle.buffer');
  if (!Number.isInteger(handle.slot) || handle.slot < 0 || handle.slot >= arena.capacity) {
    throw new RangeError(
      `breakwater: handle slot ${show(handle.slot)} is outside its arena (0..${arena.capacity - 1})`,
    );
  }
  const options = { ...handle.options, ...own };
  if (handle.epoch !== arena.epochOf(handle.slot))
    throw staleHandleError(resolveName(options), handle.epoch, arena.epochOf(handle.slot));
  // A slot no breaker holds would go to the next breaker created: a view of it would share that one.
  if (!arena.holdsBreaker(handle.slot))
    throw new RangeError(
      `breakwater: handle slot ${handle.slot} holds no breaker (never taken, or given back): attach to a live breaker's handle`,
    );
  return {
    ref: slotRef(arena, handle.slot),
    epoch: handle.epoch,
    name: resolveName(options),
    profile: resolveProfile(options),
    local: own,
  };
}

/**
 * `local` when it holds only options a view sets for itself. Any other would be reported in the
 * view's `options` while the owner's, in the shared slot, govern.
 */
function localOptions(local: LocalOptions | undefined): LocalOptions {
  const checked = optionsObject(local, 'breakwater: fromHandle(handle, local) options');
  const accepted = Object.keys(LOCAL_OPTIONS);
  for (const key of Object.keys(checked))
    if (!Object.hasOwn(LOCAL_OPTIONS, key))
      throw new TypeError(
        `breakwater: fromHandle(handle, local) takes only the options local to this thread (${accepted.join(', ')}), got "${key}": a shared breaker's other options are its owner's (reconfigure() changes them for every thread)`,
      );
  return checked;
}

/** The handle of a breaker's slot: its memory, slot, the slot's epoch and the options in force. */
export function handleOf(ref: SlotRef, options: ResolvedOptions): BreakerHandle {
  return {
    kind: 'breakwater.breaker',
    version: HANDLE_VERSION,
    buffer: ref.arena.hostPath === undefined ? (ref.arena.buffer as SharedArrayBuffer) : null,
    ...(ref.arena.hostPath === undefined ? {} : { host: ref.arena.hostPath }),
    slot: ref.slot,
    epoch: ref.arena.epochOf(ref.slot),
    options: { ...options, labels: { ...options.labels } },
  };
}

export function staleHandleError(name: string, handleEpoch: number, slotEpoch: number): TypeError {
  return new TypeError(
    `breakwater: breaker "${name}" was disposed by its owner (its slot was given back: handle epoch ${handleEpoch}, slot epoch ${slotEpoch}); attach to a live breaker's handle`,
  );
}
