import { dropPrefix, KEYS, startGateway, TestGateway } from './support/gateway';
import { startStack } from './support/stack';

const ALLOWED = 'https://app.example.com';

/** Finding 8: nosniff everywhere, no-store on /v1, a locked-down Swagger UI, CORS per CORS_ORIGINS. */
describe('security headers', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw.close();
    await dropPrefix(gw.prefix);
  });
  const get = (url: string, headers: Record<string, string> = {}) => gw.app.inject({ method: 'GET', url, headers });

  it.each([
    ['GET', '/v1/me', { 'x-api-key': KEYS.all }, 200],
    ['GET', '/v1/me', {}, 401],
    ['GET', '/v1/nothing', {}, 404],
    ['DELETE', '/v1/me', {}, 405],
    ['GET', '/v1/me?x=1', {}, 400],
    ['GET', '/health/live', {}, 200],
    ['GET', '/health/ready', {}, 200],
    ['GET', '/metrics', {}, 200],
    ['GET', '/docs', {}, 200],
    ['GET', '/docs/openapi.json', {}, 200],
  ] as const)('%s %s (%#) carries X-Content-Type-Options: nosniff', async (method, url, headers, status) => {
    const res = await gw.app.inject({ method, url, headers });
    expect(res.statusCode).toBe(status);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('marks /v1 responses, errors included, Cache-Control: no-store', async () => {
    expect((await get('/v1/me', { 'x-api-key': KEYS.all })).headers['cache-control']).toBe('no-store');
    expect((await get('/v1/me')).headers['cache-control']).toBe('no-store');
    expect((await get('/v1/nothing')).headers['cache-control']).toBe('no-store');
  });

  it('serves Swagger UI with a Content-Security-Policy, no framing and no persisted authorization', async () => {
    for (const url of ['/docs', '/docs/swagger-ui-init.js', '/docs/openapi.json']) {
      const res = await get(url);
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['x-frame-options']).toBe('DENY');
    }
    const init = await get('/docs/swagger-ui-init.js');
    expect(init.body).toMatch(/"persistAuthorization":\s*false/);
  });

  it('marks responses with softphone passwords no-store', async () => {
    const stack = await startStack();
    try {
      const res = await stack.gw.app.inject({
        method: 'GET',
        url: '/v1/contact-center/softphones?limit=1&include=credentials',
        headers: { 'x-api-key': KEYS.all },
      });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('"password"');
      expect(res.headers['cache-control']).toBe('no-store');
    } finally {
      await stack.close();
    }
  });
});

describe('CORS', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ CORS_ORIGINS: `${ALLOWED},http://localhost:5173` });
  });
  afterAll(async () => {
    await gw.close();
    await dropPrefix(gw.prefix);
  });
  const preflight = (url: string, origin: string, method = 'POST') =>
    gw.app.inject({
      method: 'OPTIONS',
      url,
      headers: {
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'x-api-key, content-type',
      },
    });
  const accessControl = (headers: Record<string, unknown>) =>
    Object.keys(headers).filter((h) => h.startsWith('access-control-'));

  it("answers a preflight from an allowed origin with 204, the route's methods and the API's headers", async () => {
    const res = await preflight('/v1/meeting/terminals/statuses', ALLOWED);
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-methods']).toBe('POST');
    const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(
      expect.arrayContaining([
        'x-api-key',
        'content-type',
        'x-request-id',
        'idempotency-key',
        'if-none-match',
        'cache-control',
        'last-event-id',
        'traceparent',
      ]),
    );
    expect(res.headers.vary).toMatch(/Origin/);
    const status = await preflight('/v1/meeting/terminals/%2B1/status', 'http://localhost:5173', 'GET');
    expect(status.statusCode).toBe(204);
    expect(status.headers['access-control-allow-methods']).toBe('GET, HEAD');
  });

  it('exposes the documented response headers to an allowed origin', async () => {
    const res = await gw.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { origin: ALLOWED, 'x-api-key': KEYS.all },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    const exposed = String(res.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
    expect(exposed).toEqual(
      expect.arrayContaining([
        'x-request-id',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
        'retry-after',
        'etag',
        'age',
        'cache-status',
      ]),
    );
    const problem = await gw.app.inject({ method: 'GET', url: '/v1/me', headers: { origin: ALLOWED } });
    expect(problem.statusCode).toBe(401);
    expect(problem.headers['access-control-allow-origin']).toBe(ALLOWED);
  });

  it('gives any other origin no Access-Control-* header; its OPTIONS stays a 405', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'null', ALLOWED + '/']) {
      const res = await preflight('/v1/meeting/terminals/statuses', origin);
      expect(res.statusCode).toBe(405);
      expect(accessControl(res.headers)).toEqual([]);
      const get = await gw.app.inject({ method: 'GET', url: '/v1/me', headers: { origin, 'x-api-key': KEYS.all } });
      expect(get.statusCode).toBe(200);
      expect(accessControl(get.headers)).toEqual([]);
    }
  });

  it('leaves an unknown path a 404, and a plain OPTIONS (not a preflight) a 405', async () => {
    expect((await preflight('/v1/nothing', ALLOWED)).statusCode).toBe(404);
    const plain = await gw.app.inject({ method: 'OPTIONS', url: '/v1/me', headers: { origin: ALLOWED } });
    expect(plain.statusCode).toBe(405);
  });

  it('sends no CORS headers at all without CORS_ORIGINS', async () => {
    const plain = await startGateway();
    try {
      const res = await plain.app.inject({
        method: 'OPTIONS',
        url: '/v1/me',
        headers: { origin: ALLOWED, 'access-control-request-method': 'GET' },
      });
      expect(res.statusCode).toBe(405);
      expect(accessControl(res.headers)).toEqual([]);
    } finally {
      await plain.close();
      await dropPrefix(plain.prefix);
    }
  });
});
