import type { CallContext } from './types';

/**
 * The context of a guarded call without a timeout: its signal is never aborted, and is the call's
 * own, made when first read (most functions never read it). One signal shared by every call kept
 * each call's abort listener for good (a fetch's, say): a leak, and MaxListenersExceededWarning
 * after ten calls.
 */
export class UntimedContext implements CallContext {
  private own: AbortSignal | undefined;

  get signal(): AbortSignal {
    return (this.own ??= new AbortController().signal);
  }
}
