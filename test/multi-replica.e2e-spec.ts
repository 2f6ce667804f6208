import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { startUpstreamSandbox, UpstreamSandbox } from '../src/sandbox/upstream-sandbox';
import { dropPrefix, KEYS, uniquePrefix } from './support/gateway';
import { GatewayProcess, replicaEnv, startGatewayProcess } from './support/processes';

/** Three gateway processes, one Redis, one sandbox: the limits hold in total, not per replica. */
describe('three gateway processes sharing one Redis', () => {
  let sandbox: UpstreamSandbox;
  let gateways: GatewayProcess[];
  const prefix = uniquePrefix();

  beforeAll(async () => {
    sandbox = await startUpstreamSandbox({ latencyMs: 0 });
    const env = replicaEnv(sandbox, prefix, {
      RATE_LIMIT_PER_MINUTE: '100000',
      CCMS_QUEUE_TIMEOUT_MS: '10000',
      UPSTREAM_TIMEOUT_MS: '1500',
      AUTH_FAILURES_PER_MINUTE: '10',
      // Every request here must reach the upstream (limits are what is counted).
      STATUS_CACHE_TTL_MS: '0',
    });
    gateways = await Promise.all([1, 2, 3].map(() => startGatewayProcess(env)));
  }, 60000);

  afterAll(async () => {
    await Promise.all((gateways ?? []).map((g) => g.stop()));
    await sandbox?.close();
    await dropPrefix(prefix);
  });

  const call = async (i: number, method: 'GET' | 'POST', path: string, body?: unknown, key: string = KEYS.all) => {
    const res = await request(`${gateways[i % 3]!.url}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    await res.body.dump();
    return res.statusCode;
  };

  it('fetches one token per family for concurrent cold traffic through all three', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 90 }, (_, i) =>
        call(
          i,
          'GET',
          i % 2 ? '/v1/meeting/terminals/%2B991116173901/status' : '/v1/contact-center/softphones?limit=1',
        ),
      ),
    );
    expect(statuses).toEqual(Array(90).fill(200));
    expect(sandbox.meeting.injector.counters.authCalls).toBe(1);
    expect(sandbox['cc-management'].injector.counters.authCalls).toBe(1);
  });

  it('grants exactly 5 activation-code resets in total; the sandbox sees exactly 5', async () => {
    const statuses = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        call(i, 'POST', '/v1/meeting/devices/HWSN0011/activation-code/reset', { email: 'ops@example.com' }),
      ),
    );
    expect(statuses.filter((s) => s === 202)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    expect(sandbox.meeting.activationCalls.filter((c) => c.sn === 'HWSN0011')).toHaveLength(5);
  });

  it('counts resets from their start: 20 concurrent resets against a Meeting slower than the deadline, exactly 5 reach it', async () => {
    const sn = 'HWSN0012';
    // The five that reach Meeting answer after the 1.5 s deadline: outcome unknown, all stay counted.
    sandbox.meeting.injector.inject({ mode: 'delay', delayMs: 2500, count: 5, target: 'business' });
    const statuses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call(i, 'POST', `/v1/meeting/devices/${sn}/activation-code/reset`, { email: 'ops@example.com' }),
      ),
    );
    expect(statuses.filter((s) => s === 504)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
    await sleep(1500);
    expect(sandbox.meeting.activationCalls.filter((c) => c.sn === sn)).toHaveLength(5);
    const before = sandbox.meeting.injector.counters.businessCalls;
    expect(await call(1, 'POST', `/v1/meeting/devices/${sn}/activation-code/reset`, { email: 'ops@example.com' })).toBe(
      429,
    );
    expect(sandbox.meeting.injector.counters.businessCalls).toBe(before);
  });

  it('limits failed authentications per address across all three; the valid key in use keeps working', async () => {
    const bad = await Promise.all(
      Array.from({ length: 10 }, (_, i) => call(i, 'GET', '/v1/me', undefined, `guess-${i}`)),
    );
    expect(bad).toEqual(Array(10).fill(401));
    for (let i = 0; i < 3; i++) expect(await call(i, 'GET', '/v1/me', undefined, 'guess-more')).toBe(429);
    for (let i = 0; i < 3; i++) expect(await call(i, 'GET', '/v1/me')).toBe(200);
  });

  it('keeps CC-CMS at 10 requests in flight or fewer in total', async () => {
    sandbox['cc-cms'].injector.latencyMs = 50;
    try {
      const statuses = await Promise.all(
        Array.from({ length: 45 }, (_, i) => call(i, 'GET', '/v1/contact-center/terminals?eid=87800001')),
      );
      expect(statuses).toEqual(Array(45).fill(200));
      const { counters } = sandbox['cc-cms'].injector;
      expect(counters.maxInFlight).toBeLessThanOrEqual(10);
      expect(counters.maxInFlight).toBeGreaterThanOrEqual(5);
      expect(counters.overConcurrencyLimit).toBe(0);
    } finally {
      sandbox['cc-cms'].injector.latencyMs = 0;
    }
  });
});
