import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { SLOTS_KEY } from '../src/families/cc-cms/cc-cms-concurrency';
import { CEC_PHONES } from '../src/families/cc-management/sandbox/demo-data';
import { dropPrefix, expectProblem, json, KEYS, REDIS_URL, startGateway } from './support/gateway';
import { redisValues, startStack, TestStack } from './support/stack';
import { sandboxEnvironment } from '../src/sandbox/upstream-sandbox';

const auth = { 'x-api-key': KEYS.all };

describe('contact-center family against the sandbox and real Redis', () => {
  let stack: TestStack;
  const get = (url: string, headers: Record<string, string> = auth) =>
    stack.gw.app.inject({ method: 'GET', url, headers });

  beforeAll(async () => {
    stack = await startStack({ UPSTREAM_TIMEOUT_MS: '500', CIRCUIT_FAILURE_THRESHOLD: '50' });
  });
  afterAll(() => stack.close());

  describe('CC-CMS terminals', () => {
    it('flattens ip#uap groups into TerminalStatus items with uap and connection', async () => {
      const res = await get('/v1/contact-center/terminals?eid=8780014%3F&limit=3');
      expect(res.statusCode).toBe(200);
      const body = json<{ items: Record<string, unknown>[]; page: unknown }>(res);
      expect(body.page).toEqual({ limit: 3, offset: 0, total: 10 });
      expect(body.items.map((i) => i.id)).toEqual(['87800140', '87800141', '87800142']);
      expect(body.items[1]).toEqual({
        id: '87800141',
        source: 'cc-cms',
        registration: 'registered',
        call: 'unknown',
        connection: {
          socket: 'fault',
          tls: 'connected',
          address: '10.20.0.142:5060',
          ipType: 'IPv4',
          protocol: 'sip',
          monitoring: 'stopped',
        },
        uap: { address: '10.10.1.11', id: '1', ccuModule: '56' },
        terminalType: 'sip',
        observedAt: expect.any(String),
      });
      expect(stack.sandbox['cc-cms'].injector.counters.rejectedSignatures).toBe(0);
    });

    it('spans both UAPs and pages with offset', async () => {
      const body = json<{ items: { id: string; uap: { id: string } }[]; page: { total: number } }>(
        await get('/v1/contact-center/terminals?eid=878001*&limit=100&offset=40'),
      );
      expect(body.page.total).toBe(100);
      expect(body.items).toHaveLength(60);
      expect(new Set(body.items.map((i) => i.uap.id))).toEqual(new Set(['1', '2']));
    });

    it('answers a search that matches nothing (CC-CMS 0101002) with 200 and no items', async () => {
      const res = await get('/v1/contact-center/terminals?eid=99999999&limit=10&offset=20');
      expect(res.statusCode).toBe(200);
      expect(json(res)).toEqual({ items: [], page: { limit: 10, offset: 20, total: 0 } });
    });

    it.each([
      ['eid missing', '', 'eid'],
      ['eid with letters', 'eid=87ab', 'eid'],
      ['eid over 32 chars', `eid=${'1'.repeat(33)}`, 'eid'],
      ['a wildcard without 4 literal digits', 'eid=878*', 'eid'],
      ['a leading wildcard', 'eid=%25', 'eid'],
      ['limit 0', 'eid=87800001&limit=0', 'limit'],
      ['limit 101', 'eid=87800001&limit=101', 'limit'],
      ['limit not an integer', 'eid=87800001&limit=1.5', 'limit'],
      ['offset negative', 'eid=87800001&offset=-1', 'offset'],
      ['callCenterId not a number', 'eid=87800001&callCenterId=x', 'callCenterId'],
      ['an unknown parameter', 'eid=87800001&foo=1', 'foo'],
    ])('rejects %s with 400 naming %s and no upstream call', async (_n, query, field) => {
      const before = stack.sandbox['cc-cms'].injector.counters.businessCalls;
      const body = expectProblem(await get(`/v1/contact-center/terminals?${query}`), 400, 'VALIDATION_FAILED');
      expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
      expect(stack.sandbox['cc-cms'].injector.counters.businessCalls).toBe(before);
    });

    it('maps upstream 500 and a hang to 502 and 504', async () => {
      stack.sandbox['cc-cms'].injector.inject({ mode: 'status', status: 500, count: 1, target: 'business' });
      expectProblem(await get('/v1/contact-center/terminals?eid=87800001'), 502, 'UPSTREAM_UNAVAILABLE');
      stack.sandbox['cc-cms'].injector.inject({ mode: 'hang', count: 3, target: 'business' });
      expectProblem(await get('/v1/contact-center/terminals?eid=87800001'), 504, 'UPSTREAM_TIMEOUT');
    });
  });

  describe('softphones', () => {
    it('lists softphones with every registration server shape and no password by default', async () => {
      const res = await get('/v1/contact-center/softphones?limit=2');
      const body = json<{ items: Record<string, unknown>[]; registrationServers: unknown[]; page: unknown }>(res);
      expect(body.page).toEqual({ limit: 2, offset: 0, total: 130 });
      expect(body.items[0]).toEqual({
        id: '6400000',
        source: 'cc-management',
        registration: 'registered',
        configId: '1000',
        remark: 'desk 0',
        tenantId: '202101110001',
        partitionId: 'P1',
        observedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      expect(body.items.every((i) => !('password' in i))).toBe(true);
      expect(body.registrationServers).toEqual([
        { mode: 'single', address: '10.40.0.10', port: 5060, sipAddress: '10.40.0.11', sipPort: 5061 },
        { mode: 'pool', node: 'node1', address: '10.40.1.10', port: 5060, sipAddress: '10.40.1.11', sipPort: 5061 },
        { mode: 'pool', node: 'node2', address: '10.40.2.10', port: 5060, sipAddress: '10.40.2.11', sipPort: 5061 },
      ]);
    });

    it('adds passwords only with include=credentials and the credentials scope', async () => {
      const withScope = json<{ items: { password?: string }[] }>(
        await get('/v1/contact-center/softphones?limit=3&include=credentials'),
      );
      expect(withScope.items.map((i) => i.password)).toEqual(CEC_PHONES.slice(0, 3).map((p) => p.password));
      const withoutScope = await get('/v1/contact-center/softphones?limit=3&include=credentials', {
        'x-api-key': KEYS.softphonesRead,
      });
      const problem = expectProblem(withoutScope, 403, 'FORBIDDEN');
      expect(problem.detail).toContain('cc.softphones:credentials');
      expect(withoutScope.body).not.toContain(CEC_PHONES[0]!.password);
      const plain = await get('/v1/contact-center/softphones?limit=3', { 'x-api-key': KEYS.softphonesRead });
      expect(plain.statusCode).toBe(200);
      expect(plain.body).not.toContain('password');
    });

    it('pages through the last partial page and rejects out-of-range paging', async () => {
      const body = json<{ items: unknown[] }>(await get('/v1/contact-center/softphones?limit=100&offset=100'));
      expect(body.items).toHaveLength(30);
      expectProblem(await get('/v1/contact-center/softphones?limit=101'), 400, 'VALIDATION_FAILED');
      expectProblem(await get('/v1/contact-center/softphones?include=everything'), 400, 'VALIDATION_FAILED');
    });

    it('answers 403 without cc.softphones:read', async () => {
      expectProblem(await get('/v1/contact-center/softphones', { 'x-api-key': KEYS.meetingRead }), 403, 'FORBIDDEN');
    });
  });

  describe('calls', () => {
    it('maps a finished call with ISO times, duration and end reason', async () => {
      expect(json(await get('/v1/contact-center/calls/645735364434067472'))).toEqual({
        id: '645735364434067472',
        source: 'cc-management',
        state: 'ended',
        caller: '88889050',
        callee: '88889060',
        callerDisplay: '640003',
        agentDisplay: '640060',
        startedAt: '2021-05-24T02:37:45.000Z',
        endedAt: '2021-05-24T02:37:52.000Z',
        durationMs: 7000,
        endReason: { code: 0, category: 'callee_hung_up', description: 'The called party hung up.' },
        observedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
    });

    it('maps every state', async () => {
      const states = [];
      for (const sn of ['645735364434067470', '645735364434067471', '645735364434067473', '645735364434067480']) {
        states.push(json<{ state: string }>(await get(`/v1/contact-center/calls/${sn}`)).state);
      }
      expect(states).toEqual(['queued', 'ringing', 'connected', 'ended']);
    });

    it('maps end reasons: documented, ITA and unknown codes', async () => {
      const reason = async (sn: string) =>
        json<{ endReason: { code: number; category: string } }>(await get(`/v1/contact-center/calls/${sn}`)).endReason;
      expect(await reason('645735364434067486')).toMatchObject({ code: 6, category: 'call_failed' });
      expect(await reason('645735364434067487')).toMatchObject({
        code: 17,
        category: 'other',
        description: 'The user is busy.',
      });
      expect(await reason('645735364434067489')).toMatchObject({ code: 65535, category: 'other' });
    });

    it('answers an unknown call (retCode 1) with 404 NOT_FOUND, logged below error level', async () => {
      const res = await get('/v1/contact-center/calls/123');
      const body = expectProblem(res, 404, 'NOT_FOUND');
      expect(body.upstream).toMatchObject({ service: 'cc-management', code: '1' });
      const lines = stack.gw.logs.filter((l) => l.includes(String(body.requestId)));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.every((l) => JSON.parse(l).level < 50)).toBe(true);
    });

    it('rejects a malformed call serial number with 400 and no upstream call', async () => {
      const before = stack.sandbox['cc-management'].injector.counters.businessCalls;
      expectProblem(await get('/v1/contact-center/calls/12ab'), 400, 'VALIDATION_FAILED');
      expectProblem(await get(`/v1/contact-center/calls/${'1'.repeat(51)}`), 400, 'VALIDATION_FAILED');
      expect(stack.sandbox['cc-management'].injector.counters.businessCalls).toBe(before);
    });
  });

  describe('CC-Management tokens', () => {
    it('fetched once for concurrent cold requests, stored encrypted, refreshed once after revocation', async () => {
      const cec = stack.sandbox['cc-management'];
      expect(cec.injector.counters.authCalls).toBe(1); // the earlier tests shared one token
      const values = await redisValues(stack.gw.prefix);
      for (const token of cec.issuedTokens()) expect(values.join('\n')).not.toContain(token);
      cec.injector.reset();
      await cec.server.inject({ method: 'POST', url: '/__sandbox/revoke-tokens' });
      const results = await Promise.all(Array.from({ length: 20 }, () => get('/v1/contact-center/softphones?limit=1')));
      expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
      expect(cec.injector.counters.authCalls).toBe(1);
    });

    it('never logs a softphone password', () => {
      const logs = stack.gw.logs.join('\n');
      for (const phone of CEC_PHONES) expect(logs).not.toContain(phone.password);
    });
  });
});

describe('CC-CMS signature and shapes', () => {
  it('a wrongly signed request is rejected by the sandbox: 502 UPSTREAM_AUTH_FAILED', async () => {
    const stack = await startStack({ CCMS_SK: 'not-the-secret' });
    try {
      const body = expectProblem(
        await stack.gw.app.inject({ method: 'GET', url: '/v1/contact-center/terminals?eid=87800001', headers: auth }),
        502,
        'UPSTREAM_AUTH_FAILED',
      );
      expect(body.upstream).toMatchObject({ service: 'cc-cms', status: 401 });
      expect(stack.sandbox['cc-cms'].injector.counters.rejectedSignatures).toBe(1);
    } finally {
      await stack.close();
    }
  });

  it('parses the grouped resultDesc nesting and the V1 queryPhone shape', async () => {
    const stack = await startStack(
      {},
      { families: { 'cc-cms': { resultShape: 'grouped' }, 'cc-management': { queryPhoneShape: 'v1' } } },
    );
    try {
      const terminals = json<{ items: { id: string }[]; page: { total: number } }>(
        await stack.gw.app.inject({ method: 'GET', url: '/v1/contact-center/terminals?eid=8780014%3F', headers: auth }),
      );
      expect(terminals.items).toHaveLength(10);
      expect(terminals.page.total).toBe(10);
      const phones = json<{ registrationServers: unknown[] }>(
        await stack.gw.app.inject({ method: 'GET', url: '/v1/contact-center/softphones?limit=1', headers: auth }),
      );
      expect(phones.registrationServers).toEqual([{ mode: 'single', address: '10.40.0.10', port: 5060 }]);
    } finally {
      await stack.close();
    }
  });
});

describe('CC-CMS concurrency across replicas', () => {
  it('40 concurrent queries through two gateways never exceed 10 in flight upstream', async () => {
    const stack = await startStack({ CCMS_QUEUE_TIMEOUT_MS: '10000' });
    const second = await startGateway({
      ...sandboxEnvironment(stack.sandbox),
      REDIS_KEY_PREFIX: stack.gw.prefix,
      CCMS_QUEUE_TIMEOUT_MS: '10000',
    });
    try {
      stack.sandbox['cc-cms'].injector.latencyMs = 50;
      const gateways = [stack.gw, second];
      const responses = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          gateways[i % 2]!.app.inject({
            method: 'GET',
            url: '/v1/contact-center/terminals?eid=87800001',
            headers: auth,
          }),
        ),
      );
      expect(responses.map((r) => r.statusCode)).toEqual(Array(40).fill(200));
      const { counters } = stack.sandbox['cc-cms'].injector;
      expect(counters.businessCalls).toBe(40);
      expect(counters.maxInFlight).toBeLessThanOrEqual(10);
      expect(counters.maxInFlight).toBeGreaterThanOrEqual(5);
      expect(counters.overConcurrencyLimit).toBe(0);
    } finally {
      await second.close();
      await stack.close();
    }
  });

  /** Leases a replica that died would have left: `count` slots held until `ms` from now (Redis's clock). */
  const deadLeases = async (redis: Redis, count: number, ms: number) => {
    const [seconds, micros] = await redis.time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    for (let i = 0; i < count; i++) await redis.zadd(SLOTS_KEY, now + ms, `dead-replica-${ms}:${i}`);
  };

  it("a dead replica's slots come back when their leases expire; a full limit answers 503 with Retry-After", async () => {
    const stack = await startStack({ CCMS_QUEUE_TIMEOUT_MS: '3000' });
    const redis = new Redis(REDIS_URL, { keyPrefix: stack.gw.prefix });
    try {
      // A replica that took all 10 slots and died: its leases are never released.
      await deadLeases(redis, 10, 800);
      const started = Date.now();
      const res = await stack.gw.app.inject({
        method: 'GET',
        url: '/v1/contact-center/terminals?eid=87800001',
        headers: auth,
      });
      expect(res.statusCode).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(500);

      const impatient = await startGateway({
        ...sandboxEnvironment(stack.sandbox),
        REDIS_KEY_PREFIX: stack.gw.prefix,
        CCMS_QUEUE_TIMEOUT_MS: '100',
      });
      try {
        await deadLeases(redis, 10, 5000);
        const before = stack.sandbox['cc-cms'].injector.counters.businessCalls;
        const full = await impatient.app.inject({
          method: 'GET',
          url: '/v1/contact-center/terminals?eid=87800001',
          headers: auth,
        });
        expectProblem(full, 503, 'UPSTREAM_UNAVAILABLE');
        expect(full.headers['retry-after']).toBe('1');
        expect(stack.sandbox['cc-cms'].injector.counters.businessCalls).toBe(before);
      } finally {
        await impatient.close();
      }
    } finally {
      redis.disconnect();
      await stack.close();
      await dropPrefix(stack.gw.prefix);
    }
  });

  it('10 slow calls in flight: an 11th request waits CCMS_QUEUE_TIMEOUT_MS, then 503 UPSTREAM_UNAVAILABLE with Retry-After', async () => {
    const stack = await startStack({ CCMS_QUEUE_TIMEOUT_MS: '200', UPSTREAM_TIMEOUT_MS: '5000' });
    try {
      const { injector } = stack.sandbox['cc-cms'];
      injector.inject({ mode: 'delay', delayMs: 1500, count: 10, target: 'business' });
      const get = () =>
        stack.gw.app.inject({ method: 'GET', url: '/v1/contact-center/terminals?eid=87800001', headers: auth });
      const slow = Array.from({ length: 10 }, get);
      for (let i = 0; i < 100 && injector.counters.inFlight < 10; i++) await sleep(10);
      expect(injector.counters.inFlight).toBe(10);
      const started = Date.now();
      const extra = await get();
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      const body = expectProblem(extra, 503, 'UPSTREAM_UNAVAILABLE');
      expect(extra.headers['retry-after']).toBe('1');
      expect(body.detail).toBe('CC-CMS is at its limit of 10 concurrent requests; retry shortly.');
      expect(body.upstream).toEqual({ service: 'cc-cms' });
      expect((await Promise.all(slow)).map((r) => r.statusCode)).toEqual(Array(10).fill(200));
      expect(injector.counters.businessCalls).toBe(10);
      expect(injector.counters.overConcurrencyLimit).toBe(0);
    } finally {
      await stack.close();
    }
  });
});
