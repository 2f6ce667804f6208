import { ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { sandboxEnvironment, startUpstreamSandbox, UpstreamSandbox } from '../src/sandbox/upstream-sandbox';
import { expectProblem, json, KEYS, startGateway, TestGateway } from './support/gateway';
import { freePort } from './support/processes';

/**
 * A real Redis of the test's own (its own port) stopped during traffic and started again: what
 * needs only a cached token keeps working, what needs Redis fails fast with 503, readiness says
 * so, and everything recovers without restarting the gateway.
 */
describe('Redis outage and recovery', () => {
  let port: number;
  let redis: ChildProcess | undefined;
  let sandbox: UpstreamSandbox;
  let gw: TestGateway;

  const startRedis = async () => {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await sleep(300);
  };
  const stopRedis = async () => {
    const exited = new Promise((resolve) => redis!.once('exit', resolve));
    redis!.kill('SIGKILL');
    await exited;
  };
  const get = (url: string) => gw.app.inject({ method: 'GET', url, headers: { 'x-api-key': KEYS.all } });
  const reset = (sn: string) =>
    gw.app.inject({
      method: 'POST',
      url: `/v1/meeting/devices/${sn}/activation-code/reset`,
      headers: { 'x-api-key': KEYS.all },
      payload: { email: 'ops@example.com' },
    });

  beforeAll(async () => {
    port = await freePort();
    await startRedis();
    sandbox = await startUpstreamSandbox({ latencyMs: 0 });
    gw = await startGateway({ ...sandboxEnvironment(sandbox), REDIS_URL: `redis://127.0.0.1:${port}` });
  }, 30000);

  afterAll(async () => {
    await gw?.close();
    await sandbox?.close();
    if (redis && redis.exitCode === null) await stopRedis();
  });

  it('serves cached-token reads, fails Redis-bound work fast with 503, reports it, and recovers', async () => {
    // Warm the token caches while Redis is up.
    expect((await get('/v1/meeting/terminals/%2B991116173901/status')).statusCode).toBe(200);
    expect((await get('/v1/contact-center/softphones?limit=1')).statusCode).toBe(200);
    expect((await reset('HWSN0021')).statusCode).toBe(202);

    await stopRedis();

    expect((await get('/v1/meeting/terminals/%2B991116173901/status')).statusCode).toBe(200);
    expect((await get('/v1/contact-center/softphones?limit=1')).statusCode).toBe(200);

    let started = Date.now();
    const quota = expectProblem(await reset('HWSN0021'), 503, 'SERVICE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(quota.detail).toMatch(/quota store/);

    started = Date.now();
    const semaphore = await get('/v1/contact-center/terminals?eid=87800001');
    expectProblem(semaphore, 503, 'SERVICE_UNAVAILABLE');
    expect(semaphore.headers['retry-after']).toBe('1');
    expect(Date.now() - started).toBeLessThan(2000);

    const ready = await gw.app.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(json(ready)).toMatchObject({ error: { redis: { status: 'down' } } });

    await startRedis();
    // ioredis reconnects on its own (backoff capped at 2 s).
    const deadline = Date.now() + 10000;
    while ((await gw.app.inject({ method: 'GET', url: '/health/ready' })).statusCode !== 200) {
      if (Date.now() > deadline) throw new Error('gateway did not become ready again');
      await sleep(100);
    }
    expect((await reset('HWSN0022')).statusCode).toBe(202);
    expect((await get('/v1/contact-center/terminals?eid=87800001')).statusCode).toBe(200);
    expect((await get('/v1/meeting/terminals/%2B991116173901/status')).statusCode).toBe(200);
  }, 30000);
});
