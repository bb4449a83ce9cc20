// The registry loads its feature extractor with require() at its first window summary, which works
// in the built package but not on the TypeScript sources the suite runs: every test file gets the
// module here, where the registry looks first. (A setup file of its own, after reference-core.ts:
// the extractor's imports pick the thread's core, which must be there first.)
import * as coreFeatures from '../src/features/core-features';

const CORE_FEATURES_MODULE = Symbol.for('breakwater.coreFeatures');
const shared = globalThis as typeof globalThis & { [CORE_FEATURES_MODULE]?: typeof coreFeatures };
shared[CORE_FEATURES_MODULE] ??= coreFeatures;
