import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { dropPrefix, expectProblem, KEYS, startGateway, TestGateway } from './support/gateway';
import { parseResponse, rawSend } from './support/raw-http';

const CLIENT_TIMEOUT_MS = 1000;
/** Node checks the timeouts every 250 ms here (a quarter of CLIENT_TIMEOUT_MS); plus scheduling. */
const SLACK_MS = 1500;

/**
 * Finding 1: a client can no longer hold a connection: the whole request (headers and body)
 * must arrive within CLIENT_TIMEOUT_MS, kept-alive connections idle at most 5 s, and the number
 * of connections is capped. Raw sockets against a listening gateway.
 */
describe('client timeouts over raw sockets', () => {
  let gw: TestGateway;
  let port: number;

  beforeAll(async () => {
    gw = await startGateway({ CLIENT_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS), MAX_CONNECTIONS: '40' });
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    port = (gw.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await gw.close();
    await dropPrefix(gw.prefix);
  });

  it('a keyless POST announcing 5000 bytes and sending 1 gets 408 problem+json and is closed in time', async () => {
    const { closed } = await rawSend(
      port,
      'POST /v1/meeting/terminals/statuses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 5000\r\n\r\n{',
    );
    const { text, afterMs, byServer } = await closed;
    expect(byServer).toBe(true);
    expect(afterMs).toBeGreaterThanOrEqual(CLIENT_TIMEOUT_MS - 50);
    expect(afterMs).toBeLessThan(CLIENT_TIMEOUT_MS + SLACK_MS);
    const res = parseResponse(text);
    const body = expectProblem(res, 408, 'REQUEST_TIMEOUT');
    expect(body.instance).toBe('/v1/meeting/terminals/statuses');
    expect(res.headers.connection).toBe('close');
  });

  it('partial headers get 408 and are closed in time', async () => {
    const { closed } = await rawSend(port, 'GET /v1/me HTTP/1.1\r\nHost: x\r\nX-API-Key: ');
    const { text, afterMs, byServer } = await closed;
    expect(byServer).toBe(true);
    expect(afterMs).toBeLessThan(CLIENT_TIMEOUT_MS + SLACK_MS);
    expectProblem(parseResponse(text), 408, 'REQUEST_TIMEOUT');
  });

  it('a connection that sends nothing is closed in time', async () => {
    const { closed } = await rawSend(port, '');
    const { afterMs, byServer } = await closed;
    expect(byServer).toBe(true);
    expect(afterMs).toBeLessThan(CLIENT_TIMEOUT_MS + SLACK_MS);
  });

  it('a body trickled byte by byte cannot stretch the deadline', async () => {
    const { socket, closed } = await rawSend(
      port,
      'POST /v1/meeting/terminals/statuses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 5000\r\n\r\n',
    );
    const drip = setInterval(() => socket.writable && socket.write(' '), 100);
    try {
      const { afterMs, byServer } = await closed;
      expect(byServer).toBe(true);
      expect(afterMs).toBeLessThan(CLIENT_TIMEOUT_MS + SLACK_MS);
    } finally {
      clearInterval(drip);
    }
  });

  it('an idle kept-alive connection is closed after 5 s', async () => {
    const { closed } = await rawSend(port, `GET /v1/me HTTP/1.1\r\nHost: x\r\nX-API-Key: ${KEYS.all}\r\n\r\n`);
    const { text, afterMs, byServer } = await closed;
    expect(parseResponse(text).statusCode).toBe(200);
    expect(byServer).toBe(true);
    expect(afterMs).toBeGreaterThanOrEqual(4500);
    expect(afterMs).toBeLessThan(5000 + SLACK_MS);
  }, 15000);

  it('stalled clients up to the connection cap do not stop health checks; past the cap new ones are refused', async () => {
    const stalled = await Promise.all(
      Array.from({ length: 30 }, () => rawSend(port, 'GET /health/ready HTTP/1.1\r\nHost: x\r\n')),
    );
    try {
      const started = Date.now();
      const res = await request(`http://127.0.0.1:${port}/health/live`, { reset: true });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      expect(Date.now() - started).toBeLessThan(500);
      // Ten more reach the cap of 40 (MAX_CONNECTIONS); the next connection is dropped at once.
      const more = await Promise.all(Array.from({ length: 10 }, () => rawSend(port, '')));
      stalled.push(...more);
      await new Promise((r) => setTimeout(r, 50));
      const refused = await rawSend(port, 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n', 2000);
      const outcome = await refused.closed;
      expect(outcome.byServer).toBe(true);
      expect(outcome.text).toBe('');
      expect(outcome.afterMs).toBeLessThan(500);
    } finally {
      for (const s of stalled) s.socket.destroy();
    }
  });
});
