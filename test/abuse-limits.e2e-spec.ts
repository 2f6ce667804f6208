import { ApiKeyService } from '../src/auth/api-key.service';
import { dropPrefix, expectProblem, json, KEYS, startGateway, TestGateway } from './support/gateway';

const LIMIT = 5;
const me = (gw: TestGateway, key?: string, remoteAddress = '127.0.0.1') =>
  gw.app.inject({
    method: 'GET',
    url: '/v1/me',
    headers: key === undefined ? {} : { 'x-api-key': key },
    remoteAddress,
  });

/**
 * Finding 6: failed authentications are limited per client address (AUTH_FAILURES_PER_MINUTE),
 * shared through Redis, logged in aggregate; /metrics can require a bearer token.
 */
describe('failed-authentication limit per client address', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await startGateway({ AUTH_FAILURES_PER_MINUTE: String(LIMIT) });
  });
  afterEach(async () => {
    await gw.close();
    await dropPrefix(gw.prefix);
  });

  it('answers 429 RATE_LIMITED with Retry-After once the budget is spent, before any key lookup', async () => {
    for (let i = 0; i < LIMIT; i++) expectProblem(await me(gw, `guess-${i}`), 401, 'UNAUTHENTICATED');
    const lookups = jest.spyOn(gw.app.get(ApiKeyService), 'authenticate');
    const limited = await me(gw, 'guess-next');
    const body = expectProblem(limited, 429, 'RATE_LIMITED');
    expect(body.detail).toMatch(/failed authentications/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // Blocked: further guesses, and requests without any key, are refused without a look-up.
    expectProblem(await me(gw, 'guess-again'), 429, 'RATE_LIMITED');
    expectProblem(await me(gw), 429, 'RATE_LIMITED');
    expect(lookups).not.toHaveBeenCalled();
  });

  it('leaves valid keys in use from the same address, and other addresses, unaffected', async () => {
    expect((await me(gw, KEYS.all)).statusCode).toBe(200);
    for (let i = 0; i < LIMIT + 3; i++) await me(gw, `guess-${i}`);
    expectProblem(await me(gw, 'guess-x'), 429, 'RATE_LIMITED');
    // The key this address has been using keeps working (and does not count as a failure).
    for (let i = 0; i < 3; i++) expect(json(await me(gw, KEYS.all))).toMatchObject({ name: 'all' });
    // Another client address has its own budget.
    expectProblem(await me(gw, 'guess-y', '10.9.8.7'), 401, 'UNAUTHENTICATED');
    expect((await me(gw, KEYS.none, '10.9.8.7')).statusCode).toBe(200);
  });

  it('does not count valid requests as failures', async () => {
    for (let i = 0; i < LIMIT * 3; i++) expect((await me(gw, KEYS.all)).statusCode).toBe(200);
    expectProblem(await me(gw, 'guess'), 401, 'UNAUTHENTICATED');
  });

  it('logs failures as one aggregated line, not one warn line per attempt', async () => {
    for (let i = 0; i < LIMIT + 20; i++) await me(gw, `guess-${i}`);
    await gw.close();
    const lines = gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
    const perRequest = lines.filter((l) => l.msg === 'request completed' && l.level !== 20);
    expect(perRequest).toEqual([]);
    const aggregated = lines.filter((l) => l.msg === 'failed authentications (aggregated)');
    expect(aggregated).toHaveLength(1);
    expect(aggregated[0]).toMatchObject({
      failures: LIMIT + 20,
      statuses: { 401: LIMIT, 429: 20 },
      addresses: { '127.0.0.1': LIMIT + 20 },
    });
  });

  it('shares the budget across replicas through Redis', async () => {
    const other = await startGateway({ AUTH_FAILURES_PER_MINUTE: String(LIMIT), REDIS_KEY_PREFIX: gw.prefix });
    try {
      for (let i = 0; i < LIMIT; i++) await me(i % 2 ? gw : other, `guess-${i}`);
      expectProblem(await me(other, 'guess-next'), 429, 'RATE_LIMITED');
      expectProblem(await me(gw, 'guess-next'), 429, 'RATE_LIMITED');
    } finally {
      await other.close();
    }
  });
});

describe('failed-authentication limit while Redis is down', () => {
  it('falls back to a per-process limit', async () => {
    const gw = await startGateway({ REDIS_URL: 'redis://127.0.0.1:1', AUTH_FAILURES_PER_MINUTE: '3' });
    try {
      for (let i = 0; i < 3; i++) expectProblem(await me(gw, `guess-${i}`), 401, 'UNAUTHENTICATED');
      expectProblem(await me(gw, 'guess-3'), 429, 'RATE_LIMITED');
    } finally {
      await gw.close();
    }
  }, 15000);
});

describe('METRICS_TOKEN', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ METRICS_TOKEN: TOKEN, AUTH_FAILURES_PER_MINUTE: '3' });
  });
  afterAll(async () => {
    await gw.close();
    await dropPrefix(gw.prefix);
  });
  const metrics = (headers: Record<string, string>, remoteAddress = '127.0.0.1') =>
    gw.app.inject({ method: 'GET', url: '/metrics', headers, remoteAddress });

  it('needs Authorization: Bearer <token>; otherwise 401 problem+json', async () => {
    expect((await metrics({ authorization: `Bearer ${TOKEN}` })).statusCode).toBe(200);
    const missing = await metrics({});
    expectProblem(missing, 401, 'UNAUTHENTICATED');
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expectProblem(await metrics({ authorization: `Bearer ${TOKEN}x` }), 401, 'UNAUTHENTICATED');
    expectProblem(await metrics({ authorization: TOKEN }), 401, 'UNAUTHENTICATED');
    const ok = await metrics({ authorization: `Bearer ${TOKEN}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('http_requests_total');
  });

  it('counts wrong tokens toward the address budget; the right token keeps working there', async () => {
    const address = '10.1.1.1';
    expect((await metrics({ authorization: `Bearer ${TOKEN}` }, address)).statusCode).toBe(200);
    for (let i = 0; i < 3; i++) await metrics({ authorization: `Bearer wrong-${i}-0123456789abcdef` }, address);
    expectProblem(await metrics({ authorization: 'Bearer wrong-0123456789abcdef' }, address), 429, 'RATE_LIMITED');
    expect((await metrics({ authorization: `Bearer ${TOKEN}` }, address)).statusCode).toBe(200);
  });

  it('leaves the other unauthenticated routes open', async () => {
    expect((await gw.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expect((await gw.app.inject({ method: 'GET', url: '/docs/openapi.json' })).statusCode).toBe(200);
  });
});
