import { CircuitBreaker } from './breaker';

export type { OpossumOptions, SavedState } from './options';
export type { Stats, Bucket, StatusOptions } from './status';
export type { CacheTransport } from './cache';
export type { OpossumError, OpossumErrorCode } from './errors';

/** `require('breakwater/opossum')` / `import CircuitBreaker from 'breakwater/opossum'`: opossum 10's CircuitBreaker. */
export default CircuitBreaker;
