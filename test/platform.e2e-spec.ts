import { dropPrefix, expectProblem, json, KEYS, startGateway, TestGateway } from './support/gateway';

describe('platform (real Redis, no upstream)', () => {
  let gw: TestGateway;

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw.close();
    await dropPrefix(gw.prefix);
  });

  it('answers 401 problem+json without a key, echoing the generated request id', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/v1/me' });
    const body = expectProblem(res, 401, 'UNAUTHENTICATED');
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 401 for an unknown key', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/v1/me', headers: { 'x-api-key': 'nope' } });
    expectProblem(res, 401, 'UNAUTHENTICATED');
  });

  it('returns the principal for a valid key and echoes a safe request id', async () => {
    const res = await gw.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { 'x-api-key': KEYS.meetingRead, 'x-request-id': 'client.req-42' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('client.req-42');
    expect(json(res)).toEqual({
      id: 'cfg_meetingRead',
      name: 'meetingRead',
      scopes: ['meeting.terminals:read'],
      source: 'config',
      expiresAt: null,
      rateLimitPerMinute: 600,
    });
    expect(res.headers['ratelimit-limit']).toBe('600');
  });

  it('replaces an unsafe inbound request id', async () => {
    const res = await gw.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { 'x-api-key': KEYS.all, 'x-request-id': 'bad id with spaces' },
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 404 problem+json for an unknown route', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/v1/nothing-here' });
    expectProblem(res, 404, 'NOT_FOUND');
  });

  it('answers 400 problem+json for malformed JSON, never 500', async () => {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/v1/meeting/terminals/statuses',
      headers: { 'content-type': 'application/json', 'x-api-key': KEYS.all },
      payload: '{"numbers": [',
    });
    expectProblem(res, 400, 'BAD_REQUEST');
  });

  it('answers 400 problem+json for bad percent-encoding in the path', async () => {
    const res = await gw.app.inject({ method: 'GET', url: '/v1/meeting/terminals/%E0%A4%A/status' });
    expectProblem(res, 400, 'BAD_REQUEST');
  });

  it('answers 413 problem+json for an oversized body', async () => {
    const res = await gw.app.inject({
      method: 'POST',
      url: '/v1/meeting/terminals/statuses',
      headers: { 'content-type': 'application/json', 'x-api-key': KEYS.all },
      payload: JSON.stringify({ pad: 'x'.repeat(70 * 1024) }),
    });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('serves liveness, readiness (Redis up) and Prometheus metrics without a key', async () => {
    expect(json(await gw.app.inject({ method: 'GET', url: '/health/live' }))).toEqual({ status: 'ok' });
    const ready = await gw.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(json(ready)).toMatchObject({
      status: 'ok',
      info: {
        redis: { status: 'up' },
        // Every family of the registry, by its one name; none is configured in this gateway.
        upstreams: {
          status: 'up',
          meeting: { configured: false, circuit: 'disabled' },
          'cc-cms': { configured: false, circuit: 'disabled' },
          'cc-management': { configured: false, circuit: 'disabled' },
        },
      },
    });
    const metrics = await gw.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/http_requests_total\{method="GET",route="\/health\/ready",status="200"\} [1-9]/);
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
  });

  it('serves Swagger UI and the OpenAPI document with the API-key scheme', async () => {
    const doc = json<{ components: { securitySchemes: Record<string, unknown> }; paths: Record<string, unknown> }>(
      await gw.app.inject({ method: 'GET', url: '/docs/openapi.json' }),
    );
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/me', '/health/live', '/health/ready', '/metrics']),
    );
    const ui = await gw.app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger-ui');
  });

  it('logs JSON lines with request id, route, status and latency, and never the API key', async () => {
    await gw.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { 'x-api-key': KEYS.all, 'x-request-id': 'log-check-1' },
    });
    await new Promise((r) => setTimeout(r, 50));
    const line = gw.logs.map((l) => JSON.parse(l)).find((l) => l.requestId === 'log-check-1');
    expect(line).toMatchObject({ route: '/v1/me', res: { status: 200 }, latencyMs: expect.any(Number) });
    expect(gw.logs.join('\n')).not.toContain(KEYS.all);
  });
});

describe('rate limit shared through Redis', () => {
  it('counts one key across two replicas and answers 429 with Retry-After and RateLimit headers', async () => {
    const a = await startGateway({ RATE_LIMIT_PER_MINUTE: '3' });
    const b = await startGateway({ RATE_LIMIT_PER_MINUTE: '3', REDIS_KEY_PREFIX: a.prefix });
    try {
      const call = (gw: TestGateway) =>
        gw.app.inject({ method: 'GET', url: '/v1/me', headers: { 'x-api-key': KEYS.all } });
      expect((await call(a)).statusCode).toBe(200);
      expect((await call(b)).statusCode).toBe(200);
      const third = await call(a);
      expect(third.headers['ratelimit-remaining']).toBe('0');
      const fourth = await call(b);
      expectProblem(fourth, 429, 'RATE_LIMITED');
      expect(Number(fourth.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(fourth.headers['ratelimit-limit']).toBe('3');
      // Another key has its own budget.
      expect(
        (await a.app.inject({ method: 'GET', url: '/v1/me', headers: { 'x-api-key': KEYS.none } })).statusCode,
      ).toBe(200);
    } finally {
      await a.close();
      await b.close();
      await dropPrefix(a.prefix);
    }
  });
});

describe('readiness without Redis', () => {
  it('reports 503 with the Redis indicator down, and the process still answers', async () => {
    const gw = await startGateway({ REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const ready = await gw.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(json(ready)).toMatchObject({ status: 'error', error: { redis: { status: 'down' } } });
      expect((await gw.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await gw.close();
    }
  }, 15000);
});
