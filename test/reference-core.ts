// The core selector loads the reference core with require() when it is chosen, which works in the
// built package but not on the TypeScript sources the suite runs: every test file gets the
// thread's reference core here, where the selector looks for it first.
import { ReferenceCore } from '../src/core/reference/core';

const REFERENCE = Symbol.for('breakwater.referenceCore');
const shared = globalThis as typeof globalThis & { [REFERENCE]?: ReferenceCore };
shared[REFERENCE] ??= new ReferenceCore();
