import { FAMILIES } from '../src/families/registry';
import { expectProblem, json, KEYS, startGateway } from './support/gateway';
import { redisValues, startStack, TestStack } from './support/stack';

const auth = { 'x-api-key': KEYS.all };
const statusUrl = (n: string) => `/v1/meeting/terminals/${encodeURIComponent(n)}/status`;

describe('Meeting family against the sandbox and real Redis', () => {
  let stack: TestStack;
  const get = (url: string, headers: Record<string, string> = auth) =>
    stack.gw.app.inject({ method: 'GET', url, headers });
  const post = (url: string, payload: unknown, headers: Record<string, string> = auth) =>
    stack.gw.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const counters = () => stack.sandbox.meeting.injector.counters;

  beforeAll(async () => {
    stack = await startStack({ UPSTREAM_TIMEOUT_MS: '500', CIRCUIT_FAILURE_THRESHOLD: '50' });
  });
  afterAll(() => stack.close());

  it('answers 50 concurrent cold requests with exactly one App ID authentication', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => get(statusUrl('+991116173901'))));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(50).fill(200));
    expect(counters().authCalls).toBe(1);
    expect(counters().rejectedSignatures).toBe(0);
  });

  it('normalizes one terminal: tel: stripped, string enums mapped, id as requested', async () => {
    const res = await get(statusUrl('+991116173924'), {
      ...auth,
      'x-request-id': 'meeting-one',
      'accept-language': 'zh-CN,zh;q=0.9',
    });
    expect(res.statusCode).toBe(200);
    const body = json(res);
    expect(body).toEqual({
      id: '+991116173924',
      source: 'meeting',
      registration: 'unregistered',
      call: 'offline',
      observedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(stack.sandbox.meeting.injector.seen.at(-1)).toMatchObject({
      requestId: 'meeting-one',
      acceptLanguage: 'zh-CN',
    });
  });

  it('maps an unknown Meeting state to "unknown" and logs it with the request id', async () => {
    const number = '+991116173960';
    // A value Meeting does not document (the sandbox's type allows only the documented ones).
    stack.sandbox.meeting.setTerminal(number, { regStatus: '7' as '0', callStatus: '1' });
    const res = await get(statusUrl(number), { ...auth, 'x-request-id': 'meeting-unknown-state' });
    expect(json(res)).toMatchObject({ registration: 'unknown', call: 'idle' });
    await new Promise((r) => setTimeout(r, 50));
    const warning = stack.gw.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'unknown Meeting enum value mapped to "unknown"' && l.value === '7');
    expect(warning).toMatchObject({ requestId: 'meeting-unknown-state', field: 'RegStatus' });
  });

  it('answers 404 when Meeting returns no entry', async () => {
    expectProblem(await get(statusUrl('+10000000000')), 404, 'NOT_FOUND');
  });

  it('lists the numbers Meeting does not know in notFound, in request order', async () => {
    const res = await post('/v1/meeting/terminals/statuses', {
      numbers: ['+19999999992', '+991116173901', '+19999999991', 'tel:+991116173902'],
    });
    expect(res.statusCode).toBe(200);
    const body = json<{ items: { id: string; source: string }[]; notFound: string[] }>(res);
    expect(body.items.map((i) => [i.id, i.source])).toEqual([
      ['+991116173901', 'meeting'],
      ['tel:+991116173902', 'meeting'],
    ]);
    expect(body.notFound).toEqual(['+19999999992', '+19999999991']);
  });

  it('answers 404 NOT_FOUND for an unknown device SN and gives the quota attempt back', async () => {
    const reset = (sn: string) =>
      stack.gw.app.inject({
        method: 'POST',
        url: `/v1/meeting/devices/${sn}/activation-code/reset`,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: { email: 'ops@example.com' },
      });
    const body = expectProblem(await reset('NOSUCHDEVICE1'), 404, 'NOT_FOUND');
    expect(body.upstream).toMatchObject({ service: 'meeting', status: 400, code: 'USG.201050001' });
    // A 4xx from Meeting surely did not reset anything: five attempts remain for a real device too.
    for (let i = 0; i < 5; i++) expectProblem(await reset('NOSUCHDEVICE1'), 404, 'NOT_FOUND');
  });

  it('splits 60 numbers into parallel batches and keeps request order, skipping unknown numbers', async () => {
    const numbers = [...Array.from({ length: 59 }, (_, i) => `+99111617${4099 - i}`), '+10000000000'];
    const before = counters().businessCalls;
    const res = await post('/v1/meeting/terminals/statuses', { numbers });
    expect(res.statusCode).toBe(200);
    const { items, notFound } = json<{
      items: { id: string; registration: string; call: string }[];
      notFound: string[];
    }>(res);
    expect(items.map((i) => i.id)).toEqual(numbers.slice(0, 59));
    expect(notFound).toEqual(['+10000000000']);
    expect(items[0]).toMatchObject({ id: '+991116174099', registration: 'unregistered', call: 'not_applicable' });
    expect(counters().businessCalls - before).toBe(3);
  });

  it('survives a token revoked upstream with exactly one re-authentication', async () => {
    const authBefore = counters().authCalls;
    stack.sandbox.meeting.revokeTokens();
    const res = await get(statusUrl('+991116173901'));
    expect(res.statusCode).toBe(200);
    expect(counters().authCalls - authBefore).toBe(1);
    expect((await get(statusUrl('+991116173902'))).statusCode).toBe(200);
    expect(counters().authCalls - authBefore).toBe(1);
  });

  it('stores tokens in Redis only encrypted', async () => {
    const values = await redisValues(stack.gw.prefix);
    expect(values.some((v) => v.startsWith('v1.'))).toBe(true);
    for (const token of stack.sandbox.meeting.issuedTokens()) {
      expect(values.join('\n')).not.toContain(token);
    }
  });

  it('enforces 5 activation-code resets per SN, the 6th without any upstream call', async () => {
    const url = '/v1/meeting/devices/HWSN0007/activation-code/reset';
    const remaining: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post(url, { email: 'admin@example.com', sms: { number: '+8613800000000' } });
      expect(res.statusCode).toBe(202);
      const body = json<{
        sn: string;
        deliveredTo: string[];
        quota: { limit: number; remaining: number; resetsAt: string };
      }>(res);
      expect(body).toMatchObject({ sn: 'HWSN0007', deliveredTo: ['email', 'sms'], quota: { limit: 5 } });
      remaining.push(body.quota.remaining);
    }
    expect(remaining).toEqual([4, 3, 2, 1, 0]);
    const calls = stack.sandbox.meeting.activationCalls.filter((c) => c.sn === 'HWSN0007');
    expect(calls).toHaveLength(5);
    expect(calls[0]!.body).toEqual({ smsNumber: '+8613800000000', country: 'chinaPR', emailAddr: 'admin@example.com' });
    const sixth = await post(url, { email: 'admin@example.com' });
    expectProblem(sixth, 429, 'QUOTA_EXCEEDED');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(86000);
    expect(stack.sandbox.meeting.activationCalls.filter((c) => c.sn === 'HWSN0007')).toHaveLength(5);
  });

  it('never retries a reset; a 5xx (outcome unknown) keeps the attempt counted', async () => {
    const url = '/v1/meeting/devices/HWSN0008/activation-code/reset';
    const before = counters().businessCalls;
    stack.sandbox.meeting.injector.inject({ mode: 'status', status: 503, count: 3, target: 'business' });
    const failed = await post(url, { email: 'admin@example.com' });
    expectProblem(failed, 502, 'UPSTREAM_UNAVAILABLE');
    expect(counters().businessCalls - before).toBe(1);
    await stack.sandbox.reset();
    const ok = await post(url, { email: 'admin@example.com' });
    expect(json<{ quota: { remaining: number } }>(ok).quota.remaining).toBe(3);
  });

  it('maps upstream 500, hang and malformed bodies to 502, 504 and 502 problems', async () => {
    const { injector } = stack.sandbox.meeting;
    injector.inject({ mode: 'status', status: 500, count: 1, target: 'business' });
    const failed = expectProblem(await get(statusUrl('+991116173901')), 502, 'UPSTREAM_UNAVAILABLE');
    expect(failed.upstream).toMatchObject({ service: 'meeting', status: 500, code: 'USG.000000001' });

    injector.inject({ mode: 'hang', count: 1, target: 'business' });
    const started = Date.now();
    expectProblem(await get(statusUrl('+991116173901')), 504, 'UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(1500);

    injector.inject({ mode: 'malformed', count: 1, target: 'business' });
    expectProblem(await get(statusUrl('+991116173901')), 502, 'UPSTREAM_UNAVAILABLE');
  });

  it('retries a read once on a 503 and succeeds', async () => {
    const before = counters().businessCalls;
    stack.sandbox.meeting.injector.inject({ mode: 'status', status: 503, count: 1, target: 'business' });
    expect((await get(statusUrl('+991116173901'))).statusCode).toBe(200);
    expect(counters().businessCalls - before).toBe(2);
  });

  it.each([
    ['numbers missing', {}, 'numbers'],
    ['empty list', { numbers: [] }, 'numbers'],
    ['a number too long', { numbers: ['+1', 'x'.repeat(65)] }, 'numbers[1]'],
    ['duplicates', { numbers: ['+1', '+1'] }, 'numbers'],
    ['101 numbers', { numbers: Array.from({ length: 101 }, (_, i) => `+${i}`) }, 'numbers'],
    ['an unknown field', { numbers: ['+1'], extra: true }, 'extra'],
  ])('rejects %s with 400 naming the field and no upstream call', async (_name, payload, field) => {
    const before = counters().businessCalls;
    const body = expectProblem(await post('/v1/meeting/terminals/statuses', payload), 400, 'VALIDATION_FAILED');
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(counters().businessCalls).toBe(before);
  });

  it('answers a 64 KiB batch of distinct numbers with 400 for its size only, without checking uniqueness', async () => {
    const numbers = Array.from({ length: 3900 }, (_, i) => `+991116${String(i).padStart(6, '0')}`);
    const payload = JSON.stringify({ numbers });
    expect(payload.length).toBeGreaterThan(60 * 1024);
    expect(payload.length).toBeLessThan(64 * 1024);
    const before = counters().businessCalls;
    const res = await stack.gw.app.inject({
      method: 'POST',
      url: '/v1/meeting/terminals/statuses',
      headers: { ...auth, 'content-type': 'application/json' },
      payload,
    });
    const body = expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(body.errors).toEqual([{ field: 'numbers', message: 'must contain no more than 100 elements' }]);
    expect(counters().businessCalls).toBe(before);
  });

  it.each([
    ['no target', {}, 'email'],
    ['a bad email', { email: 'not-an-email' }, 'email'],
    ['a bad sms number', { sms: { number: '12345' } }, 'sms.number'],
    ['an unknown sms field', { sms: { number: '+8613800000000', carrier: 'x' } }, 'sms.carrier'],
  ])('rejects a reset with %s naming %s', async (_name, payload, field) => {
    const body = expectProblem(
      await post('/v1/meeting/devices/HWSN0009/activation-code/reset', payload),
      400,
      'VALIDATION_FAILED',
    );
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('rejects a bad SN and a bad number in the path with 400', async () => {
    const bad = expectProblem(
      await post('/v1/meeting/devices/bad-sn!/activation-code/reset', { email: 'a@b.co' }),
      400,
      'VALIDATION_FAILED',
    );
    expect(bad.errors).toEqual([expect.objectContaining({ field: 'sn' })]);
    expectProblem(await get(statusUrl('x'.repeat(65))), 400, 'VALIDATION_FAILED');
  });

  it('answers 403 without the scope and 415 for a non-JSON body', async () => {
    expectProblem(
      await post(
        '/v1/meeting/devices/HWSN0001/activation-code/reset',
        { email: 'a@b.co' },
        { 'x-api-key': KEYS.meetingRead },
      ),
      403,
      'FORBIDDEN',
    );
    const res = await stack.gw.app.inject({
      method: 'POST',
      url: '/v1/meeting/terminals/statuses',
      headers: { ...auth, 'content-type': 'text/plain' },
      payload: 'numbers=1',
    });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('exposes token and upstream metrics', async () => {
    const metrics = (await get('/metrics', {})).body;
    expect(metrics).toMatch(/upstream_token_fetches_total\{service="meeting",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/upstream_token_cache_hits_total\{service="meeting",tier="memory"\} [1-9]/);
    expect(metrics).toMatch(
      /upstream_request_duration_seconds_count\{service="meeting",operation="userstatus",outcome="ok"\} [1-9]/,
    );
    expect(metrics).toContain('upstream_circuit_state{service="meeting"}');
  });
});

describe('Meeting circuit breaker', () => {
  it('opens after consecutive failures (503 with Retry-After, no upstream call) and closes after a good probe', async () => {
    const stack = await startStack({ CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_HALF_OPEN_AFTER_MS: '300' });
    try {
      const get = () => stack.gw.app.inject({ method: 'GET', url: statusUrl('+991116173901'), headers: auth });
      expect((await get()).statusCode).toBe(200);
      stack.sandbox.meeting.injector.inject({ mode: 'status', status: 500, count: 2, target: 'business' });
      expectProblem(await get(), 502, 'UPSTREAM_UNAVAILABLE');
      expectProblem(await get(), 502, 'UPSTREAM_UNAVAILABLE');
      const before = stack.sandbox.meeting.injector.counters.businessCalls;
      const open = expectProblem(await get(), 503, 'UPSTREAM_UNAVAILABLE');
      expect(open.upstream).toEqual({ service: 'meeting' });
      expect(stack.sandbox.meeting.injector.counters.businessCalls).toBe(before);
      const ready = json<{ info: { upstreams: Record<string, { circuit: string }> } }>(
        await stack.gw.app.inject({ method: 'GET', url: '/health/ready' }),
      );
      expect(ready.info.upstreams.meeting!.circuit).toBe('open');
      await new Promise((r) => setTimeout(r, 350));
      expect((await get()).statusCode).toBe(200);
      expect((await get()).statusCode).toBe(200);
    } finally {
      await stack.close();
    }
  });
});

describe('families not configured', () => {
  it.each(FAMILIES.map((f) => [f.id, f.exampleRead]))(
    '%s answers 503 UPSTREAM_UNAVAILABLE on its routes while the gateway runs',
    async (id, route) => {
      const gw = await startGateway();
      try {
        const res = await gw.app.inject({ method: 'GET', url: route, headers: auth });
        const body = expectProblem(res, 503, 'UPSTREAM_UNAVAILABLE');
        expect(body.upstream).toEqual({ service: id });
        expect(res.headers['retry-after']).toBeDefined();
      } finally {
        await gw.close();
      }
    },
  );
});
