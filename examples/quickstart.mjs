// A real HTTP service on 127.0.0.1 goes down for two seconds and comes back; a client guards its
// calls with a breakwater CircuitBreaker. Watch the circuit open, probe, and close.
// Run: npm start
import { createServer } from 'node:http';
import { CircuitBreaker, CircuitOpenError, coreKind } from 'breakwater';

const DOWN_FROM_MS = 1000;
const DOWN_UNTIL_MS = 3000;
const RUN_MS = 4500;

const started = performance.now();
const elapsed = () => Math.round(performance.now() - started);

const server = createServer((request, response) => {
  const down = elapsed() >= DOWN_FROM_MS && elapsed() < DOWN_UNTIL_MS;
  response.writeHead(down ? 503 : 200, { 'content-type': 'text/plain' });
  response.end(down ? 'unavailable' : 'ok');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/`;

const breaker = new CircuitBreaker({
  name: 'inventory-service',
  failureThreshold: 3,
  failureRateThreshold: 50,
  minimumCalls: 10,
  slidingWindowSize: 1000,
  recoveryTimeout: 400,
  backoffFactor: 1.5,
  timeout: 250,
  labels: { tier: 'backend' },
});
breaker.on('stateChange', (c) =>
  console.log(`${String(elapsed()).padStart(5)} ms  ${c.from} -> ${c.to} (${c.reason})`),
);

async function fetchStock(sku, { signal }) {
  const response = await fetch(`${url}?sku=${sku}`, { signal });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.text();
}

console.log(`breakwater on the ${coreKind} core; service at ${url}, down from ${DOWN_FROM_MS} to ${DOWN_UNTIL_MS} ms`);
const tally = { ok: 0, failed: 0, refused: 0 };
while (elapsed() < RUN_MS) {
  try {
    await breaker.execute(fetchStock, 'sku-42');
    tally.ok++;
  } catch (error) {
    if (error instanceof CircuitOpenError) tally.refused++;
    else tally.failed++;
  }
  await new Promise((resolve) => setTimeout(resolve, 10));
}
server.close();

const m = breaker.getMetrics();
console.log(
  `\ncalls: ${tally.ok} ok, ${tally.failed} failed (sent to the sick service), ${tally.refused} refused fast by the open circuit`,
);
console.log(
  `metrics: state ${m.state}, totals ${m.successes} successes / ${m.failures} failures / ${m.rejections} rejections, opens ${m.opens}`,
);
console.log(
  `latency p50 ${m.latency.p50?.toFixed(2)} ms, p99 ${m.latency.p99?.toFixed(2)} ms over ${m.latency.samples} sampled calls`,
);
