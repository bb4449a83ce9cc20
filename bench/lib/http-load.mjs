// A closed-loop HTTP load generator, run in a process of its own: `concurrency` keep-alive
// connections each send their next request as soon as the last one's body has arrived, for
// `seconds`. Prints JSON: requests, per second, latency percentiles in ms, bytes per response.
// Usage: node bench/lib/http-load.mjs URL_TEMPLATE CONCURRENCY SECONDS
// URL_TEMPLATE may hold {page}: each request asks for a page drawn from 0..pages-1 (PAGES env).
import { Agent, get } from 'node:http';

const [template, concurrencyArg, secondsArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const seconds = Number(secondsArg);
const pages = Number(process.env.PAGES ?? 1);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const latencies = [];
let bytes = 0;
let failed = 0;
const until = performance.now() + seconds * 1000;

function one() {
  return new Promise((resolve) => {
    const url = template.replace('{page}', String(Math.floor(Math.random() * pages)));
    const started = performance.now();
    get(url, { agent }, (res) => {
      let size = 0;
      res.on('data', (chunk) => (size += chunk.length));
      res.on('end', () => {
        if (res.statusCode !== 200) failed++;
        latencies.push(performance.now() - started);
        bytes += size;
        resolve();
      });
    }).on('error', () => {
      failed++;
      resolve();
    });
  });
}

async function connection() {
  while (performance.now() < until) await one();
}

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, connection));
const elapsed = (performance.now() - started) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
process.stdout.write(
  JSON.stringify({
    requests: latencies.length,
    failed,
    perSecond: latencies.length / elapsed,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    bytesPerResponse: bytes / Math.max(1, latencies.length),
  }),
);
