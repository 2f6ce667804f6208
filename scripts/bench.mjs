// npm run bench: the gateway's throughput and latency against direct calls to the sandbox.
// Starts the standalone sandbox (zero latency) and the gateway as separate processes, then uses
// autocannon (-c 50 -p 1, fixed duration). Writes docs/benchmark.md and prints the same table.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

const require = createRequire(import.meta.url);
const { appIdAuthorization, appIdNonce } = require('../dist/families/meeting/app-id-signer.js');
const { authV2Authorization } = require('../dist/families/cc-cms/auth-v2-signer.js');
const { FAMILIES, FAMILY_IDS } = require('../dist/families/registry.js');

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 50;
const API_KEY = 'bench-key';
// The standalone sandbox listens on SANDBOX_PORT_BASE + the family's index in the registry.
const SANDBOX_PORT_BASE = 4201;
const familyPort = (id) => SANDBOX_PORT_BASE + FAMILY_IDS.indexOf(id);
const PORTS = {
  meeting: familyPort('meeting'),
  ccms: familyPort('cc-cms'),
  cec: familyPort('cc-management'),
  gateway: 4210,
  hello: 4211,
  stampede: [4231, 4232, 4233],
};
// Every family pointed at the standalone sandbox with its demo credentials (from the registry).
const SANDBOX_ENV = Object.assign(
  {},
  ...FAMILIES.map((f) => f.sandbox.environment(`http://127.0.0.1:${familyPort(f.id)}`)),
);
const SANDBOX_CREDENTIALS = {
  meeting: { appId: SANDBOX_ENV.MEETING_APP_ID, appKey: SANDBOX_ENV.MEETING_APP_KEY },
  ccms: { ak: SANDBOX_ENV.CCMS_AK, sk: SANDBOX_ENV.CCMS_SK },
  cec: { appKey: SANDBOX_ENV.CEC_AK, appSecret: SANDBOX_ENV.CEC_SK },
};
const SANDBOX = {
  meeting: `http://127.0.0.1:${PORTS.meeting}`,
  ccms: `http://127.0.0.1:${PORTS.ccms}`,
  cec: `http://127.0.0.1:${PORTS.cec}`,
};
const children = [];
// Replicas share one key, as in a real deployment: each must read the tokens the others cache.
const TOKEN_ENCRYPTION_KEY = randomBytes(32).toString('base64');

// The gateway runs as `npm run start:prod` runs it (heap cap included).
const GATEWAY = ['--max-old-space-size=160', 'dist/main.js'];

function start(name, args, env) {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  child.name = name;
  return child;
}

async function waitFor(url) {
  for (let i = 0; i < 200; i++) {
    try {
      const res = await request(url);
      await res.body.dump();
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${url} did not come up`);
}

function gatewayEnv(port, prefix) {
  return {
    PORT: String(port),
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: prefix,
    API_KEYS: JSON.stringify([
      {
        name: 'bench',
        sha256: createHash('sha256').update(API_KEY).digest('hex'),
        scopes: ['meeting.terminals:read', 'cc.terminals:read', 'cc.softphones:read', 'cc.calls:read'],
      },
    ]),
    TOKEN_ENCRYPTION_KEY,
    RATE_LIMIT_PER_MINUTE: '1000000',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    ...SANDBOX_ENV,
    CCMS_QUEUE_TIMEOUT_MS: '10000',
  };
}

function run(opts) {
  return new Promise((resolve, reject) => {
    autocannon({ connections: CONNECTIONS, pipelining: 1, duration: DURATION, ...opts }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
}

async function measure(label, opts) {
  await run({ ...opts, duration: 2 }); // warm-up: keep-alive pools, JIT, token caches
  const r = await run(opts);
  const non2xx = r.non2xx + r.errors + r.timeouts;
  return { label, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx };
}

async function post(url, body, headers = {}) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return res.body.json();
}

async function directCalls() {
  const { appId, appKey } = SANDBOX_CREDENTIALS.meeting;
  const expireTime = Math.floor(Date.now() / 1000) + 600;
  const nonce = appIdNonce();
  const meetingToken = (
    await post(
      `${SANDBOX.meeting}/v2/usg/acs/auth/appauth`,
      { appId, clientType: 72, expireTime, nonce },
      {
        authorization: appIdAuthorization({ appId, appKey, expireTime, nonce }),
        'x-token-type': 'LongTicket',
      },
    )
  ).accessToken;
  const cecToken = (
    await post(
      `${SANDBOX.cec}/apigovernance/api/oauth/tokenByAkSk`,
      { app_key: SANDBOX_CREDENTIALS.cec.appKey, app_secret: SANDBOX_CREDENTIALS.cec.appSecret },
      { 'x-token-expire': '3600' },
    )
  ).AccessToken;
  const ccmsPath = '/rest/cmsapp/v1/openapi/uap/queryterminalstatus';
  const ccmsBody = JSON.stringify({ EID: '87800001', limit: 100, offset: 0 });
  const host = `127.0.0.1:${PORTS.ccms}`;
  // One signature serves the whole run: its timestamp stays within the sandbox's 15 min skew.
  const ccmsAuth = authV2Authorization({
    ...SANDBOX_CREDENTIALS.ccms,
    method: 'POST',
    path: ccmsPath,
    headers: { host },
    body: ccmsBody,
    date: new Date(),
  });
  const json = { 'content-type': 'application/json' };
  return {
    meeting: {
      url: `${SANDBOX.meeting}/v1/usg/acs/ap/userstatus`,
      method: 'POST',
      headers: { ...json, 'x-access-token': meetingToken },
      body: JSON.stringify(['+991116173901']),
    },
    ccms: {
      url: `${SANDBOX.ccms}${ccmsPath}`,
      method: 'POST',
      headers: { ...json, host, authorization: ccmsAuth },
      body: ccmsBody,
    },
    softphones: {
      url: `${SANDBOX.cec}/apiaccess/CC-Management/v2/mobileAgent/queryPhone`,
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${cecToken}` },
      body: JSON.stringify({ limit: '10', offset: '0' }),
    },
    calls: {
      url: `${SANDBOX.cec}/apiaccess/CC-Management/v1/mobileAgent/queryCallState`,
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${cecToken}` },
      body: JSON.stringify({ callSerialNo: '645735364434067472' }),
    },
  };
}

function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

async function stampede(prefix) {
  await request(`${SANDBOX.meeting}/__sandbox/reset`, { method: 'POST' }).then((r) => r.body.dump());
  await request(`${SANDBOX.cec}/__sandbox/reset`, { method: 'POST' }).then((r) => r.body.dump());
  const gateways = PORTS.stampede.map((port) =>
    start(`gateway-${port}`, GATEWAY, { ...gatewayEnv(port, prefix), LOG_LEVEL: 'warn' }),
  );
  await Promise.all(PORTS.stampede.map((port) => waitFor(`http://127.0.0.1:${port}/health/live`)));
  const urls = ['/v1/meeting/terminals/%2B991116173901/status', '/v1/contact-center/softphones?limit=1'];
  const statuses = await Promise.all(
    Array.from({ length: 1000 }, (_, i) =>
      request(`http://127.0.0.1:${PORTS.stampede[i % 3]}${urls[i % 2]}`, { headers: { 'x-api-key': API_KEY } }).then(
        async (r) => {
          await r.body.dump();
          return r.statusCode;
        },
      ),
    ),
  );
  const counters = async (base) => (await request(`${base}/__sandbox/counters`)).body.json();
  const result = {
    ok: statuses.filter((s) => s === 200).length,
    meetingAuthCalls: (await counters(SANDBOX.meeting)).authCalls,
    cecAuthCalls: (await counters(SANDBOX.cec)).authCalls,
  };
  for (const g of gateways) g.kill('SIGTERM');
  return result;
}

async function main() {
  const prefix = `cgw-bench:${randomBytes(4).toString('hex')}:`;
  start('sandbox', ['dist/sandbox/standalone.js'], {
    SANDBOX_LATENCY_MS: '0',
    SANDBOX_PORT_BASE: String(SANDBOX_PORT_BASE),
  });
  const gateway = start('gateway', GATEWAY, gatewayEnv(PORTS.gateway, prefix));
  start('hello', ['scripts/fastify-hello.mjs'], { PORT: String(PORTS.hello) });
  await Promise.all([
    waitFor(`${SANDBOX.meeting}/__sandbox/counters`),
    waitFor(`http://127.0.0.1:${PORTS.gateway}/health/live`),
    waitFor(`http://127.0.0.1:${PORTS.hello}/`),
  ]);

  const gw = (path) => ({ url: `http://127.0.0.1:${PORTS.gateway}${path}`, headers: { 'x-api-key': API_KEY } });
  const direct = await directCalls();
  const rows = [];
  rows.push(['bare Fastify hello-world', await measure('hello', { url: `http://127.0.0.1:${PORTS.hello}/` }), null]);
  rows.push(['GET /v1/me (gateway without upstream)', await measure('me', gw('/v1/me')), null]);
  const routes = [
    ['GET /v1/meeting/terminals/{n}/status', gw('/v1/meeting/terminals/%2B991116173901/status'), direct.meeting],
    ['GET /v1/contact-center/terminals', gw('/v1/contact-center/terminals?eid=87800001'), direct.ccms],
    ['GET /v1/contact-center/softphones', gw('/v1/contact-center/softphones?limit=10'), direct.softphones],
    ['GET /v1/contact-center/calls/{sn}', gw('/v1/contact-center/calls/645735364434067472'), direct.calls],
  ];
  for (const [label, proxied, upstream] of routes) {
    rows.push([label, await measure(label, proxied), await measure(`${label} direct`, upstream)]);
  }

  // Added latency at half of the peak load the gateway sustained on the Meeting route.
  const meetingPeak = rows[2][1].rps;
  const half = Math.max(1, Math.floor(meetingPeak / 2));
  const halfProxied = await measure('half proxied', { ...routes[0][1], overallRate: half });
  const halfDirect = await measure('half direct', { ...routes[0][2], overallRate: half });
  const rssMb = peakRssMb(gateway.pid);
  const stampedeResult = await stampede(`${prefix}stampede:`);

  const fmt = (n) => (Number.isFinite(n) ? n.toFixed(0) : '-');
  const lines = [
    `| route | gateway req/s | p50 ms | p99 ms | direct req/s | direct p50 | direct p99 | proxied/direct | added p50 ms |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
  ];
  const hello = rows[0][1];
  for (const [label, g, d] of rows) {
    const base = d ?? (label.startsWith('GET /v1/me') ? hello : null);
    lines.push(
      `| ${label} | ${fmt(g.rps)} | ${g.p50} | ${g.p99} | ${base ? fmt(base.rps) : '-'} | ${base ? base.p50 : '-'} | ${base ? base.p99 : '-'} | ${base ? (g.rps / base.rps).toFixed(2) : '-'} | ${base ? g.p50 - base.p50 : '-'} |`,
    );
  }
  const errors = rows.flatMap(([, g, d]) => [g, d]).filter((r) => r && r.non2xx > 0);
  const summary = [
    `Machine: ${process.platform} ${process.arch}, ${(await import('node:os')).cpus().length} cores, Node ${process.version}. ` +
      `autocannon -c ${CONNECTIONS} -p 1, ${DURATION} s per run after a 2 s warm-up; load generator, gateway and sandbox share the machine.`,
    '',
    ...lines,
    '',
    `For GET /v1/me the "direct" columns are the bare Fastify hello-world (framework baseline).`,
    `Added p99 at half of peak (${half} req/s on the Meeting route): gateway p99 ${halfProxied.p99} ms vs direct p99 ${halfDirect.p99} ms = +${halfProxied.p99 - halfDirect.p99} ms.`,
    `Peak RSS of the gateway process: ${rssMb.toFixed(0)} MB.`,
    `Stampede: 1000 concurrent cold requests over 3 gateway processes sharing one Redis: ${stampedeResult.ok}/1000 OK, ` +
      `Meeting auth calls ${stampedeResult.meetingAuthCalls}, CC-Management auth calls ${stampedeResult.cecAuthCalls}.`,
    errors.length
      ? `Non-2xx or errors in: ${errors.map((e) => `${e.label} (${e.non2xx})`).join(', ')}`
      : 'Every measured request answered 2xx.',
  ].join('\n');
  process.stdout.write(`${summary}\n`);
  if (process.env.BENCH_WRITE !== '0') {
    writeFileSync(
      'docs/benchmark.md',
      `# Benchmark\n\nProduced by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}.\n\n${summary}\n`,
    );
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGTERM');
  });
