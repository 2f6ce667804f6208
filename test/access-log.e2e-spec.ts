import type { AddressInfo } from 'node:net';
import { dropPrefix, KEYS, startGateway, TestGateway } from './support/gateway';
import { rawSend } from './support/raw-http';

/** Finding 9: the access log writes the path and the route's own query parameters, never the raw URL. */
describe('access log', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw.close();
    await dropPrefix(gw.prefix);
  });

  const lineOf = async (requestId: string) => {
    await new Promise((r) => setTimeout(r, 20));
    const line = gw.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.requestId === requestId && l.msg === 'request completed');
    expect(line).toBeDefined();
    return line!;
  };

  it('never logs a key put in the query string', async () => {
    const res = await gw.app.inject({
      method: 'GET',
      url: `/v1/me?x-api-key=${KEYS.all}&token=s3cr3t-token`,
      headers: { 'x-request-id': 'log-query-key' },
    });
    expect(res.statusCode).toBe(400);
    const line = await lineOf('log-query-key');
    expect(line.req).toEqual({ method: 'GET', path: '/v1/me' });
    expect(gw.logs.join('\n')).not.toContain(KEYS.all);
    expect(gw.logs.join('\n')).not.toContain('s3cr3t-token');
  });

  it('logs only the query parameters the route declares', async () => {
    await gw.app.inject({
      method: 'GET',
      url: '/v1/contact-center/softphones?limit=5&include=credentials',
      headers: { 'x-request-id': 'log-declared', 'x-api-key': KEYS.all },
    });
    const line = await lineOf('log-declared');
    expect(line.req).toEqual({
      method: 'GET',
      path: '/v1/contact-center/softphones',
      query: { limit: '5', include: 'credentials' },
    });
    expect(line.route).toBe('/v1/contact-center/softphones');
  });

  it('reduces an absolute-form request target to its path (no scheme, credentials, host or query)', async () => {
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (gw.app.getHttpServer().address() as AddressInfo).port;
    const { closed } = await rawSend(
      port,
      `GET http://admin:hunter2@internal.example:8080/v1/me?x-api-key=${KEYS.all} HTTP/1.1\r\n` +
        'Host: internal.example\r\nX-Request-Id: log-absolute\r\nConnection: close\r\n\r\n',
    );
    const { text } = await closed;
    expect(text).toMatch(/^HTTP\/1\.1 \d{3}/);
    const line = await lineOf('log-absolute');
    expect((line.req as { path: string }).path).toBe('/v1/me');
    const all = gw.logs.join('\n');
    for (const secret of [KEYS.all, 'hunter2', 'admin:', 'internal.example']) expect(all).not.toContain(secret);
    // The problem body's instance is the path too.
    expect(text).not.toContain('hunter2');
  });
});
