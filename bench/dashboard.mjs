// The control plane at scale: the dashboard's JSON API listing 50 of 10,000 breakers under 64
// concurrent clients, and GET /metrics for 10,000 breakers, beside the floor measured in the same
// run (node:http answering a fixed body of the same size, in the same process, under the same load).
// The load comes from a process of its own (bench/lib/http-load.mjs). Targets: API median <= 5 ms;
// /metrics <= 50 ms.
// Usage: npm run bench:dashboard (writes bench/results/dashboard.json and .md)
import { execFile } from 'node:child_process';
import { createServer, get } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { benchDir, distDir, machine, markdownTable, median, writeResults } from './lib/measure.mjs';

const BREAKERS = Number(process.env.BENCH_BREAKERS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const SCRAPES = Number(process.env.BENCH_SCRAPES ?? 20);
const PAGE = 50;
const KINDS = ['endpoint', 'worker', 'hardware', 'task'];

const { Registry } = await import(join(distDir, 'index.mjs'));
const { startDashboard } = await import(join(distDir, 'observe/index.mjs'));

// Breakers with history: each took 20 calls, one in 9 failing, and every 97th is open.
const registry = new Registry();
for (let i = 0; i < BREAKERS; i++) {
  const breaker = registry.getOrCreate(KINDS[i % 4], `service-${i}`, { failureRateThreshold: 50, minimumCalls: 10 });
  for (let k = 0; k < 20; k++) {
    try {
      breaker.executeSync(() => {
        if ((i + k) % 9 === 0 || i % 97 === 0) throw new Error('down');
      });
    } catch {
      // failures and refusals are the history
    }
  }
}
const dashboard = await startDashboard({ registry, port: 0 });
const base = dashboard.url.replace(/\/circuit-breakers$/, '');
const pages = Math.ceil(BREAKERS / PAGE);
const apiPath = (sort) => `/api/circuit-breakers?limit=${PAGE}&offset={page}&sort=${sort}`;

function fetchText(url) {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () =>
        res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: ${res.statusCode} ${body}`)),
      );
    }).on('error', reject);
  });
}

async function load(urlTemplate) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(benchDir, 'lib/http-load.mjs'), urlTemplate, String(CONCURRENCY), String(SECONDS)],
    { env: { ...process.env, PAGES: String(pages) }, maxBuffer: 1 << 20 },
  );
  const result = JSON.parse(stdout);
  if (result.failed > 0) throw new Error(`${urlTemplate}: ${result.failed} requests failed`);
  return result;
}

// The floor: node:http in this process answering a body as large as the API's, under the same load.
const sample = await fetchText(`${base}${apiPath('name').replace('{page}', '0')}`);
const floor = createServer((req, res) => {
  res.writeHead(200, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(sample),
  });
  res.end(sample);
});
await new Promise((resolve) => floor.listen(0, '127.0.0.1', resolve));
const floorUrl = `http://127.0.0.1:${floor.address().port}/?page={page}`;

const rows = [];
const add = (what, r, floorResult) =>
  rows.push({
    request: what,
    'median ms': +r.p50Ms.toFixed(2),
    'p99 ms': +r.p99Ms.toFixed(2),
    'requests/s': Math.round(r.perSecond),
    'median / node:http floor': floorResult ? +(r.p50Ms / floorResult.p50Ms).toFixed(2) : '',
  });
const floorResult = await load(floorUrl);
add(`node:http, a fixed ${Math.round(sample.length / 1024)} KB body (the floor)`, floorResult);
for (const sort of ['name', 'failureRate']) {
  add(
    `GET /api/circuit-breakers, 50 of ${BREAKERS.toLocaleString('en')} by ${sort}, random page`,
    await load(`${base}${apiPath(sort)}`),
    floorResult,
  );
}
floor.close();

// /metrics, one scrape at a time (as Prometheus does), and one full health read for scale.
const scrapeMs = [];
for (let i = 0; i < SCRAPES; i++) {
  const started = performance.now();
  await fetchText(`${base}/metrics`);
  scrapeMs.push(performance.now() - started);
  await new Promise((resolve) => setTimeout(resolve, 300)); // past the shared reading's age
}
const readMs = [];
for (let i = 0; i < 5; i++) {
  const started = performance.now();
  registry.list({ limit: BREAKERS });
  readMs.push(performance.now() - started);
}
const metricsRow = {
  request: `GET /metrics, ${BREAKERS.toLocaleString('en')} breakers (default maxSeries), one scrape at a time`,
  'median ms': +median(scrapeMs).toFixed(2),
  'p99 ms': +Math.max(...scrapeMs).toFixed(2),
  'requests/s': '',
  'median / node:http floor': '',
};
rows.push(metricsRow, {
  request: `registry.list() of all ${BREAKERS.toLocaleString('en')} breakers (one health read, for scale)`,
  'median ms': +median(readMs).toFixed(2),
  'p99 ms': +Math.max(...readMs).toFixed(2),
  'requests/s': '',
  'median / node:http floor': '',
});
await dashboard.close();
registry.shutdown?.();

console.table(rows);
const facts = machine({ breakers: BREAKERS, concurrency: CONCURRENCY, seconds: SECONDS });
writeResults(
  'dashboard',
  { machine: facts, rows },
  [
    `# The dashboard at ${BREAKERS.toLocaleString('en')} breakers (${facts.date})`,
    '',
    markdownTable(rows),
    '',
    `Targets: the API's median <= 5 ms at concurrency ${CONCURRENCY}; /metrics <= 50 ms. Load from a separate process (bench/lib/http-load.mjs), ${CONCURRENCY} keep-alive connections for ${SECONDS} s each.`,
    '',
    `${facts.date}, ${facts.cpu}, ${facts.cores} cores, Node ${facts.node}, \`npm run bench:dashboard\`.`,
  ].join('\n'),
);
process.exit(0);
