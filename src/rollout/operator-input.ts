import { show } from '../error-message';

/**
 * What an operator passes to the manual controls, checked before anything moves: a reason is
 * written into the history and the state file, and a reason that is not a string made that file
 * unreadable on the next start (the rollout then starts OFF and paused).
 */
export function operatorReason(control: string, reason: unknown, fallback: string): string {
  if (reason === undefined) return fallback;
  if (typeof reason !== 'string')
    throw new TypeError(`breakwater/rollout: ${control}(reason) needs a string reason, got ${show(reason)}`);
  return reason;
}

/** promote()'s options: { full?: boolean, reason?: string }. */
export function promoteOptions(options: unknown): { full: boolean; reason: string | undefined } {
  if (options === undefined) return { full: false, reason: undefined };
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(
      `breakwater/rollout: promote(options) needs an object { full?, reason? }, got ${show(options)}`,
    );
  const { full, reason } = options as { full?: unknown; reason?: unknown };
  if (full !== undefined && typeof full !== 'boolean')
    throw new TypeError(`breakwater/rollout: promote() option "full" must be a boolean, got ${show(full)}`);
  if (reason !== undefined && typeof reason !== 'string')
    throw new TypeError(`breakwater/rollout: promote() option "reason" must be a string, got ${show(reason)}`);
  return { full: full === true, reason };
}
