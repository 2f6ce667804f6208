import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { transformFileSync } from '@swc/core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createApp } from '../src/app.factory';
import { loadConfig } from '../src/config/app-config';
import { SANDBOX_DEMO_API_KEY, SandboxMode, prepareSandboxMode } from '../src/sandbox-mode';
import { json } from './support/gateway';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `npm run sandbox` without REDIS_URL, as a person runs it: the store must keep Redis's semantics
 * (the activation quota's Lua script works in epoch milliseconds, past 32-bit integers).
 */
describe('sandbox mode without REDIS_URL', () => {
  let prepared: SandboxMode;
  let app: NestFastifyApplication;
  const logs: string[] = [];

  beforeAll(async () => {
    prepared = await prepareSandboxMode({ UPSTREAM_MODE: 'sandbox', SANDBOX_LATENCY_MS: '0', LOG_LEVEL: 'info' });
    const logStream = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    app = await createApp(loadConfig(prepared.env), { logStream });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
    await prepared?.close();
  });

  const reset = (sn: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/meeting/devices/${sn}/activation-code/reset`,
      headers: { 'x-api-key': SANDBOX_DEMO_API_KEY, 'content-type': 'application/json' },
      payload: { email: 'admin@example.com' },
    });

  it('starts a private redis-server on loopback with a password', async () => {
    expect(prepared.redis).toBeDefined();
    expect(prepared.env.REDIS_URL).toMatch(/^redis:\/\/:[0-9a-f]+@127\.0\.0\.1:\d+$/);
    // Without the password it answers nothing but NOAUTH.
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(prepared.redis!.port, '127.0.0.1', () => socket.write('GET x\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString('utf8'));
      });
      socket.once('error', reject);
    });
    expect(reply).toMatch(/^-NOAUTH/);
  });

  it('reports quota.resetsAt within the next 24 hours', async () => {
    const before = Date.now();
    const res = await reset('HWSN0031');
    expect(res.statusCode).toBe(202);
    const { quota } = json<{ quota: { limit: number; remaining: number; resetsAt: string } }>(res);
    expect(quota).toMatchObject({ limit: 5, remaining: 4 });
    const resetsAt = Date.parse(quota.resetsAt);
    // Redis's clock and ours are the same machine's; allow a few seconds either way.
    expect(resetsAt).toBeGreaterThan(before + DAY_MS - 5000);
    expect(resetsAt).toBeLessThanOrEqual(Date.now() + DAY_MS + 5000);
  });

  it('refuses the 6th reset with a Retry-After of at most 24 hours', async () => {
    for (let i = 0; i < 5; i++) expect((await reset('HWSN0032')).statusCode).toBe(202);
    const sixth = await reset('HWSN0032');
    expect(sixth.statusCode).toBe(429);
    const retryAfter = Number(sixth.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(DAY_MS / 1000 - 60);
    expect(retryAfter).toBeLessThanOrEqual(DAY_MS / 1000);
  });
});

describe('the private redis-server', () => {
  it('ends with the gateway process, even when that is killed with SIGKILL', async () => {
    // A child Node process starts one, prints its pid and kills itself at once.
    const dir = mkdtempSync(join(tmpdir(), 'cgw-store-test-'));
    try {
      const { code } = transformFileSync(join(__dirname, '../src/redis/local-redis-server.ts'), {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
      writeFileSync(join(dir, 'local-redis-server.js'), code);
      const script = `require(${JSON.stringify(join(dir, 'local-redis-server.js'))}).startLocalRedisServer()
        .then((r) => { process.stdout.write(String(r.pid)); process.kill(process.pid, 'SIGKILL'); });`;
      const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
      expect(child.signal).toBe('SIGKILL');
      const pid = Number(child.stdout);
      expect(pid).toBeGreaterThan(0);
      const deadline = Date.now() + 3000;
      while (running(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(running(pid)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Whether a process runs (a zombie waiting for its new parent to reap it has ended). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
