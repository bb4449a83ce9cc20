// The threads benchmark's baseline: the same work with no breaker and nothing shared.
import { parentPort, workerData } from 'node:worker_threads';

let counter = 0;
const work = () => (counter = (counter + 1) & 0xfffffff);
Atomics.wait(workerData.gate, 0, 0);
const start = performance.now();
for (let i = 0; i < workerData.calls; i++) work();
parentPort.postMessage({ elapsedMs: performance.now() - start });
