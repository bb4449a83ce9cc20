// One thread of the threads benchmark: `calls` guarded calls on a shared breaker (or, without a
// handle, on a breaker of its own), timed here after `warmup` untimed ones (so V8 has optimized
// the loop before the clock starts: with two busy threads on two cores its compiler has no core
// of its own, which held the timed calls in slower code and made two threads look slower).
import { parentPort, workerData } from 'node:worker_threads';

const { CircuitBreaker } = await import(workerData.entry);
const breaker = workerData.handle
  ? CircuitBreaker.fromHandle(workerData.handle)
  : new CircuitBreaker({ name: `own-${workerData.index}` });
let counter = 0;
const work = () => (counter = (counter + 1) & 0xfffffff);
const guard = (calls) => {
  for (let i = 0; i < calls; i++) breaker.executeSync(work);
};
guard(workerData.warmup);
// Start together: wait for the go signal on the shared flag.
Atomics.wait(workerData.gate, 0, 0);
const start = performance.now();
guard(workerData.calls);
const elapsedMs = performance.now() - start;
breaker.flush();
parentPort.postMessage({ elapsedMs });
