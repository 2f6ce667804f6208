import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';
import { request } from 'undici';
import { startUpstreamSandbox, UpstreamSandbox } from '../src/sandbox/upstream-sandbox';
import { dropPrefix, KEYS, REDIS_URL, uniquePrefix } from './support/gateway';
import { GatewayProcess, replicaEnv, startGatewayProcess } from './support/processes';

const TTL_MS = 1500;

/**
 * The shared status cache across three real gateway processes on one Redis: identical cold reads
 * make one upstream call, fresh states are served without one, the client can bypass, the batch
 * asks only for what is missing, ETags follow the state, and failures are never cached.
 */
describe('status cache shared by three gateway processes', () => {
  let sandbox: UpstreamSandbox;
  let gateways: GatewayProcess[];
  const prefix = uniquePrefix();

  beforeAll(async () => {
    sandbox = await startUpstreamSandbox({ latencyMs: 0 });
    const env = replicaEnv(sandbox, prefix, {
      RATE_LIMIT_PER_MINUTE: '100000',
      STATUS_CACHE_TTL_MS: String(TTL_MS),
    });
    gateways = await Promise.all([1, 2, 3].map(() => startGatewayProcess(env)));
  }, 60000);

  afterAll(async () => {
    await Promise.all((gateways ?? []).map((g) => g.stop()));
    await sandbox?.close();
    await dropPrefix(prefix);
  });

  const meeting = () => sandbox.meeting;
  const calls = () => meeting().injector.counters.businessCalls;

  async function get(i: number, path: string, headers: Record<string, string> = {}) {
    const res = await request(`${gateways[i % 3]!.url}${path}`, { headers: { 'x-api-key': KEYS.all, ...headers } });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      headers: res.headers,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    };
  }

  async function post(i: number, path: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await request(`${gateways[i % 3]!.url}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': KEYS.all, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, unknown> };
  }

  const status = (n: string) => `/v1/meeting/terminals/${encodeURIComponent(n)}/status`;

  it('answers 100 concurrent identical cold requests over 3 processes with exactly 1 upstream call', async () => {
    meeting().injector.latencyMs = 150; // keep the first call in flight while the others arrive
    const before = calls();
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => get(i, status('+991116173910'))));
    meeting().injector.latencyMs = 0;
    expect(results.map((r) => r.status)).toEqual(Array(100).fill(200));
    expect(calls() - before).toBe(1);
    expect(new Set(results.map((r) => r.body!.observedAt)).size).toBe(1);
  });

  it('serves a fresh state without an upstream call, keeping observedAt, with Age and Cache-Status: hit', async () => {
    const first = await get(0, status('+991116173911'));
    expect(first.headers['cache-status']).toBe('comms-gateway; fwd=miss');
    expect(first.headers['cache-control']).toBe('private, no-cache');
    const before = calls();
    await sleep(1100);
    const second = await get(1, status('+991116173911'));
    expect(calls()).toBe(before);
    expect(second.headers['cache-status']).toBe('comms-gateway; hit');
    expect(second.headers.age).toBe('1');
    expect(second.body!.observedAt).toBe(first.body!.observedAt);
    expect(second.headers.etag).toBe(first.headers.etag);
  });

  it('answers a hit from the process memory: the Redis copy gone, the same process still hits', async () => {
    const number = '+991116173914';
    const first = await get(0, status(number));
    const redis = new Redis(REDIS_URL);
    try {
      expect(await redis.del(`${prefix}status:meeting:${number}`)).toBe(1);
    } finally {
      redis.disconnect();
    }
    const before = calls();
    const again = await get(0, status(number));
    expect(again.headers['cache-status']).toBe('comms-gateway; hit');
    expect(again.body!.observedAt).toBe(first.body!.observedAt);
    expect(calls()).toBe(before);
    // Another process has no copy of its own: it misses and asks the upstream.
    const other = await get(1, status(number));
    expect(other.headers['cache-status']).toBe('comms-gateway; fwd=miss');
    expect(calls() - before).toBe(1);
  });

  it('asks the upstream once again after the TTL', async () => {
    await get(0, status('+991116173912'));
    await sleep(TTL_MS + 200);
    const before = calls();
    const again = await get(2, status('+991116173912'));
    expect(again.headers['cache-status']).toBe('comms-gateway; fwd=miss');
    expect(calls() - before).toBe(1);
  });

  it('bypasses the cache on Cache-Control: no-cache or max-age=0, and the result refreshes it', async () => {
    const first = await get(0, status('+991116173913'));
    const before = calls();
    const bypass = await get(1, status('+991116173913'), { 'cache-control': 'no-cache' });
    expect(bypass.headers['cache-status']).toBe('comms-gateway; fwd=request');
    const maxAge = await get(2, status('+991116173913'), { 'cache-control': 'max-age=0' });
    expect(maxAge.headers['cache-status']).toBe('comms-gateway; fwd=request');
    expect(calls() - before).toBe(2);
    const hit = await get(0, status('+991116173913'));
    expect(hit.headers['cache-status']).toBe('comms-gateway; hit');
    expect(hit.body!.observedAt).toBe(maxAge.body!.observedAt);
    expect(hit.body!.observedAt).not.toBe(first.body!.observedAt);
  });

  it('sends only the numbers that are not fresh from the batch route, still batched', async () => {
    await post(0, '/v1/meeting/terminals/statuses', { numbers: ['+991116173920', '+991116173921'] });
    const before = meeting().statusQueries.length;
    const res = await post(1, '/v1/meeting/terminals/statuses', {
      numbers: ['+991116173920', '+991116173922', '+991116173921', '+991116173923', '+19990000000'],
    });
    expect(res.status).toBe(200);
    expect((res.body.items as { id: string }[]).map((i) => i.id)).toEqual([
      '+991116173920',
      '+991116173922',
      '+991116173921',
      '+991116173923',
    ]);
    expect(res.body.notFound).toEqual(['+19990000000']);
    expect(res.headers['cache-status']).toBe('comms-gateway; fwd=miss');
    expect(meeting().statusQueries.slice(before)).toEqual([['+991116173922', '+991116173923', '+19990000000']]);
    // All five are now fresh, the unknown one included: no upstream call at all.
    const again = await post(2, '/v1/meeting/terminals/statuses', {
      numbers: ['+991116173923', '+19990000000', '+991116173920'],
    });
    expect(again.headers['cache-status']).toBe('comms-gateway; hit');
    expect(meeting().statusQueries.length).toBe(before + 1);
  });

  it('answers 304 for the current ETag and a new ETag once the state changes', async () => {
    const number = '+991116173930';
    const first = await get(0, status(number));
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    const notModified = await get(1, status(number), { 'if-none-match': etag });
    expect(notModified.status).toBe(304);
    expect(notModified.body).toBeUndefined();
    // Same state observed again later: same tag (observedAt is not part of it).
    const refreshed = await get(2, status(number), { 'cache-control': 'no-cache', 'if-none-match': etag });
    expect(refreshed.status).toBe(304);
    meeting().setTerminal(number, { regStatus: '1', callStatus: '0' });
    const changed = await get(0, status(number), { 'cache-control': 'no-cache', 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ registration: 'unregistered', call: 'offline' });
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('never caches a failure', async () => {
    const number = '+991116173940';
    meeting().injector.inject({ mode: 'status', status: 500, count: 3, target: 'business' });
    const failed = await get(0, status(number));
    expect(failed.status).toBe(502);
    expect(failed.body).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    meeting().injector.reset();
    const before = calls();
    const ok = await get(1, status(number));
    expect(ok.status).toBe(200);
    expect(calls() - before).toBe(1);
  });

  it('keeps softphone passwords out of the cache: with credentials every read goes upstream, no-store', async () => {
    const cc = () => sandbox['cc-management'].injector.counters.businessCalls;
    const before = cc();
    const a = await get(0, '/v1/contact-center/softphones?limit=2&include=credentials');
    const b = await get(1, '/v1/contact-center/softphones?limit=2&include=credentials');
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(cc() - before).toBe(2);
    expect(a.headers['cache-status']).toBeUndefined();
    expect(a.headers.etag).toBeUndefined();
    const plain = await get(2, '/v1/contact-center/softphones?limit=2');
    expect(plain.headers['cache-status']).toBe('comms-gateway; fwd=miss');
    const values = await redisValues();
    expect(values.some((v) => v.includes('Demo#Pwd'))).toBe(false);
  });

  it('shows hits, misses and coalesced waits by route in the metrics', async () => {
    const number = '+991116173950';
    meeting().injector.latencyMs = 100; // the second identical read waits on the first one's call
    await Promise.all([get(0, status(number)), get(0, status(number))]);
    meeting().injector.latencyMs = 0;
    await get(0, status(number));
    const res = await request(`${gateways[0]!.url}/metrics`);
    const text = await res.body.text();
    expect(text).toMatch(/status_cache_requests_total\{route="meeting.terminal",outcome="hit"\} [1-9]/);
    expect(text).toMatch(/status_cache_requests_total\{route="meeting.terminal",outcome="miss"\} [1-9]/);
    expect(text).toMatch(/status_cache_requests_total\{route="meeting.terminal",outcome="coalesced"\} [1-9]/);
  });

  async function redisValues(): Promise<string[]> {
    const { default: Redis } = await import('ioredis');
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${prefix}status:*`);
      const values = keys.length ? await redis.mget(...keys) : [];
      const ttls = await Promise.all(keys.map((k) => redis.pttl(k)));
      // Every cache entry expires.
      expect(ttls.every((t) => t > 0 && t <= TTL_MS)).toBe(true);
      return values.filter((v): v is string => v !== null);
    } finally {
      redis.disconnect();
    }
  }
});
