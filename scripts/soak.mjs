// npm run soak: a long mixed run against the sandboxed gateway process, with slow clients
// (partial headers and bodies) and invalid-key clients alongside the good ones, sampling the
// gateway's RSS. Fails when a good client gets an error or RSS grows beyond the bound.
// Writes docs/soak.md and prints the same figures.
//
// SOAK_SECONDS (300), SOAK_GOOD_RPS (150), SOAK_BAD_RPS (100), SOAK_SLOW_CLIENTS (40),
// SOAK_CLIENT_TIMEOUT_MS (5000), SOAK_RSS_GROWTH_MB (40), SOAK_RSS_MAX_MB (300).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';
import { Agent, request } from 'undici';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 300);
const GOOD_RPS = Number(process.env.SOAK_GOOD_RPS ?? 150);
const BAD_RPS = Number(process.env.SOAK_BAD_RPS ?? 100);
const SLOW_CLIENTS = Number(process.env.SOAK_SLOW_CLIENTS ?? 40);
const CLIENT_TIMEOUT_MS = Number(process.env.SOAK_CLIENT_TIMEOUT_MS ?? 5000);
const RSS_GROWTH_MB = Number(process.env.SOAK_RSS_GROWTH_MB ?? 40);
const RSS_MAX_MB = Number(process.env.SOAK_RSS_MAX_MB ?? 300);
const WARMUP_S = Math.max(15, Math.round(SECONDS * 0.1));
const API_KEY = 'sandbox-demo-key';
const METRICS_TOKEN = randomBytes(24).toString('hex');
// Each kind of client has its own loopback address, so the failed-authentication limit of the
// invalid-key clients is theirs alone (a good client sharing that address is tested in e2e).
const ADDRESS = { good: '127.0.0.1', bad: '127.0.0.2', slow: '127.0.0.3' };

const deadline = Date.now() + SECONDS * 1000;
const running = () => Date.now() < deadline;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : 0;
const median = (values) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );

// The good clients' mix: every family, batch and paged routes, credentials, health and metrics.
const ROUTES = [
  { name: 'GET /v1/me', path: () => '/v1/me' },
  {
    name: 'GET meeting status',
    path: () => `/v1/meeting/terminals/%2B9911161739${String(Math.floor(Math.random() * 100)).padStart(2, '0')}/status`,
  },
  {
    name: 'POST meeting statuses',
    path: () => '/v1/meeting/terminals/statuses',
    body: () => ({ numbers: Array.from({ length: 10 }, (_, i) => `+9911161740${String(i * 7).padStart(2, '0')}`) }),
  },
  {
    name: 'GET cc terminals',
    path: () => `/v1/contact-center/terminals?eid=878000${String(Math.floor(Math.random() * 100)).padStart(2, '0')}`,
  },
  { name: 'GET softphones', path: () => '/v1/contact-center/softphones?limit=20' },
  { name: 'GET softphones+credentials', path: () => '/v1/contact-center/softphones?limit=5&include=credentials' },
  { name: 'GET call', path: () => '/v1/contact-center/calls/645735364434067473' },
  { name: 'GET /health/ready', path: () => '/health/ready', noKey: true },
  { name: 'GET /metrics', path: () => '/metrics', noKey: true, bearer: true },
];

const stats = {
  good: { sent: 0, ok: 0, errors: [], latencies: [], byRoute: {} },
  bad: { sent: 0, byStatus: {}, unexpected: [] },
  slow: { opened: 0, closedByServer: 0, got408: 0, maxLifetimeMs: 0, stillOpenAtEnd: 0 },
  rss: [],
};

async function goodClient(base, agent, rps) {
  const interval = 1000 / rps;
  let next = Date.now();
  while (running()) {
    const route = ROUTES[Math.floor(Math.random() * ROUTES.length)];
    const body = route.body?.();
    const headers = {};
    if (!route.noKey) headers['x-api-key'] = API_KEY;
    if (route.bearer) headers.authorization = `Bearer ${METRICS_TOKEN}`;
    if (body) headers['content-type'] = 'application/json';
    const started = performance.now();
    stats.good.sent += 1;
    try {
      const res = await request(`${base}${route.path()}`, {
        method: body ? 'POST' : 'GET',
        headers,
        body: body ? JSON.stringify(body) : undefined,
        dispatcher: agent,
      });
      await res.body.dump();
      const ms = performance.now() - started;
      stats.good.latencies.push(ms);
      (stats.good.byRoute[route.name] ??= { sent: 0, errors: 0 }).sent += 1;
      if (res.statusCode === 200) stats.good.ok += 1;
      else {
        stats.good.byRoute[route.name].errors += 1;
        stats.good.errors.push(`${route.name}: HTTP ${res.statusCode}`);
      }
    } catch (err) {
      (stats.good.byRoute[route.name] ??= { sent: 0, errors: 0 }).errors += 1;
      stats.good.errors.push(`${route.name}: ${err.code ?? err.message}`);
    }
    next += interval;
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    else next = Date.now();
  }
}

async function invalidKeyClient(base, agent, rps) {
  const interval = 1000 / rps;
  let next = Date.now();
  while (running()) {
    stats.bad.sent += 1;
    try {
      const res = await request(`${base}/v1/me`, {
        headers: { 'x-api-key': `guess-${randomBytes(8).toString('hex')}` },
        dispatcher: agent,
      });
      await res.body.dump();
      stats.bad.byStatus[res.statusCode] = (stats.bad.byStatus[res.statusCode] ?? 0) + 1;
      if (res.statusCode !== 401 && res.statusCode !== 429) stats.bad.unexpected.push(`HTTP ${res.statusCode}`);
    } catch (err) {
      stats.bad.unexpected.push(err.code ?? err.message);
    }
    next += interval;
    const wait = next - Date.now();
    if (wait > 0) await sleep(wait);
    else next = Date.now();
  }
}

// Partial headers, a partial body, or a body trickled one byte a second: the server must close.
const SLOW_KINDS = [
  { name: 'partial headers', first: 'GET /v1/me HTTP/1.1\r\nHost: soak\r\nX-API-Key: ' },
  {
    name: 'partial body',
    first:
      'POST /v1/meeting/terminals/statuses HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{',
  },
  {
    name: 'trickled body',
    first:
      'POST /v1/meeting/terminals/statuses HTTP/1.1\r\nHost: soak\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n',
    trickle: true,
  },
];

async function slowClient(port, index) {
  while (running()) {
    const kind = SLOW_KINDS[index % SLOW_KINDS.length];
    stats.slow.opened += 1;
    const outcome = await new Promise((resolve) => {
      const socket = connect({ port, host: '127.0.0.1', localAddress: ADDRESS.slow });
      const opened = Date.now();
      let text = '';
      let trickle;
      const giveUp = setTimeout(
        () => {
          socket.destroy();
          resolve({ byServer: false, ms: Date.now() - opened, text });
        },
        Math.max(0, Math.min(deadline - Date.now(), CLIENT_TIMEOUT_MS + 5000)),
      );
      socket.on('connect', () => {
        socket.write(kind.first);
        if (kind.trickle) trickle = setInterval(() => socket.writable && socket.write(' '), 1000);
      });
      socket.on('data', (d) => (text += d.toString('latin1')));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(giveUp);
        clearInterval(trickle);
        resolve({ byServer: true, ms: Date.now() - opened, text });
      });
    });
    if (outcome.byServer) {
      stats.slow.closedByServer += 1;
      stats.slow.maxLifetimeMs = Math.max(stats.slow.maxLifetimeMs, outcome.ms);
      if (outcome.text.startsWith('HTTP/1.1 408')) stats.slow.got408 += 1;
    } else if (!running()) {
      stats.slow.stillOpenAtEnd += 1;
    } else {
      stats.slow.maxLifetimeMs = Math.max(stats.slow.maxLifetimeMs, outcome.ms);
    }
  }
}

async function main() {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const gateway = spawn(process.execPath, ['--max-old-space-size=160', 'dist/main.js'], {
    env: {
      PATH: process.env.PATH,
      UPSTREAM_MODE: 'sandbox',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      SANDBOX_LATENCY_MS: '5',
      RATE_LIMIT_PER_MINUTE: '1000000',
      CLIENT_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
      METRICS_TOKEN,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let logLines = 0;
  gateway.stdout.on('data', (d) => (logLines += d.toString().split('\n').length - 1));
  for (let i = 0; i < 200; i++) {
    try {
      const res = await request(`${base}/health/live`);
      await res.body.dump();
      break;
    } catch {
      await sleep(100);
    }
  }
  console.log(
    `soak: ${SECONDS} s against pid ${gateway.pid} (${base}): ${GOOD_RPS} good req/s, ${BAD_RPS} invalid-key req/s, ` +
      `${SLOW_CLIENTS} slow clients, CLIENT_TIMEOUT_MS=${CLIENT_TIMEOUT_MS}`,
  );

  const goodAgent = new Agent({ connections: 8, localAddress: ADDRESS.good });
  const badAgent = new Agent({ connections: 4, localAddress: ADDRESS.bad });
  const started = Date.now();
  const sampler = setInterval(() => {
    try {
      stats.rss.push({ s: Math.round((Date.now() - started) / 1000), mb: rssMb(gateway.pid) });
    } catch {
      // the process is gone; reported below
    }
  }, 5000);
  const progress = setInterval(() => {
    const last = stats.rss.at(-1);
    console.log(
      `  t=${Math.round((Date.now() - started) / 1000)}s good ${stats.good.ok}/${stats.good.sent} ` +
        `errors ${stats.good.errors.length}, invalid ${stats.bad.sent}, slow closed ${stats.slow.closedByServer}, ` +
        `rss ${last ? last.mb.toFixed(1) : '?'} MB`,
    );
  }, 30_000);

  await Promise.all([
    ...Array.from({ length: 8 }, () => goodClient(base, goodAgent, GOOD_RPS / 8)),
    ...Array.from({ length: 4 }, () => invalidKeyClient(base, badAgent, BAD_RPS / 4)),
    ...Array.from({ length: SLOW_CLIENTS }, (_, i) => slowClient(port, i)),
  ]);
  clearInterval(sampler);
  clearInterval(progress);
  stats.rss.push({ s: Math.round((Date.now() - started) / 1000), mb: rssMb(gateway.pid) });

  // Shutdown under the same conditions: SIGTERM, exit 0 within the grace period.
  const stopStarted = Date.now();
  const exit = new Promise((resolve) => gateway.once('exit', (code, signal) => resolve({ code, signal })));
  gateway.kill('SIGTERM');
  const { code, signal } = await exit;
  const stopMs = Date.now() - stopStarted;
  await Promise.all([goodAgent.close(), badAgent.close()]);

  const sorted = [...stats.good.latencies].sort((a, b) => a - b);
  const afterWarmup = stats.rss.filter((r) => r.s >= WARMUP_S);
  const baseline = afterWarmup[0]?.mb ?? stats.rss[0].mb;
  const final = median(stats.rss.slice(-3).map((r) => r.mb));
  const peak = Math.max(...stats.rss.map((r) => r.mb));
  const growth = final - baseline;
  const failures = [];
  if (stats.good.errors.length > 0) failures.push(`${stats.good.errors.length} good requests failed`);
  if (stats.bad.unexpected.length > 0)
    failures.push(`${stats.bad.unexpected.length} invalid-key requests got neither 401 nor 429`);
  if (stats.slow.maxLifetimeMs > CLIENT_TIMEOUT_MS + 2500)
    failures.push(`a slow client lived ${stats.slow.maxLifetimeMs} ms`);
  if (growth > RSS_GROWTH_MB)
    failures.push(`RSS grew ${growth.toFixed(1)} MB after warm-up (bound ${RSS_GROWTH_MB} MB)`);
  if (peak > RSS_MAX_MB) failures.push(`RSS peaked at ${peak.toFixed(1)} MB (bound ${RSS_MAX_MB} MB)`);
  if (code !== 0) failures.push(`exit ${code ?? signal} after SIGTERM`);

  const elapsed = (Date.now() - started - stopMs) / 1000;
  const lines = [
    '# Soak',
    '',
    `\`npm run soak\` (scripts/soak.mjs) on ${new Date().toISOString().slice(0, 10)}: SOAK_SECONDS=${SECONDS}, the sandboxed gateway`,
    `process (\`UPSTREAM_MODE=sandbox\`, private redis-server, \`--max-old-space-size=160\`, sandbox latency 5 ms,`,
    `CLIENT_TIMEOUT_MS=${CLIENT_TIMEOUT_MS}) on a 2-core machine shared with other work. Three kinds of client run at once,`,
    'each from its own loopback address:',
    '',
    `- good: ${GOOD_RPS} req/s over 8 keep-alive connections, a random route of ${ROUTES.length} (every family, the batch route,`,
    '  paging, credentials, readiness, /metrics with its bearer token);',
    `- invalid keys: ${BAD_RPS} req/s of random keys (the failed-authentication limit answers 429 after 60 a minute);`,
    `- slow: ${SLOW_CLIENTS} sockets at all times sending partial headers, a partial body, or a body trickled a byte a second.`,
    '',
    '| figure | value |',
    '| --- | --- |',
    `| good requests | ${stats.good.sent} (${(stats.good.sent / elapsed).toFixed(0)}/s), ${stats.good.errors.length} errors |`,
    `| good latency p50 / p99 / max | ${percentile(sorted, 0.5).toFixed(1)} / ${percentile(sorted, 0.99).toFixed(1)} / ${(sorted.at(-1) ?? 0).toFixed(1)} ms |`,
    `| invalid-key requests | ${stats.bad.sent}: ${Object.entries(stats.bad.byStatus)
      .map(([s, n]) => `${n} x ${s}`)
      .join(', ')}; ${stats.bad.unexpected.length} other |`,
    `| slow sockets | ${stats.slow.opened} opened, ${stats.slow.closedByServer} closed by the gateway (${stats.slow.got408} with a 408), longest ${stats.slow.maxLifetimeMs} ms |`,
    `| RSS after ${WARMUP_S} s warm-up / final / peak | ${baseline.toFixed(1)} / ${final.toFixed(1)} / ${peak.toFixed(1)} MB |`,
    `| RSS growth after warm-up | ${growth.toFixed(1)} MB (bound ${RSS_GROWTH_MB} MB; peak bound ${RSS_MAX_MB} MB) |`,
    `| gateway log lines (LOG_LEVEL=warn) | ${logLines} |`,
    `| SIGTERM at the end | exit ${code ?? signal} after ${stopMs} ms |`,
    '',
    `RSS samples (s: MB): ${stats.rss.map((r) => `${r.s}: ${r.mb.toFixed(0)}`).join(', ')}`,
    '',
    failures.length
      ? `**FAILED**: ${failures.join('; ')}`
      : 'Result: passed (no error to a good client, RSS within its bound).',
    '',
  ];
  const report = lines.join('\n');
  writeFileSync(new URL('../docs/soak.md', import.meta.url), report);
  console.log(`\n${report}`);
  if (stats.good.errors.length) console.log('first good-client errors:', stats.good.errors.slice(0, 10));
  process.exit(failures.length ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
