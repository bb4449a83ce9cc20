import type { FaultType } from './fault-types';
import type { Intensity } from './intensity';

/** An error a FaultInjector raised on purpose. `code` is the errno-style code it imitates. */
export class InjectedFault extends Error {
  /** Marks the error as injected, so a breaker's isFailure (or a test) can tell it apart. */
  readonly injected = true;
  constructor(
    readonly fault: FaultType,
    readonly intensity: Intensity,
    readonly code: string,
    message: string,
  ) {
    super(`breakwater/chaos: ${message} (injected ${intensity} ${fault})`);
    this.name = 'InjectedFault';
  }
}

/**
 * The fatal fault: what a crashing process would raise. It is an InjectedFault (so filters see it)
 * with `fatal = true`; code ECHAOSCRASH.
 */
export class InjectedCrash extends InjectedFault {
  readonly fatal = true;
  constructor(intensity: Intensity) {
    super('crash', intensity, 'ECHAOSCRASH', 'the process crashed');
    this.name = 'InjectedCrash';
  }
}

/** Whether an error was injected by a FaultInjector. */
export function isInjectedFault(error: unknown): error is InjectedFault {
  return error instanceof InjectedFault;
}

const MESSAGES: Record<string, string> = {
  ECONNREFUSED: 'connect ECONNREFUSED: nothing listens on the other side',
  ECONNRESET: 'socket hang up: the peer reset the connection (ECONNRESET)',
  EAGAIN: 'resource temporarily unavailable (EAGAIN)',
  EMFILE: 'too many open files (EMFILE)',
  ENOMEM: 'cannot allocate memory (ENOMEM)',
  ECHAOSFAULT: 'the call failed',
  ETIMEDOUT: 'the call hung until it was aborted',
};

/** The error a fault of this type raises, or undefined for faults that only delay (latency). */
export function faultError(fault: FaultType, intensity: Intensity, exhaustionCode: string): InjectedFault | undefined {
  switch (fault) {
    case 'crash':
      return new InjectedCrash(intensity);
    case 'connection-refused':
      return new InjectedFault(fault, intensity, 'ECONNREFUSED', MESSAGES.ECONNREFUSED);
    case 'connection-reset':
      return new InjectedFault(fault, intensity, 'ECONNRESET', MESSAGES.ECONNRESET);
    case 'resource-exhaustion':
      return new InjectedFault(fault, intensity, exhaustionCode, MESSAGES[exhaustionCode]);
    case 'throw':
    case 'reject':
      return new InjectedFault(fault, intensity, 'ECHAOSFAULT', MESSAGES.ECHAOSFAULT);
    case 'hang':
      return new InjectedFault(fault, intensity, 'ETIMEDOUT', MESSAGES.ETIMEDOUT);
    case 'latency':
      return undefined;
  }
}
