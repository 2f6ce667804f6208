// npm run build first. CPU profile of the gateway's hot path: the standalone sandbox (zero
// latency) and one gateway (status cache off, as in the benchmark) started with
// `node --cpu-prof`, then autocannon -c 50 on one route for PROFILE_SECONDS (default 10); the
// profile (.cpuprofile, open it in Chrome DevTools or speedscope) is written to PROFILE_DIR
// (default /tmp/cgw-profile) and summarised: the top functions by self time, and the time
// spent under a few subsystems (inclusive).
//   node scripts/profile.mjs [route]     (default: Meeting's main read)
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

const require = createRequire(import.meta.url);
const { FAMILIES } = require('../dist/families/registry.js');
const SECONDS = Number(process.env.PROFILE_SECONDS ?? 10);
const DIR = process.env.PROFILE_DIR ?? '/tmp/cgw-profile';
const route = process.argv[2] ?? FAMILIES[0].exampleRead;
const base = 30_000 + Math.floor(Math.random() * 20_000);
const local = (port) => `http://127.0.0.1:${port}`;
const gatewayPort = base + FAMILIES.length;
const KEY = 'profile-key';
const children = [];
let spawnedAt = 0;
let startupMs = 0;
const start = (args, env) => {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
};
async function waitFor(url) {
  for (let i = 0; i < 300; i++) {
    try {
      const res = await request(url);
      await res.body.dump();
      if (res.statusCode < 500) return;
    } catch {
      // not yet
    }
    await sleep(50);
  }
  throw new Error(`${url} did not come up`);
}
rmSync(DIR, { recursive: true, force: true });
mkdirSync(DIR, { recursive: true });
try {
  start(['dist/sandbox/standalone.js'], { SANDBOX_LATENCY_MS: '0', SANDBOX_PORT_BASE: String(base) });
  await Promise.all(FAMILIES.map((f, i) => waitFor(`${local(base + i)}/__sandbox/counters`)));
  spawnedAt = Date.now();
  const gateway = start(['--cpu-prof', `--cpu-prof-dir=${DIR}`, '--max-old-space-size=160', 'dist/main.js'], {
    PORT: String(gatewayPort),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `cgw-profile:${randomBytes(4).toString('hex')}:`,
    API_KEYS: JSON.stringify([
      {
        name: 'profile',
        sha256: createHash('sha256').update(KEY).digest('hex'),
        scopes: ['meeting.terminals:read', 'cc.terminals:read', 'cc.softphones:read', 'cc.calls:read'],
      },
    ]),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    STATUS_CACHE_TTL_MS: process.env.STATUS_CACHE_TTL_MS ?? '0',
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: 'info',
    CCMS_QUEUE_TIMEOUT_MS: '10000',
    ...Object.assign({}, ...FAMILIES.map((f, i) => f.sandbox.environment(local(base + i)))),
  });
  await waitFor(`${local(gatewayPort)}/health/live`);
  // Samples before the load starts (module loading, Nest start-up) are left out of the summary.
  startupMs = Date.now() - spawnedAt;
  const result = await autocannon({
    url: `${local(gatewayPort)}${route}`,
    headers: { 'x-api-key': KEY },
    connections: 50,
    duration: SECONDS,
  });
  process.stderr.write(`${route}: ${Math.round(result.requests.average)} req/s, non-2xx ${result.non2xx}\n`);
  const exited = new Promise((resolve) => gateway.once('exit', resolve));
  gateway.kill('SIGTERM');
  await exited;
} finally {
  for (const child of children) child.kill('SIGTERM');
}
const file = readdirSync(DIR).find((f) => f.endsWith('.cpuprofile'));
const profile = JSON.parse(readFileSync(`${DIR}/${file}`, 'utf8'));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const self = new Map(profile.nodes.map((n) => [n.id, 0]));
let elapsed = 0;
for (let i = 0; i < profile.samples.length; i++) {
  elapsed += profile.timeDeltas[i] ?? 0;
  if (elapsed < startupMs * 1000) continue;
  self.set(profile.samples[i], self.get(profile.samples[i]) + (profile.timeDeltas[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const label = (n) => {
  const url = n.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
const selfByLabel = new Map();
for (const [id, t] of self) selfByLabel.set(label(byId.get(id)), (selfByLabel.get(label(byId.get(id))) ?? 0) + t);
const pct = (t) => `${((t / total) * 100).toFixed(1).padStart(5)} %`;
console.log(`profile ${DIR}/${file}: ${(total / 1e6).toFixed(1)} s sampled`);
console.log('\nTop self time:');
for (const [name, t] of [...selfByLabel].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROFILE_TOP ?? 40))) {
  console.log(`${pct(t)}  ${name}`);
}
// Inclusive time of subsystems: a sample counts once for a package when any frame on its stack is in it.
const PACKAGES = (
  process.env.PROFILE_PACKAGES ??
  '@nestjs,class-validator,class-transformer,rxjs,@opentelemetry,prom-client,pino,cockatiel,ioredis,rate-limiter-flexible,zod,undici,fastify,dist/,async_hooks'
).split(',');
const inclusive = new Map(PACKAGES.map((p) => [p, 0]));
for (const [id, t] of self) {
  if (t === 0) continue;
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) {
    const url = byId.get(n).callFrame.url;
    for (const p of PACKAGES) if (url.includes(p)) seen.add(p);
  }
  for (const p of seen) inclusive.set(p, inclusive.get(p) + t);
}
console.log('\nInclusive time by package (a stack touching it):');
for (const [p, t] of [...inclusive].sort((a, b) => b[1] - a[1])) console.log(`${pct(t)}  ${p}`);

// Inclusive time per function (each function counted once per sample).
const inclusiveFn = new Map();
for (const [id, t] of self) {
  if (t === 0) continue;
  const seen = new Set();
  for (let n = id; n !== undefined; n = parent.get(n)) seen.add(label(byId.get(n)));
  for (const l of seen) inclusiveFn.set(l, (inclusiveFn.get(l) ?? 0) + t);
}
console.log('\nTop inclusive time (functions of dist/ and selected packages):');
const FOCUS = new RegExp(
  process.env.PROFILE_FOCUS ??
    'dist/|@nestjs|class-|cockatiel|prom-client|opentelemetry|rate-limiter|ioredis|zod|pino|async_hooks',
);
for (const [name, t] of [...inclusiveFn]
  .filter(([n]) => FOCUS.test(n))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(process.env.PROFILE_TOP ?? 40))) {
  console.log(`${pct(t)}  ${name}`);
}

// PROFILE_UNION=<regex>: the share of samples whose stack has any frame (function + file) matching it,
// e.g. the rate limit's Redis round trip: 'ioredis|rate-limiter-flexible|^consume .*rate-limit.service'.
if (process.env.PROFILE_UNION) {
  const union = new RegExp(process.env.PROFILE_UNION);
  let matched = 0;
  for (const [id, t] of self) {
    if (t === 0) continue;
    for (let n = id; n !== undefined; n = parent.get(n)) {
      if (union.test(label(byId.get(n)))) {
        matched += t;
        break;
      }
    }
  }
  console.log(`\nStacks matching ${union}: ${pct(matched)}`);
}
