import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { SLOTS_KEY } from '../src/families/cc-cms/cc-cms-concurrency';
import { startUpstreamSandbox, UpstreamSandbox } from '../src/sandbox/upstream-sandbox';
import { dropPrefix, KEYS, REDIS_URL, uniquePrefix } from './support/gateway';
import { GatewayProcess, replicaEnv, startGatewayProcess } from './support/processes';

/** Three gateway processes, one Redis, one sandbox: the limits hold in total, not per replica. */
describe('three gateway processes sharing one Redis', () => {
  let sandbox: UpstreamSandbox;
  let gateways: GatewayProcess[];
  let env: Record<string, string>;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    sandbox = await startUpstreamSandbox({ latencyMs: 0 });
    env = replicaEnv(sandbox, prefix, {
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

  const call = async (
    i: number,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    key: string = KEYS.all,
    url = gateways[i % 3]!.url,
  ) => {
    const res = await request(`${url}${path}`, {
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

  const TERMINALS = '/v1/contact-center/terminals?eid=87800001';

  it('CC-CMS under load on all three: never over 10 in flight, every request 200, no replica starved', async () => {
    const { injector } = sandbox['cc-cms'];
    injector.reset();
    injector.latencyMs = 30;
    try {
      const finished: number[][] = [[], [], []];
      const statuses: number[][] = [[], [], []];
      const load = (replica: number, count: number) =>
        Array.from({ length: count }, async () => {
          statuses[replica]!.push(await call(replica, 'GET', TERMINALS));
          finished[replica]!.push(Date.now());
        });
      // Replica 0 queues 150 calls (~450 ms of the 10 slots alone), then 1 and 2 join with 25 each:
      // a replica handing its slots on locally must yield them to the queued replicas.
      const first = load(0, 150);
      await sleep(100);
      await Promise.all([...first, ...load(1, 25), ...load(2, 25)]);
      expect(statuses.map((s) => s.filter((status) => status === 200).length)).toEqual([150, 25, 25]);
      const { counters } = injector;
      expect(counters.businessCalls).toBe(200);
      expect(counters.maxInFlight).toBeLessThanOrEqual(10);
      expect(counters.maxInFlight).toBeGreaterThanOrEqual(8);
      expect(counters.overConcurrencyLimit).toBe(0);
      // Served alongside replica 0, not after its backlog.
      const lastOf0 = Math.max(...finished[0]!);
      expect(Math.max(...finished[1]!)).toBeLessThan(lastOf0);
      expect(Math.max(...finished[2]!)).toBeLessThan(lastOf0);
    } finally {
      injector.latencyMs = 0;
    }
  });

  it('a replica SIGKILLed while holding all 10 CC-CMS slots: the others get them back when the leases expire', async () => {
    const { injector } = sandbox['cc-cms'];
    injector.reset();
    // Lease = UPSTREAM_TIMEOUT_MS + 2 s = 3 s from each call's start; its calls take 2 s at the sandbox.
    const doomed = await startGatewayProcess({ ...env, UPSTREAM_TIMEOUT_MS: '1000' });
    const redis = new Redis(REDIS_URL, { keyPrefix: prefix });
    try {
      injector.latencyMs = 2000;
      const abandoned = Array.from({ length: 10 }, () =>
        call(0, 'GET', TERMINALS, undefined, KEYS.all, doomed.url).catch(() => 'killed'),
      );
      for (let i = 0; i < 200 && injector.counters.inFlight < 10; i++) await sleep(10);
      expect(injector.counters.inFlight).toBe(10);
      expect(await redis.zcard(SLOTS_KEY)).toBe(10);
      doomed.child.kill('SIGKILL');
      const killedAt = Date.now();
      expect(await Promise.all(abandoned)).toEqual(Array(10).fill('killed'));
      injector.latencyMs = 20;

      const statuses = await Promise.all(Array.from({ length: 30 }, (_, i) => call(i, 'GET', TERMINALS)));
      expect(statuses).toEqual(Array(30).fill(200));
      // Nothing got through before the dead replica's leases expired (~3 s after its calls began).
      expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1500);
      expect(injector.counters.businessCalls).toBe(40);
      expect(injector.counters.overConcurrencyLimit).toBe(0);
      await sleep(100);
      expect(await redis.zcard(SLOTS_KEY)).toBe(0);
    } finally {
      injector.latencyMs = 0;
      redis.disconnect();
      // stop() waits for an exit still to come: only when the kill did not happen.
      if (doomed.child.signalCode === null) await doomed.stop();
    }
  }, 30000);
});
