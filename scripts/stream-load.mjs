// Watch-stream load: STREAMS (default 2,000) open streams on one gateway process, each watching
// 5 of 100 Meeting numbers. Reports the gateway's RSS with every stream open, how long all first
// states took, and the latency from a state change in the upstream to its event on every stream
// (bounded by STATUS_POLL_INTERVAL_MS + STATUS_CACHE_TTL_MS plus the upstream's answer time), and
// the upstream calls made. Run by `npm run bench` (after the HTTP figures) or alone:
//   npm run build && node scripts/stream-load.mjs
import { spawn } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';

const require = createRequire(import.meta.url);
const { startUpstreamSandbox, sandboxEnvironment } = require('../dist/sandbox/upstream-sandbox.js');

const STREAMS = Number(process.env.STREAMS ?? 2000);
const INTERVAL_MS = Number(process.env.STREAM_POLL_INTERVAL_MS ?? 2000);
const CACHE_TTL_MS = 1000;
const API_KEY = 'stream-load-key';
const NUMBERS = Array.from({ length: 100 }, (_, i) => `+99111617${3900 + i}`);

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** Opens one stream; calls onStatus(data, receivedAt) for each status event. */
function openStream(agent, port, numbers, onStatus) {
  return new Promise((resolve, reject) => {
    const path = `/v1/meeting/terminals/statuses/stream?numbers=${numbers.map(encodeURIComponent).join(',')}`;
    const req = get({ host: '127.0.0.1', port, path, agent, headers: { 'x-api-key': API_KEY } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream answered ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        buffer += chunk;
        let at;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          if (block.includes('event: status')) onStatus(JSON.parse(/^data: (.*)$/m.exec(block)[1]), Date.now());
        }
      });
      resolve(req);
    });
    req.on('error', reject);
  });
}

export async function streamLoad() {
  const sandbox = await startUpstreamSandbox({ latencyMs: 0 });
  const port = await freePort();
  const prefix = `cgw-streams:${randomBytes(4).toString('hex')}:`;
  const gateway = spawn(process.execPath, ['--max-old-space-size=160', 'dist/main.js'], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      ...sandboxEnvironment(sandbox),
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      REDIS_KEY_PREFIX: prefix,
      API_KEYS: JSON.stringify([
        {
          name: 'load',
          sha256: createHash('sha256').update(API_KEY).digest('hex'),
          scopes: ['meeting.terminals:read'],
        },
      ]),
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      STATUS_POLL_INTERVAL_MS: String(INTERVAL_MS),
      STATUS_CACHE_TTL_MS: String(CACHE_TTL_MS),
      STREAMS_PER_KEY: String(STREAMS + 10),
      RATE_LIMIT_PER_MINUTE: '1000000',
      MAX_CONNECTIONS: String(STREAMS + 1000),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  const requests = [];
  try {
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}/health/live`);
        break;
      } catch {
        await sleep(100);
      }
    }
    const rssIdle = rssMb(gateway.pid);
    const changed = NUMBERS[7];
    let firsts = 0;
    const changeLatencies = [];
    let changedAt = 0;
    const opened = Date.now();
    for (let i = 0; i < STREAMS; i++) {
      const numbers = Array.from({ length: 5 }, (_, k) => NUMBERS[(i * 5 + k) % NUMBERS.length]);
      const watchesChanged = numbers.includes(changed);
      const seen = new Set();
      requests.push(
        await openStream(agent, port, numbers, (data, at) => {
          if (!seen.has(data.id)) {
            seen.add(data.id);
            if (seen.size === numbers.length) firsts += 1;
          } else if (watchesChanged && data.id === changed && changedAt) {
            changeLatencies.push(at - changedAt);
          }
        }),
      );
    }
    while (firsts < STREAMS && Date.now() - opened < 60_000) await sleep(50);
    const allFirstMs = Date.now() - opened;
    await sleep(INTERVAL_MS);
    const rssOpen = rssMb(gateway.pid);
    const watchingChanged = Math.ceil(STREAMS / 20);
    const before = sandbox.meeting.injector.counters.businessCalls;
    changedAt = Date.now();
    sandbox.meeting.setTerminal(changed, { regStatus: '1', callStatus: '0' });
    while (changeLatencies.length < watchingChanged && Date.now() - changedAt < 30_000) await sleep(20);
    const window = Date.now() - changedAt;
    const calls = sandbox.meeting.injector.counters.businessCalls - before;
    const result = {
      streams: STREAMS,
      numbers: NUMBERS.length,
      intervalMs: INTERVAL_MS,
      cacheTtlMs: CACHE_TTL_MS,
      rssIdleMb: Math.round(rssIdle),
      rssOpenMb: Math.round(rssOpen),
      allFirstStatesMs: allFirstMs,
      streamsWithChange: `${changeLatencies.length}/${watchingChanged}`,
      changeLatencyP50Ms: percentile(changeLatencies, 50),
      changeLatencyP99Ms: percentile(changeLatencies, 99),
      changeLatencyMaxMs: Math.max(...changeLatencies),
      upstreamCallsWhileWaitingMs: `${calls} in ${window} ms`,
    };
    return result;
  } finally {
    for (const req of requests) req.destroy();
    gateway.kill('SIGTERM');
    await new Promise((resolve) => gateway.once('exit', resolve));
    await sandbox.close();
  }
}

/** The result as a Markdown section. */
export function streamLoadMarkdown(r) {
  return [
    '## Watch streams on one process',
    '',
    `${r.streams} SSE streams on one gateway process, each watching 5 of ${r.numbers} Meeting numbers ` +
      `(STATUS_POLL_INTERVAL_MS=${r.intervalMs}, STATUS_CACHE_TTL_MS=${r.cacheTtlMs}); one number changes state ` +
      'in the sandbox and every stream watching it must report it.',
    '',
    '| figure | value |',
    '| --- | --- |',
    `| RSS idle / with every stream open | ${r.rssIdleMb} MB / ${r.rssOpenMb} MB |`,
    `| all first states received after | ${r.allFirstStatesMs} ms |`,
    `| streams that got the change | ${r.streamsWithChange} |`,
    `| change -> event latency p50 / p99 / max | ${r.changeLatencyP50Ms} / ${r.changeLatencyP99Ms} / ${r.changeLatencyMaxMs} ms (bound: interval + cache TTL = ${r.intervalMs + r.cacheTtlMs} ms plus the upstream's answer) |`,
    `| upstream userstatus calls while waiting | ${r.upstreamCallsWhileWaitingMs} |`,
    '',
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await streamLoad();
  const markdown = streamLoadMarkdown(result);
  console.log(markdown);
  if (process.env.BENCH_WRITE !== '0')
    writeFileSync(
      'docs/streams-load.md',
      `# Stream load\n\nCommand: \`node scripts/stream-load.mjs\` (${new Date().toISOString().slice(0, 10)}, node ${process.version}).\n\n${markdown}`,
    );
  process.exit(0);
}
