/**
 * The values of cockatiel's `CircuitState` enum that its policy passes to a breaker. Kept here so
 * the compat layer needs cockatiel only for types, never at run time.
 */
export const CircuitStateValue = { Closed: 0, HalfOpen: 2 } as const;
