// The threads benchmark's baseline: the same work with no breaker and nothing shared.
import { parentPort, workerData } from 'node:worker_threads';

let counter = 0;
const work = () => (counter = (counter + 1) & 0xfffffff);
const call = (calls) => {
  for (let i = 0; i < calls; i++) work();
};
call(workerData.warmup); // as thread-worker.mjs does
Atomics.wait(workerData.gate, 0, 0);
const start = performance.now();
call(workerData.calls);
parentPort.postMessage({ elapsedMs: performance.now() - start });
