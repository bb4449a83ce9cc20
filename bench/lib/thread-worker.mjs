// One thread of the threads benchmark: `calls` guarded calls on a shared breaker (or, without a
// handle, on a breaker of its own), timed here.
import { parentPort, workerData } from 'node:worker_threads';

const { CircuitBreaker } = await import(workerData.entry);
const breaker = workerData.handle
  ? CircuitBreaker.fromHandle(workerData.handle)
  : new CircuitBreaker({ name: `own-${workerData.index}` });
let counter = 0;
const work = () => (counter = (counter + 1) & 0xfffffff);
// Start together: wait for the go signal on the shared flag.
Atomics.wait(workerData.gate, 0, 0);
const start = performance.now();
for (let i = 0; i < workerData.calls; i++) breaker.executeSync(work);
const elapsedMs = performance.now() - start;
breaker.flush();
parentPort.postMessage({ elapsedMs });
