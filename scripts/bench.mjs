// npm run bench: each family's main read route (its `exampleRead` in the registry) measured in one
// run through the gateway (status cache off), the gateway answering a cached read (status cache
// on), the minimal Node proxy (scripts/minimal-proxy.mjs, the yardstick of issue 15) and the
// upstream sandbox called directly; p99 at a fixed 1,000 req/s for gateway and minimal proxy; the
// peak RSS of every process; and a cold stampede over 3 gateway processes sharing one Redis.
//
// Every server is a separate process on free local ports: the standalone sandbox (zero latency),
// two gateways, the minimal proxy and a Fastify hello-world. autocannon -c 50 -p 1 runs in this
// process. After one warm-up per target, BENCH_ROUNDS rounds (default 3) of BENCH_SECONDS each
// (default 5) measure every target in turn, so the targets of one round share the machine's
// conditions; each figure reported is the median over the rounds (ratios: the median of the
// per-round ratios). Writes docs/benchmark.md (BENCH_WRITE=0: print only) and prints the same.
// Every child process is stopped at the end, on failure and on Ctrl-C.
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { streamLoad, streamLoadMarkdown } from './stream-load.mjs';
import { createRequire } from 'node:module';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setInterval } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import * as prettier from 'prettier';
import { Pool, request } from 'undici';

const require = createRequire(import.meta.url);
const { appIdAuthorization, appIdNonce } = require('../dist/families/meeting/app-id-signer.js');
const { authV2Authorization } = require('../dist/families/cc-cms/auth-v2-signer.js');
const { FAMILIES } = require('../dist/families/registry.js');

function setting(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}
const SECONDS = setting('BENCH_SECONDS', 5);
const ROUNDS = Math.floor(setting('BENCH_ROUNDS', 3));
const WARMUP_SECONDS = setting('BENCH_WARMUP_SECONDS', 2);
const CONNECTIONS = 50;
const FIXED_RATE = 1000;
/** The cached-read gateway keeps states this long (the maximum allowed): every measured read hits. */
const CACHED_TTL_MS = 600_000;
/** Cold identical requests per family route in the stampede, spread over the 3 processes. */
const STAMPEDE_PER_ROUTE = 300;
const API_KEY = 'bench-key';
const REPORT = 'docs/benchmark.md';

// ---------------------------------------------------------------------------------------------
// Child processes: every one is tracked, stopped at the end, on failure and on signals.
// ---------------------------------------------------------------------------------------------
const children = new Set();
let stopping = false;
/** Set when a child process exits on its own: the next measurement fails with it. */
let crashed;

function start(name, args, env) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.label = name;
  children.add(child);
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (!stopping && !child.stopRequested) crashed ??= new Error(`${name} exited on its own (${signal ?? code})`);
  });
  return child;
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stopRequested = true;
  sampleChildCpu(child);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = sleep(3000).then(() => 'timeout');
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

async function stopAll() {
  stopping = true;
  await Promise.all([...children].map(stop));
}

// Last resort (an exception escaping everything): nothing may outlive this process.
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping ${children.size} child process(es)\n`);
    void stopAll().finally(() => process.exit(128 + os.constants.signals[signal]));
  });
}

function portFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `size` consecutive free ports (BENCH_PORT_BASE to choose them): other runs may share the machine. */
async function portBlock(size) {
  if (process.env.BENCH_PORT_BASE) return Number(process.env.BENCH_PORT_BASE);
  for (let attempt = 0; attempt < 100; attempt++) {
    // Below Linux's ephemeral range (32768+): the load generator's own outgoing connections take
    // ports there, and one could land on a port reserved for a process that starts later.
    const base = 12_000 + Math.floor(Math.random() * 18_000);
    let free = true;
    for (let port = base; free && port < base + size; port++) free = await portFree(port);
    if (free) return base;
  }
  throw new Error(`no ${size} consecutive free ports found`);
}

async function waitFor(url) {
  for (let i = 0; i < 300; i++) {
    if (crashed) throw crashed;
    try {
      const res = await request(url);
      await res.body.dump();
      if (res.statusCode < 500) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`${url} did not come up`);
}

// Peak RSS per process: the kernel's high-water mark (VmHWM), sampled while the process lives.
const memory = new Map();
function trackMemory(label, child) {
  memory.set(label, { pid: child.pid, peakKb: 0 });
}
function sampleMemory() {
  for (const entry of memory.values()) {
    try {
      const status = readFileSync(`/proc/${entry.pid}/status`, 'utf8');
      for (const field of ['VmHWM', 'VmRSS']) {
        const kb = Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
        entry.peakKb = Math.max(entry.peakKb, kb);
      }
    } catch {
      // the process has exited: its last sample stands
    }
  }
}
setInterval(sampleMemory, 250).unref();

// CPU time: the whole machine's (/proc/stat) against this process's and its children's, so the
// report can say how busy the shared machine was with other work (clock ticks of 10 ms).
const TICK_MS = 10;
const childTicks = new Map();
function machineBusyTicks() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = fields;
  return user + nice + system + irq + softirq + steal;
}
/** CPU time (user + system, clock ticks) process `pid` has used so far. */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const [utime, stime] = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .slice(11, 13)
    .map(Number);
  return utime + stime;
}
function sampleChildCpu(child) {
  try {
    childTicks.set(child.pid, cpuTicks(child.pid));
  } catch {
    // the process has exited: its last sample stands
  }
}
setInterval(() => children.forEach(sampleChildCpu), 250).unref();
/** CPU time (user + system, ms) a child process has used so far. */
const processCpuMs = (child) => cpuTicks(child.pid) * TICK_MS;
const cpuAtStart = { machine: machineBusyTicks(), self: process.cpuUsage(), at: performance.now() };
/** Shares of the machine's CPU capacity used by this run (with its children) and by everything else. */
function otherCpuShare() {
  const machineMs = (machineBusyTicks() - cpuAtStart.machine) * TICK_MS;
  const self = process.cpuUsage(cpuAtStart.self);
  const oursMs = (self.user + self.system) / 1000 + [...childTicks.values()].reduce((a, b) => a + b, 0) * TICK_MS;
  const capacityMs = (performance.now() - cpuAtStart.at) * os.cpus().length;
  const percent = (part) => `${Math.max(0, Math.round((part / capacityMs) * 100))} %`;
  return { others: percent(machineMs - oursMs), ours: percent(oursMs) };
}

// ---------------------------------------------------------------------------------------------
// Configuration of the processes under test
// ---------------------------------------------------------------------------------------------
const base = await portBlock(FAMILIES.length + 9);
const sandboxPort = (id) => base + FAMILIES.findIndex((f) => f.id === id);
const PORTS = {
  gateway: base + FAMILIES.length,
  cached: base + FAMILIES.length + 1,
  proxy: base + FAMILIES.length + 2,
  hello: base + FAMILIES.length + 3,
  stampede: [0, 1, 2].map((i) => base + FAMILIES.length + 4 + i),
  traced: base + FAMILIES.length + 7,
  otlp: base + FAMILIES.length + 8,
};
const local = (port) => `http://127.0.0.1:${port}`;
/** Every family pointed at the standalone sandbox with its demo credentials (from the registry). */
const SANDBOX_ENV = Object.assign({}, ...FAMILIES.map((f) => f.sandbox.environment(local(sandboxPort(f.id)))));
const BENCH_SCOPES = ['meeting.terminals:read', 'cc.terminals:read', 'cc.softphones:read', 'cc.calls:read'];
// An operator key (configured) that issues the bench's issued key through the admin API.
const ADMIN_KEY = `bench-admin-${randomBytes(16).toString('hex')}`;
const API_KEYS = JSON.stringify([
  { name: 'bench', sha256: createHash('sha256').update(API_KEY).digest('hex'), scopes: BENCH_SCOPES },
  {
    name: 'bench-admin',
    sha256: createHash('sha256').update(ADMIN_KEY).digest('hex'),
    scopes: ['admin.keys:manage', ...BENCH_SCOPES],
  },
]);
// Replicas share one key, as in a real deployment: each must read the tokens the others cache.
const TOKEN_ENCRYPTION_KEY = randomBytes(32).toString('base64');
// The gateway runs as `npm start` runs it (heap cap included).
const GATEWAY = ['--max-old-space-size=160', 'dist/main.js'];

function gatewayEnv(port, prefix, statusCacheTtlMs, extra = {}) {
  return {
    PORT: String(port),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: prefix,
    API_KEYS,
    TOKEN_ENCRYPTION_KEY,
    STATUS_CACHE_TTL_MS: String(statusCacheTtlMs),
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    ...SANDBOX_ENV,
    CCMS_QUEUE_TIMEOUT_MS: '10000',
    ...extra,
  };
}

/** A stand-in OTLP collector: 200 to every POST /v1/traces (body read and dropped); counts them. */
function startOtlpReceiver(port) {
  const received = { posts: 0, bytes: 0 };
  const server = createHttpServer((req, res) => {
    req.on('data', (chunk) => (received.bytes += chunk.length));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/traces') received.posts++;
      res.writeHead(req.method === 'POST' && req.url === '/v1/traces' ? 200 : 404, {
        'content-type': 'application/json',
      });
      res.end('{}');
    });
  });
  server.unref(); // never what keeps the bench alive (e.g. after an error)
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ received, close: () => server.close() })),
  );
}

/**
 * Runs `fn` while counting the Redis commands that touch keys under `keyPrefix` (MONITOR on a
 * separate connection): how often the gateway under test goes to Redis.
 */
async function countRedisCommands(keyPrefix, fn) {
  const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const monitor = await client.monitor(); // a connection of its own
  let commands = 0;
  monitor.on('monitor', (_time, args, source) => {
    // Commands the gateway sent (a Lua script's own calls are listed too, with source "lua").
    if (source !== 'lua' && args.some((arg) => String(arg).startsWith(keyPrefix))) commands++;
  });
  try {
    const result = await fn();
    await sleep(100); // the last replies' MONITOR lines
    return { ...result, redisCommands: commands };
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
}

/** Issues an API key through the admin API of the gateway at `url` (as an operator would). */
async function issueKey(url) {
  const res = await request(`${url}/v1/admin/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY },
    body: JSON.stringify({ name: 'bench-issued', scopes: BENCH_SCOPES }),
  });
  const body = await res.body.json();
  if (res.statusCode !== 201 || typeof body.key !== 'string') {
    throw new Error(`issuing the bench key failed: ${res.statusCode} ${JSON.stringify(body)}`);
  }
  return body.key;
}

// The upstream call behind each family's main read route, sent directly to the sandbox.
async function post(url, body, headers = {}) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return res.body.json();
}
const json = { 'content-type': 'application/json' };
const DIRECT = {
  async meeting(url) {
    const appId = SANDBOX_ENV.MEETING_APP_ID;
    const expireTime = Math.floor(Date.now() / 1000) + 600;
    const nonce = appIdNonce();
    const { accessToken } = await post(
      `${url}/v2/usg/acs/auth/appauth`,
      { appId, clientType: 72, expireTime, nonce },
      {
        authorization: appIdAuthorization({ appId, appKey: SANDBOX_ENV.MEETING_APP_KEY, expireTime, nonce }),
        'x-token-type': 'LongTicket',
      },
    );
    return {
      url: `${url}/v1/usg/acs/ap/userstatus`,
      method: 'POST',
      headers: { ...json, 'x-access-token': accessToken },
      body: JSON.stringify(['+991116173901']),
    };
  },
  async 'cc-cms'(url) {
    const path = '/rest/cmsapp/v1/openapi/uap/queryterminalstatus';
    const body = JSON.stringify({ EID: '87800001', limit: 100, offset: 0 });
    const host = new URL(url).host;
    // Signed once per round: the timestamp stays within the sandbox's 15 min skew.
    const authorization = authV2Authorization({
      ak: SANDBOX_ENV.CCMS_AK,
      sk: SANDBOX_ENV.CCMS_SK,
      method: 'POST',
      path,
      headers: { host },
      body,
      date: new Date(),
    });
    return { url: `${url}${path}`, method: 'POST', headers: { ...json, host, authorization }, body };
  },
  async 'cc-management'(url) {
    const { AccessToken } = await post(
      `${url}/apigovernance/api/oauth/tokenByAkSk`,
      { app_key: SANDBOX_ENV.CEC_AK, app_secret: SANDBOX_ENV.CEC_SK },
      { 'x-token-expire': '3600' },
    );
    return {
      url: `${url}/apiaccess/CC-Management/v1/mobileAgent/queryCallState`,
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${AccessToken}`, 'x-app-key': SANDBOX_ENV.CEC_APP_KEY },
      body: JSON.stringify({ callSerialNo: '645735364434067472' }),
    };
  },
};
for (const family of FAMILIES) {
  if (!DIRECT[family.id]) throw new Error(`bench.mjs has no direct upstream call for the family ${family.id}`);
}

async function upstreamCounters(familyId) {
  const res = await request(`${local(sandboxPort(familyId))}/__sandbox/counters`);
  return res.body.json();
}

/**
 * Upstream calls per family once the requests a saturated process still holds after a run have
 * drained (no new upstream call for 200 ms, at most 5 s), so that the next run starts clean.
 */
async function settle() {
  const snapshot = async () => Promise.all(FAMILIES.map((f) => upstreamCounters(f.id)));
  let last = await snapshot();
  for (let i = 0; i < 25; i++) {
    await sleep(200);
    const now = await snapshot();
    const quiet = now.every((c, j) => c.businessCalls === last[j].businessCalls && c.inFlight === 0);
    last = now;
    if (quiet) break;
  }
  return Object.fromEntries(FAMILIES.map((f, j) => [f.id, last[j].businessCalls]));
}

// ---------------------------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------------------------
function cannon(target, options) {
  return new Promise((resolve, reject) => {
    autocannon({ ...target, connections: CONNECTIONS, pipelining: 1, duration: SECONDS, ...options }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
}

async function measure(target, options = {}) {
  const r = await cannon(target, options);
  if (crashed) throw crashed;
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    bad: r.non2xx + r.errors + r.timeouts,
  };
}

/**
 * Open-loop load at `rate` req/s with evenly spaced arrivals: request i is due at start + i/rate
 * and is sent then (over up to 50 connections) whatever the earlier ones are doing; its latency
 * counts from that due time, so a stall counts for every request it delays. autocannon's
 * `overallRate` splits the rate over its 50 connections, each on its own timer: they fire
 * together, so 1,000 req/s arrived as bursts of 50 every 50 ms and its p99 measured how fast a
 * server drains a 50-request burst, not the latency it adds at 1,000 req/s.
 */
async function paced(target, rate, server) {
  const cpuBefore = processCpuMs(server);
  const url = new URL(target.url);
  const pool = new Pool(url.origin, { connections: CONNECTIONS });
  const latencies = [];
  let bad = 0;
  const total = Math.round(rate * SECONDS);
  const started = performance.now();
  const pending = [];
  const send = (due) =>
    pool
      .request({
        method: target.method ?? 'GET',
        path: url.pathname + url.search,
        headers: target.headers,
        body: target.body,
      })
      .then(async (res) => {
        await res.body.dump();
        if (res.statusCode >= 300) bad++;
      })
      .catch(() => bad++)
      .finally(() => latencies.push(performance.now() - due));
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
    for (; sent < due; sent++) pending.push(send(started + (sent * 1000) / rate));
    await sleep(1);
  }
  await Promise.all(pending);
  const elapsedS = (performance.now() - started) / 1000;
  const cpuUs = ((processCpuMs(server) - cpuBefore) * 1000) / total;
  await pool.close();
  if (crashed) throw crashed;
  latencies.sort((a, b) => a - b);
  const at = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] * 10) / 10;
  return { rps: total / elapsedS, p50: at(0.5), p99: at(0.99), requests: total, bad, cpuUs };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const log = (line) => process.stderr.write(`[bench] ${line}\n`);

async function getJson(url) {
  const res = await request(url, { headers: { 'x-api-key': API_KEY } });
  return { status: res.statusCode, headers: res.headers, body: await res.body.json() };
}

/** The JSON without `observedAt` (the only field that differs between two reads). */
function withoutObservedAt(value) {
  if (Array.isArray(value)) return value.map(withoutObservedAt);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== 'observedAt')
        .map(([key, v]) => [key, withoutObservedAt(v)]),
    );
  }
  return value;
}

/** The minimal proxy must answer what the gateway answers, or the comparison means nothing. */
async function checkSameAnswers(routes) {
  for (const route of routes) {
    const [gateway, proxy] = await Promise.all([getJson(route.gateway.url), getJson(route.proxy.url)]);
    if (gateway.status !== 200 || proxy.status !== 200) {
      throw new Error(`${route.path}: gateway answered ${gateway.status}, minimal proxy ${proxy.status}`);
    }
    if (!isDeepStrictEqual(withoutObservedAt(gateway.body), withoutObservedAt(proxy.body))) {
      throw new Error(
        `${route.path}: the minimal proxy's JSON differs from the gateway's:\n` +
          `${JSON.stringify(gateway.body)}\n${JSON.stringify(proxy.body)}`,
      );
    }
  }
}

async function stampede(prefix) {
  for (const family of FAMILIES) {
    const res = await request(`${local(sandboxPort(family.id))}/__sandbox/reset`, { method: 'POST' });
    await res.body.dump();
  }
  const gateways = PORTS.stampede.map((port, i) =>
    start(`stampede gateway ${i + 1}`, GATEWAY, { ...gatewayEnv(port, prefix, 60_000), LOG_LEVEL: 'warn' }),
  );
  await Promise.all(PORTS.stampede.map((port) => waitFor(`${local(port)}/health/live`)));
  const sent = FAMILIES.flatMap((family) =>
    Array.from({ length: STAMPEDE_PER_ROUTE }, (_, i) => ({
      family: family.id,
      url: `${local(PORTS.stampede[i % PORTS.stampede.length])}${family.exampleRead}`,
    })),
  );
  const statuses = await Promise.all(
    sent.map(async ({ family, url }) => {
      const res = await request(url, { headers: { 'x-api-key': API_KEY } });
      await res.body.dump();
      return { family, status: res.statusCode };
    }),
  );
  const result = [];
  for (const family of FAMILIES) {
    const counters = await upstreamCounters(family.id);
    result.push({
      family: family.id,
      path: family.exampleRead,
      ok: statuses.filter((s) => s.family === family.id && s.status === 200).length,
      upstreamCalls: counters.businessCalls,
      authCalls: counters.authCalls,
    });
  }
  await Promise.all(gateways.map(stop));
  return result;
}

async function main() {
  const startedAt = new Date();
  const loadAtStart = os.loadavg().map((l) => l.toFixed(2));
  const prefix = `cgw-bench:${randomBytes(4).toString('hex')}:`;
  log(`ports ${base}-${base + FAMILIES.length + 8}, ${ROUNDS} round(s) of ${SECONDS} s, warm-up ${WARMUP_SECONDS} s`);

  start('sandbox', ['dist/sandbox/standalone.js'], { SANDBOX_LATENCY_MS: '0', SANDBOX_PORT_BASE: String(base) });
  // The minimal proxy fetches its upstream tokens as it starts: the sandbox must be up first.
  await Promise.all(FAMILIES.map((f) => waitFor(`${local(sandboxPort(f.id))}/__sandbox/counters`)));
  const offPrefix = `${prefix}off:`;
  const gateway = start('gateway', GATEWAY, gatewayEnv(PORTS.gateway, offPrefix, 0));
  const cached = start('gateway (cache on)', GATEWAY, gatewayEnv(PORTS.cached, `${prefix}on:`, CACHED_TTL_MS));
  const proxy = start('minimal proxy', ['scripts/minimal-proxy.mjs'], {
    ...SANDBOX_ENV,
    API_KEYS,
    PORT: String(PORTS.proxy),
  });
  const hello = start('hello', ['scripts/fastify-hello.mjs'], { PORT: String(PORTS.hello) });
  const otlp = await startOtlpReceiver(PORTS.otlp);
  const traced = start(
    'gateway (tracing on)',
    GATEWAY,
    gatewayEnv(PORTS.traced, `${prefix}traced:`, 0, { OTEL_EXPORTER_OTLP_ENDPOINT: local(PORTS.otlp) }),
  );
  trackMemory('gateway, status cache off', gateway);
  trackMemory('gateway, status cache on', cached);
  trackMemory('minimal proxy', proxy);
  trackMemory('Fastify hello-world', hello);
  trackMemory('gateway, tracing on', traced);
  await Promise.all([
    waitFor(`${local(PORTS.gateway)}/health/live`),
    waitFor(`${local(PORTS.cached)}/health/live`),
    waitFor(`${local(PORTS.proxy)}/`),
    waitFor(`${local(PORTS.hello)}/`),
    waitFor(`${local(PORTS.traced)}/health/live`),
  ]);
  const issuedKey = await issueKey(local(PORTS.gateway));

  const withKey = (port, path) => ({ url: `${local(port)}${path}`, headers: { 'x-api-key': API_KEY } });
  const routes = FAMILIES.map((family) => ({
    family: family.id,
    path: family.exampleRead,
    gateway: withKey(PORTS.gateway, family.exampleRead),
    cached: withKey(PORTS.cached, family.exampleRead),
    proxy: withKey(PORTS.proxy, family.exampleRead),
  }));
  const references = {
    hello: { url: `${local(PORTS.hello)}/` },
    me: withKey(PORTS.gateway, '/v1/me'),
    meIssued: { url: `${local(PORTS.gateway)}/v1/me`, headers: { 'x-api-key': issuedKey } },
  };
  // Tracing on (spans exported to the stand-in collector) against the same gateway with it off.
  const tracedRoute = {
    family: FAMILIES[0].id,
    path: FAMILIES[0].exampleRead,
    traced: withKey(PORTS.traced, FAMILIES[0].exampleRead),
  };
  await checkSameAnswers(routes);

  const directTargets = async () =>
    Object.fromEntries(
      await Promise.all(FAMILIES.map(async (f) => [f.id, await DIRECT[f.id](local(sandboxPort(f.id)))])),
    );
  log('warm-up');
  let direct = await directTargets();
  for (const target of [
    ...Object.values(references),
    tracedRoute.traced,
    ...routes.flatMap((r) => [r.gateway, r.cached, r.proxy, direct[r.family]]),
  ]) {
    await measure(target, { duration: WARMUP_SECONDS });
  }
  for (const route of routes) {
    const check = await getJson(route.cached.url);
    if (!String(check.headers['cache-status']).includes('hit')) {
      throw new Error(
        `${route.path}: the cache-on gateway did not answer from its cache (${check.headers['cache-status']})`,
      );
    }
  }

  const samples = new Map();
  const record = (key, value) => samples.set(key, [...(samples.get(key) ?? []), value]);
  for (let round = 1; round <= ROUNDS; round++) {
    if (round > 1) direct = await directTargets(); // fresh signature per round
    for (const [name, target] of Object.entries(references)) {
      await settle();
      // GET /v1/me: also count the gateway's Redis commands (key check + rate limit) per request.
      record(
        name,
        name === 'hello' ? await measure(target) : await countRedisCommands(offPrefix, () => measure(target)),
      );
    }
    for (const route of routes) {
      const targets = {
        gateway: route.gateway,
        cached: route.cached,
        proxy: route.proxy,
        direct: direct[route.family],
      };
      if (route.family === tracedRoute.family) targets.traced = tracedRoute.traced;
      for (const [kind, target] of Object.entries(targets)) {
        const before = (await settle())[route.family];
        const result = await measure(target);
        result.upstreamCalls = (await settle())[route.family] - before;
        record(`${route.family}:${kind}`, result);
        log(`round ${round}/${ROUNDS} ${route.family} ${kind}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99} ms`);
      }
      for (const kind of ['gateway', 'proxy']) {
        await settle();
        const result = await paced(targets[kind], FIXED_RATE, kind === 'gateway' ? gateway : proxy);
        record(`${route.family}:${kind}@rate`, result);
        log(
          `round ${round}/${ROUNDS} ${route.family} ${kind} at ${FIXED_RATE} req/s: p99 ${result.p99} ms, ` +
            `${result.cpuUs.toFixed(0)} us CPU per request`,
        );
      }
    }
  }
  sampleMemory();
  await Promise.all([gateway, cached, proxy, hello, traced].map(stop));
  otlp.close();
  const otlpReceived = otlp.received;
  log('stampede');
  const stampedeResult = await stampede(`${prefix}stampede:`);
  // Watch streams: STREAMS (2,000) on one process; BENCH_STREAMS=0 skips it.
  log('watch streams');
  const streams = process.env.BENCH_STREAMS === '0' ? undefined : await streamLoad();

  const cpuShare = otherCpuShare();
  const report = await render({
    startedAt,
    loadAtStart,
    cpuShare,
    routes,
    samples,
    stampedeResult,
    tracedRoute,
    otlpReceived,
    streams,
  });
  process.stdout.write(`\n${report}`);
  if (process.env.BENCH_WRITE !== '0') {
    writeFileSync(REPORT, report);
    log(`wrote ${REPORT}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const ms = (n) => (Number.isFinite(n) ? String(Math.round(n * 10) / 10) : '-');
const ratio = (n) => (Number.isFinite(n) ? n.toFixed(2) : '-');

async function render({
  startedAt,
  loadAtStart,
  cpuShare,
  routes,
  samples,
  stampedeResult,
  tracedRoute,
  otlpReceived,
  streams,
}) {
  const rounds = (key) => samples.get(key) ?? [];
  const med = (key, field) => median(rounds(key).map((r) => r[field]));
  const perRound = (a, b, f) => median(rounds(a).map((r, i) => f(r, rounds(b)[i])));
  const range = (key) => {
    const rps = rounds(key).map((r) => r.rps);
    return `${int(Math.min(...rps))}-${int(Math.max(...rps))}`;
  };

  const KINDS = [
    ['gateway', 'gateway, status cache off'],
    ['cached', 'gateway, cached read (status cache on)'],
    ['proxy', 'minimal Node proxy'],
    ['direct', 'upstream sandbox, direct'],
  ];
  const throughput = [
    '| route | target | req/s | req/s range | p50 ms | p99 ms | / minimal proxy |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const route of routes) {
    for (const [kind, label] of KINDS) {
      const key = `${route.family}:${kind}`;
      throughput.push(
        `| \`${route.path}\` | ${label} | ${int(med(key, 'rps'))} | ${range(key)} | ${ms(med(key, 'p50'))} | ` +
          `${ms(med(key, 'p99'))} | ${ratio(perRound(key, `${route.family}:proxy`, (a, b) => a.rps / b.rps))} |`,
      );
    }
  }
  throughput.push(
    `| (reference) | Fastify hello-world, constant JSON | ${int(med('hello', 'rps'))} | ${range('hello')} | ` +
      `${ms(med('hello', 'p50'))} | ${ms(med('hello', 'p99'))} | - |`,
    `| (reference) | gateway \`GET /v1/me\` (no upstream), configured key | ${int(med('me', 'rps'))} | ` +
      `${range('me')} | ${ms(med('me', 'p50'))} | ${ms(med('me', 'p99'))} | - |`,
    `| (reference) | gateway \`GET /v1/me\` (no upstream), issued key | ${int(med('meIssued', 'rps'))} | ` +
      `${range('meIssued')} | ${ms(med('meIssued', 'p50'))} | ${ms(med('meIssued', 'p99'))} | - |`,
  );
  const tracedKey = `${tracedRoute.family}:traced`;
  const tracing = [
    '| route | target | req/s | p50 ms | p99 ms | / same gateway, tracing off |',
    '| --- | --- | --- | --- | --- | --- |',
    `| \`${tracedRoute.path}\` | gateway, tracing on (OTLP export), status cache off | ${int(med(tracedKey, 'rps'))} | ` +
      `${ms(med(tracedKey, 'p50'))} | ${ms(med(tracedKey, 'p99'))} | ` +
      `${ratio(perRound(tracedKey, `${tracedRoute.family}:gateway`, (a, b) => a.rps / b.rps))} |`,
  ];
  const issuedRatio = ratio(perRound('meIssued', 'me', (a, b) => a.rps / b.rps));
  const perRequest = (key) => {
    const runs = rounds(key);
    const commands = runs.reduce((sum, r) => sum + r.redisCommands, 0);
    const requests = runs.reduce((sum, r) => sum + r.requests, 0);
    return `${(commands / requests).toFixed(3)} (${int(commands)} for ${int(requests)} requests)`;
  };

  const summary = [
    '| route | gateway / minimal proxy (target >= 0.80) | cached read / minimal proxy (target >= 1.5) | ' +
      `p99 at ${int(FIXED_RATE)} req/s: gateway | minimal proxy | added p99 (target <= 2 ms) |`,
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const route of routes) {
    const f = route.family;
    summary.push(
      `| \`${route.path}\` | ${ratio(perRound(`${f}:gateway`, `${f}:proxy`, (a, b) => a.rps / b.rps))} | ` +
        `${ratio(perRound(`${f}:cached`, `${f}:proxy`, (a, b) => a.rps / b.rps))} | ` +
        `${ms(med(`${f}:gateway@rate`, 'p99'))} ms | ${ms(med(`${f}:proxy@rate`, 'p99'))} ms | ` +
        `${ms(perRound(`${f}:gateway@rate`, `${f}:proxy@rate`, (a, b) => a.p99 - b.p99))} ms |`,
    );
  }

  const memoryLines = [...memory.entries()].map(([label, m]) => `${label} ${int(m.peakKb / 1024)} MB`);
  const cachedUpstream = routes.map((route) => {
    const runs = rounds(`${route.family}:cached`);
    const calls = runs.reduce((sum, r) => sum + r.upstreamCalls, 0);
    const requests = runs.reduce((sum, r) => sum + r.requests, 0);
    return `${route.family} ${int(calls)} upstream calls for ${int(requests)} requests`;
  });
  const rateShortfalls = routes.flatMap((route) =>
    ['gateway', 'proxy']
      .map((kind) => [kind, med(`${route.family}:${kind}@rate`, 'rps')])
      .filter(([, rps]) => rps < FIXED_RATE * 0.95)
      .map(([kind, rps]) => `${route.family} ${kind} reached only ${int(rps)} req/s`),
  );
  const failures = [...samples.entries()].flatMap(([key, runs]) => {
    const bad = runs.reduce((sum, r) => sum + r.bad, 0);
    return bad > 0 ? [`${key} (${int(bad)})`] : [];
  });
  const stampedeRows = [
    '| route | 200 OK | upstream calls | token calls |',
    '| --- | --- | --- | --- |',
    ...stampedeResult.map(
      (s) => `| \`${s.path}\` | ${s.ok}/${STAMPEDE_PER_ROUTE} | ${s.upstreamCalls} | ${s.authCalls} |`,
    ),
  ];
  const cpu = os.cpus();
  const command = `BENCH_SECONDS=${SECONDS} BENCH_ROUNDS=${ROUNDS} npm run bench`;

  const markdown = [
    '# Benchmark',
    '',
    `Produced by \`${command}\` on ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), ${int(os.totalmem() / 2 ** 30)} GB, ` +
      `${os.type()} ${os.release()}, Node ${process.version}; load average ${loadAtStart.join(' ')} at start. ` +
      `During the run this benchmark used ${cpuShare.ours} of the machine's CPU capacity and other processes ` +
      `${cpuShare.others}. ` +
      'The load generator, the process under test and the sandbox share these cores (and so does anything ' +
      'else running on the machine).',
    '',
    `Method: autocannon -c ${CONNECTIONS} -p 1; one ${WARMUP_SECONDS} s warm-up per target, then ${ROUNDS} ` +
      `round(s) of ${SECONDS} s per target, every target measured once per round in turn. Figures are medians ` +
      "over the rounds; ratios are medians of the per-round ratios. Routes are the families' main reads " +
      '(`exampleRead` in the family registry). The gateway runs as `npm start` does ' +
      '(`--max-old-space-size=160`, LOG_LEVEL info, rate limit on with a limit it never reaches); ' +
      `"status cache off" is STATUS_CACHE_TTL_MS=0, "cached read" is a repeated identical request to a ` +
      `second gateway with STATUS_CACHE_TTL_MS=${CACHED_TTL_MS}. The minimal proxy (\`scripts/minimal-proxy.mjs\`) ` +
      'checks the API key by SHA-256, calls the upstream with a token fetched once at start (CC-CMS: auth-v2 ' +
      'signed per request, at most 10 calls in flight) and returns the same JSON as the gateway (checked ' +
      'before measuring); it has no cache, rate limit, logs or metrics. "Direct" sends the upstream request ' +
      'itself to the sandbox (zero added latency).',
    '',
    '## Key figures',
    '',
    ...summary,
    '',
    `Added p99: gateway minus minimal proxy at a fixed ${int(FIXED_RATE)} req/s, open loop: evenly spaced ` +
      'arrivals over up to 50 connections, each latency counted from its due time (a stall counts for every ' +
      'request it delays).' +
      (rateShortfalls.length ? ` Rate not reached: ${rateShortfalls.join('; ')}.` : ''),
    '',
    `CPU time per request at ${int(FIXED_RATE)} req/s (user + system of the process under test, from ` +
      '/proc; independent of what else the machine runs, unlike the throughput ratios):',
    '',
    '| route | gateway | minimal proxy | gateway / minimal proxy |',
    '| --- | --- | --- | --- |',
    ...routes.map(
      (route) =>
        `| \`${route.path}\` | ${int(med(`${route.family}:gateway@rate`, 'cpuUs'))} us | ` +
        `${int(med(`${route.family}:proxy@rate`, 'cpuUs'))} us | ` +
        `${ratio(perRound(`${route.family}:gateway@rate`, `${route.family}:proxy@rate`, (a, b) => a.cpuUs / b.cpuUs))} |`,
    ),
    '',
    '## Throughput and latency at saturation',
    '',
    ...throughput,
    '',
    `Upstream calls during the cached-read runs: ${cachedUpstream.join('; ')}.`,
    '',
    `Peak RSS (VmHWM): ${memoryLines.join('; ')} (target for the gateway: <= 200 MB).`,
    '',
    '## Key check',
    '',
    '`GET /v1/me` answers from the key check alone (no upstream). An issued key (created through ' +
      '`POST /v1/admin/api-keys` at the start of the run) is looked up in Redis once and then served from the ' +
      "process's key cache, like a configured key; the rate limit spends locally leased points (one Redis " +
      `lease per batch of up to 16 requests). Issued key / configured key: ${issuedRatio}. ` +
      `Redis commands (round trips) per request (MONITOR, the gateway's key prefix): configured key ${perRequest('me')}, ` +
      `issued key ${perRequest('meIssued')}.`,
    '',
    '## Tracing',
    '',
    `A third gateway (status cache off) with OTEL_EXPORTER_OTLP_ENDPOINT pointing at a stand-in collector in ` +
      `the bench process (200 to every \`POST /v1/traces\`; it received ${int(otlpReceived.posts)} exports, ` +
      `${int(otlpReceived.bytes / 1024)} KB), measured in the same rounds as the gateway with tracing off.`,
    '',
    ...tracing,
    '',
    '## Stampede',
    '',
    `${STAMPEDE_PER_ROUTE} concurrent identical cold requests per route, all routes at once, spread over 3 fresh ` +
      'gateway processes sharing one Redis (status cache on, empty cache and token store): the upstream ' +
      'calls the sandbox counted.',
    '',
    ...stampedeRows,
    '',
    failures.length ? `Non-2xx answers or errors in: ${failures.join(', ')}.` : 'Every measured request answered 2xx.',
    '',
    ...(streams ? [streamLoadMarkdown(streams)] : []),
  ].join('\n');
  return prettier.format(markdown, { ...(await prettier.resolveConfig(REPORT)), parser: 'markdown' });
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => stopAll());
