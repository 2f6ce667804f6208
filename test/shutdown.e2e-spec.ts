import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { GracefulShutdown } from '../src/lifecycle/graceful-shutdown';
import { SANDBOX_DEMO_API_KEY } from '../src/sandbox-mode';
import { dropPrefix, KEYS, startGateway } from './support/gateway';
import { GatewayProcess, startGatewayProcess } from './support/processes';
import { parseResponse, rawSend } from './support/raw-http';
import { openSse } from './support/sse';
import { startStack } from './support/stack';
import type { AddressInfo } from 'node:net';

const auth = { 'x-api-key': SANDBOX_DEMO_API_KEY };
const STATUS = '/v1/meeting/terminals/%2B991116173901/status';

/** The simulated upstreams' URLs, from the sandbox-mode start line. */
async function sandboxUrls(gateway: GatewayProcess): Promise<Record<string, string>> {
  for (let i = 0; i < 100; i++) {
    for (const line of gateway.output.join('').split('\n')) {
      if (line.includes('started in sandbox mode'))
        return (JSON.parse(line) as { upstreams: Record<string, string> }).upstreams;
    }
    await sleep(50);
  }
  throw new Error('no sandbox start line');
}

function exited(gateway: GatewayProcess): Promise<{ code: number | null; signal: string | null; at: number }> {
  return new Promise((resolve) =>
    gateway.child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
}

function port(gateway: GatewayProcess): number {
  return Number(new URL(gateway.url).port);
}

async function refusesConnections(gatewayPort: number): Promise<boolean> {
  const socket = connect(gatewayPort, '127.0.0.1');
  try {
    await once(socket, 'connect');
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
  } finally {
    socket.destroy();
  }
}

/**
 * Finding 2: SIGTERM to a real gateway process in sandbox mode (private redis-server, in-process
 * upstream sandbox): no new connections, stalled and idle sockets closed at once, the request in
 * flight finishes with 200 (the sandbox closes last), exit 0 within the grace period.
 */
describe('graceful shutdown of a real process (sandbox mode)', () => {
  it('drains: in-flight request gets 200, stalled sockets are closed, exit 0 well within SHUTDOWN_GRACE_MS', async () => {
    const gateway = await startGatewayProcess({
      UPSTREAM_MODE: 'sandbox',
      SHUTDOWN_GRACE_MS: '5000',
      // Every request here must reach the (delayed) upstream, not the status cache.
      STATUS_CACHE_TTL_MS: '0',
    });
    try {
      const gatewayPort = port(gateway);
      const upstreams = await sandboxUrls(gateway);
      const warm = await request(`${gateway.url}${STATUS}`, { headers: auth });
      expect(warm.statusCode).toBe(200);
      await warm.body.dump();

      // A slow answer from Meeting for the request in flight.
      const fault = await request(`${upstreams.meeting}/__sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'delay', delayMs: 1500, count: 1, target: 'business' }),
      });
      await fault.body.dump();

      const partialHeaders = await rawSend(gatewayPort, 'GET /v1/me HTTP/1.1\r\nHost: x\r\n');
      const partialBody = await rawSend(
        gatewayPort,
        'POST /v1/meeting/terminals/statuses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{',
      );
      // In flight at Meeting when SIGTERM arrives.
      const inFlight = await rawSend(
        gatewayPort,
        `GET ${STATUS} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${SANDBOX_DEMO_API_KEY}\r\n\r\n`,
      );
      await sleep(300);

      const exit = exited(gateway);
      const signalled = Date.now();
      gateway.child.kill('SIGTERM');
      await sleep(200);
      expect(await refusesConnections(gatewayPort)).toBe(true);
      const stalled = await Promise.all([partialHeaders.closed, partialBody.closed]);
      for (const s of stalled) {
        expect(s.byServer).toBe(true);
        expect(Date.now() - signalled).toBeLessThan(1500);
      }

      const answered = await inFlight.closed;
      expect(answered.byServer).toBe(true);
      const first = parseResponse(answered.text);
      expect(first.statusCode).toBe(200);
      expect(first.headers.connection).toBe('close');
      expect(JSON.parse(first.body)).toMatchObject({
        id: '+991116173901',
        source: 'meeting',
      });

      const { code, signal, at } = await exit;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(at - signalled).toBeGreaterThanOrEqual(1000);
      expect(at - signalled).toBeLessThan(5000);
      expect(gateway.output.join('')).toContain('shutdown complete');
    } finally {
      await gateway.stop();
    }
  }, 30000);

  it('no client can hold it past SHUTDOWN_GRACE_MS: a request still in flight is cut, exit 0', async () => {
    const gateway = await startGatewayProcess({ UPSTREAM_MODE: 'sandbox', SHUTDOWN_GRACE_MS: '1000' });
    try {
      const upstreams = await sandboxUrls(gateway);
      const fault = await request(`${upstreams.meeting}/__sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'hang', count: 1, target: 'all' }),
      });
      await fault.body.dump();
      const hanging = await rawSend(
        port(gateway),
        `GET ${STATUS} HTTP/1.1\r\nHost: x\r\nX-API-Key: ${SANDBOX_DEMO_API_KEY}\r\n\r\n`,
      );
      await sleep(300);
      const exit = exited(gateway);
      const signalled = Date.now();
      gateway.child.kill('SIGTERM');
      const { code, at } = await exit;
      expect(code).toBe(0);
      expect(at - signalled).toBeGreaterThanOrEqual(900);
      expect(at - signalled).toBeLessThan(1000 + 3000);
      expect((await hanging.closed).byServer).toBe(true);
    } finally {
      await gateway.stop();
    }
  }, 30000);
});

describe('readiness during shutdown (in process)', () => {
  it('answers 503 from the moment draining begins', async () => {
    const gw = await startGateway({ SHUTDOWN_GRACE_MS: '1000' });
    try {
      expect((await gw.app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
      const draining = gw.app.get(GracefulShutdown).drain(1000);
      const ready = await gw.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(ready.headers['retry-after']).toBe('1');
      expect(JSON.parse(ready.body)).toMatchObject({ status: 'shutting_down', details: { redis: { status: 'up' } } });
      expect((await gw.app.inject({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
      const other = await gw.app.inject({ method: 'GET', url: '/v1/me' });
      expect(other.statusCode).toBe(503);
      expect(other.headers.connection).toBe('close');
      await draining;
    } finally {
      await gw.close();
      await dropPrefix(gw.prefix);
    }
  });
});

describe('watch streams during shutdown (in process)', () => {
  it('end as soon as draining begins, so the drain does not wait for the grace period', async () => {
    const stack = await startStack({ SHUTDOWN_GRACE_MS: '10000' });
    try {
      await stack.gw.app.listen({ port: 0, host: '127.0.0.1' });
      const { port } = stack.gw.app.getHttpServer().address() as AddressInfo;
      const stream = await openSse(`http://127.0.0.1:${port}/v1/contact-center/calls/645735364434067473/stream`, {
        'x-api-key': KEYS.all,
      });
      expect(stream.status).toBe(200);
      const started = Date.now();
      await stack.gw.app.get(GracefulShutdown).drain(10000);
      await stream.ended;
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await stack.close();
    }
  });
});
