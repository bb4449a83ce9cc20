/**
 * The process's own timer functions, captured when breakwater/opossum loads. The shared scheduler
 * and the call-timeout ring are internal wakeups, not the user's timers: a test that replaces the
 * global `setTimeout` (opossum's suite checks that a breaker without a timeout sets no timer) must
 * neither see them nor stop them. Tests that want to move breakwater's time pass a `clock`.
 */
export const {
  setTimeout: realSetTimeout,
  clearTimeout: realClearTimeout,
  setImmediate: realSetImmediate,
} = globalThis;
