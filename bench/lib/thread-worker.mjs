// One thread of the threads benchmark: `calls` guarded calls on a shared breaker, timed here.
import { parentPort, workerData } from 'node:worker_threads';

const { CircuitBreaker } = await import(workerData.entry);
const breaker = CircuitBreaker.fromHandle(workerData.handle);
let counter = 0;
const work = () => (counter = (counter + 1) & 0xfffffff);
// Start together: wait for the go signal on the shared flag.
Atomics.wait(workerData.gate, 0, 0);
const start = performance.now();
for (let i = 0; i < workerData.calls; i++) breaker.executeSync(work);
const elapsedMs = performance.now() - start;
breaker.flush();
parentPort.postMessage({ elapsedMs });
