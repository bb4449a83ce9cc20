// Breakers shared by a cluster through Redis: three server processes call one payments service
// through a cluster breaker, with a dashboard in this process. Payments goes down at 4 s and
// comes back at 10 s; the timeline shows every node opening together, then one node probing and
// its verdict closing them all. Starts redis-server on a free port (it must be installed).
// Run: npm run demo:cluster
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Registry } from 'breakwater';
import { connectCluster } from 'breakwater/cluster';
import { startDashboard } from 'breakwater/observe';

const BREAKER = {
  slidingWindowSize: 5000,
  minimumCalls: 12,
  failureRateThreshold: 50,
  failureThreshold: 0,
  // Past payments' return (10 s) from an opening at about 7 s: the probe finds it up and closes every node.
  recoveryTimeout: 5000,
  timeout: 1000,
};
const NODES = 3;
/** Each node gets a request this often: 2 a second, so alone it holds 10 calls in its window, below minimumCalls. */
const LOAD_EVERY_MS = 500;
const DOWN_AT_S = 4;
const UP_AT_S = 10;
const END_AT_S = 16;

if (process.argv[2] === '--node') await runNode(process.argv[3], process.argv[4]);
else await coordinate();

/** A server node: GET /checkout calls payments through the cluster breaker; GET /state tells its state. */
async function runNode(redisUrl, paymentsUrl) {
  const registry = new Registry();
  const cluster = connectCluster(registry, { redis: redisUrl, namespace: 'demo' });
  await cluster.ready;
  const payments = registry.getOrCreate('endpoint', 'payments', BREAKER);
  const server = createServer(async (req, res) => {
    if (req.url === '/state') return res.end(payments.getState());
    const answer = await payments
      .execute(async () => {
        const reply = await fetch(paymentsUrl);
        if (!reply.ok) throw new Error(`payments answered ${reply.status}`);
        return 'paid';
      })
      .catch((error) => (error.code === 'ECIRCUITOPEN' ? 'refused' : 'failed'));
    res.end(answer);
  });
  server.listen(0, '127.0.0.1', () => console.log(server.address().port));
}

async function coordinate() {
  if (spawnSync('redis-server', ['--version']).error) {
    console.error(
      'npm run demo:cluster needs redis-server: apt-get install redis-server (Debian, Ubuntu) or brew install redis (macOS)',
    );
    process.exit(1);
  }
  const children = [];
  process.on('exit', () => children.forEach((child) => child.kill('SIGKILL')));
  const redisPort = await listenOnce(createServer()).then((server) => closeAndGive(server));
  const redis = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  children.push(redis);
  await new Promise((resolve) =>
    redis.stdout.on('data', (chunk) => String(chunk).includes('Ready to accept') && resolve()),
  );
  const redisUrl = `redis://127.0.0.1:${redisPort}`;

  let down = false;
  let reachedWhileDown = 0;
  const paymentsServer = await listenOnce(
    createServer((req, res) => {
      if (down) reachedWhileDown++;
      res.statusCode = down ? 503 : 200;
      res.end(down ? 'down' : 'ok');
    }),
  );
  const paymentsUrl = `http://127.0.0.1:${paymentsServer.address().port}/pay`;

  const nodePorts = await Promise.all(
    Array.from({ length: NODES }, () => {
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--node', redisUrl, paymentsUrl], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      return new Promise((resolve) =>
        createInterface({ input: child.stdout }).once('line', (line) => resolve(Number(line))),
      );
    }),
  );

  const registry = new Registry();
  const cluster = connectCluster(registry, { redis: redisUrl, namespace: 'demo' });
  await cluster.ready;
  registry.getOrCreate('endpoint', 'payments', BREAKER);
  const dashboard = await startDashboard({ registry, port: 0 });
  console.log(`redis-server on ${redisUrl}; ${NODES} server processes; dashboard: ${dashboard.url}\n`);

  const answers = { paid: 0, refused: 0, failed: 0 };
  const load = setInterval(() => {
    for (const port of nodePorts) {
      fetch(`http://127.0.0.1:${port}/checkout`)
        .then((reply) => reply.text())
        .then((answer) => answers[answer]++)
        .catch(() => {});
    }
  }, LOAD_EVERY_MS);
  for (let second = 1; second <= END_AT_S; second++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    if (second === DOWN_AT_S) down = true;
    if (second === UP_AT_S) down = false;
    const states = await Promise.all(
      nodePorts.map((port) => fetch(`http://127.0.0.1:${port}/state`).then((reply) => reply.text())),
    );
    console.log(
      `t=${String(second).padStart(2)}s payments ${down ? 'DOWN' : 'up  '}  nodes: ${states.map((state) => state.padEnd(9)).join(' ')}` +
        `  calls reaching payments while down: ${reachedWhileDown}`,
    );
  }
  clearInterval(load);
  console.log(
    `\n${answers.paid} paid, ${answers.failed} failed, ${answers.refused} refused at once; ${reachedWhileDown} calls reached payments ` +
      `while it was down, counted in one window for the ${NODES} nodes: alone, a node holds ${BREAKER.slidingWindowSize / LOAD_EVERY_MS} ` +
      `calls in its ${BREAKER.slidingWindowSize / 1000} s window, below minimumCalls ${BREAKER.minimumCalls}, and would never have opened.`,
  );
  await dashboard.close();
  await cluster.close();
  await registry.shutdown();
  process.exit(0);
}

function listenOnce(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function closeAndGive(server) {
  const { port } = server.address();
  return new Promise((resolve) => server.close(() => resolve(port)));
}
