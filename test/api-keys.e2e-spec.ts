import Redis from 'ioredis';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { startUpstreamSandbox, UpstreamSandbox } from '../src/sandbox/upstream-sandbox';
import { apiKeysJson, dropPrefix, KEYS, REDIS_URL, uniquePrefix } from './support/gateway';
import { GatewayProcess, replicaEnv, startGatewayProcess } from './support/processes';

/**
 * Issued API keys, the audit trail and idempotent resets across two real gateway processes
 * sharing one Redis (and the `npm run keys` command line against the same prefix).
 */
describe('issued API keys across two gateway processes', () => {
  let sandbox: UpstreamSandbox;
  let gateways: GatewayProcess[];
  const prefix = uniquePrefix();
  /** Every secret seen: none may appear in logs, the audit or Redis. */
  const secrets = new Set<string>();

  beforeAll(async () => {
    sandbox = await startUpstreamSandbox({ latencyMs: 0 });
    const env = replicaEnv(sandbox, prefix, {
      RATE_LIMIT_PER_MINUTE: '100000',
      STATUS_CACHE_TTL_MS: '0',
      LOG_LEVEL: 'debug',
    });
    gateways = await Promise.all([1, 2].map(() => startGatewayProcess(env)));
  }, 60000);

  afterAll(async () => {
    await Promise.all((gateways ?? []).map((g) => g.stop()));
    await sandbox?.close();
    await dropPrefix(prefix);
  });

  interface Reply {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Record<string, unknown>;
  }

  const call = async (
    i: number,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    key: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const res = await request(`${gateways[i]!.url}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      headers: res.headers as Reply['headers'],
      body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    };
  };

  const createKey = async (body: Record<string, unknown>, adminKey: string = KEYS.all, headers = {}) => {
    const res = await call(0, 'POST', '/v1/admin/api-keys', adminKey, body, headers);
    if (typeof res.body.key === 'string') secrets.add(res.body.key);
    return res;
  };

  /** Polls /v1/me on every gateway until each answers `status`; returns the ms it took. */
  const untilAll = async (key: string, status: number, timeoutMs = 3000): Promise<number> => {
    const started = Date.now();
    for (const i of [0, 1]) {
      while ((await call(i, 'GET', '/v1/me', key)).status !== status) {
        if (Date.now() - started > timeoutMs)
          throw new Error(`gateway ${i} did not answer ${status} in ${timeoutMs} ms`);
        await sleep(20);
      }
    }
    return Date.now() - started;
  };

  it('create -> use on both -> revoke: 401 on both within 1 s', async () => {
    const created = await createKey({ name: 'partner-a', scopes: ['meeting.terminals:read'] });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect(key).toMatch(/^cgw_[A-Za-z0-9_-]{43}$/);
    expect(created.headers.location).toBe(`/v1/admin/api-keys/${created.body.id as string}`);
    expect(created.body).toMatchObject({
      name: 'partner-a',
      source: 'issued',
      expiresAt: null,
      rateLimitPerMinute: null,
    });
    // Warm both processes' caches.
    for (const i of [0, 1]) {
      const me = await call(i, 'GET', '/v1/me', key);
      expect(me.status).toBe(200);
      expect(me.body).toEqual({
        id: created.body.id,
        name: 'partner-a',
        scopes: ['meeting.terminals:read'],
        source: 'issued',
        expiresAt: null,
        rateLimitPerMinute: 100000,
      });
      expect((await call(i, 'GET', '/v1/meeting/terminals/%2B991116173901/status', key)).status).toBe(200);
    }
    const got = await call(1, 'GET', `/v1/admin/api-keys/${created.body.id as string}`, KEYS.all);
    expect(got.body).toMatchObject({ name: 'partner-a', lastUsedAt: expect.stringMatching(/:00\.000Z$/) });
    expect(got.body.key).toBeUndefined();
    expect((await createKey({ name: 'partner-a', scopes: ['meeting.terminals:read'] })).status).toBe(409);

    const revoked = await call(0, 'DELETE', `/v1/admin/api-keys/${created.body.id as string}`, KEYS.all);
    expect(revoked.status).toBe(204);
    expect(await untilAll(key, 401)).toBeLessThan(1000);
    expect((await call(1, 'GET', `/v1/admin/api-keys/${created.body.id as string}`, KEYS.all)).status).toBe(404);
    expect((await call(1, 'DELETE', '/v1/admin/api-keys/cfg_all', KEYS.all)).status).toBe(409);
    // Configured keys report lastUsedAt too (the admin key has just been used).
    const configured = await call(0, 'GET', '/v1/admin/api-keys/cfg_all', KEYS.all);
    expect(configured.body).toMatchObject({ source: 'config', lastUsedAt: expect.stringMatching(/:00\.000Z$/) });
    const unused = await call(0, 'GET', '/v1/admin/api-keys/cfg_none', KEYS.all);
    expect(unused.body).toMatchObject({ source: 'config', lastUsedAt: null });
  });

  it('rotates with a grace period: the old key works on both until it ends, then 401', async () => {
    const created = await createKey({ name: 'partner-rotate', scopes: ['meeting.terminals:read'] });
    const oldKey = created.body.key as string;
    for (const i of [0, 1]) expect((await call(i, 'GET', '/v1/me', oldKey)).status).toBe(200);
    const rotated = await call(1, 'POST', `/v1/admin/api-keys/${created.body.id as string}/rotate`, KEYS.all, {
      graceSeconds: 2,
    });
    expect(rotated.status).toBe(201);
    const newKey = rotated.body.key as string;
    secrets.add(newKey);
    expect(newKey).not.toBe(oldKey);
    expect(rotated.body.id).toBe(created.body.id);
    const graceEnds = Date.now() + 2000;
    for (const i of [0, 1]) {
      expect((await call(i, 'GET', '/v1/me', oldKey)).status).toBe(200);
      expect((await call(i, 'GET', '/v1/me', newKey)).status).toBe(200);
    }
    await sleep(graceEnds - Date.now());
    expect(await untilAll(oldKey, 401)).toBeLessThan(1000);
    for (const i of [0, 1]) expect((await call(i, 'GET', '/v1/me', newKey)).status).toBe(200);

    // Without grace the key in use stops at once on both.
    const again = await call(0, 'POST', `/v1/admin/api-keys/${created.body.id as string}/rotate`, KEYS.all, {});
    secrets.add(again.body.key as string);
    expect(await untilAll(newKey, 401)).toBeLessThan(1000);
    expect((await call(1, 'GET', '/v1/me', again.body.key as string)).status).toBe(200);
  });

  it('refuses an expired key with a detail that says so', async () => {
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    const created = await createKey({ name: 'partner-expiring', scopes: [], expiresAt });
    // No scopes is refused (at least one): give it one.
    expect(created.status).toBe(400);
    const ok = await createKey({ name: 'partner-expiring', scopes: ['cc.calls:read'], expiresAt });
    expect(ok.status).toBe(201);
    const key = ok.body.key as string;
    expect((await call(0, 'GET', '/v1/me', key)).body.expiresAt).toBe(expiresAt);
    await sleep(Date.parse(expiresAt) - Date.now() + 50);
    for (const i of [0, 1]) {
      const res = await call(i, 'GET', '/v1/me', key);
      expect(res.status).toBe(401);
      expect(res.body.detail).toMatch(/expired/);
    }
    const past = await createKey({
      name: 'partner-past',
      scopes: ['cc.calls:read'],
      expiresAt: '2020-01-01T00:00:00Z',
    });
    expect(past.status).toBe(400);
  });

  it("applies a key's own rate limit instead of RATE_LIMIT_PER_MINUTE", async () => {
    const created = await createKey({ name: 'partner-slow', scopes: ['cc.calls:read'], rateLimitPerMinute: 3 });
    const key = created.body.key as string;
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await call(i % 2, 'GET', '/v1/me', key);
      statuses.push(res.status);
      if (i === 0) {
        expect(res.headers['ratelimit-limit']).toBe('3');
        expect(res.body.rateLimitPerMinute).toBe(3);
      }
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    // Other keys keep the gateway-wide limit.
    expect((await call(0, 'GET', '/v1/me', KEYS.none)).headers['ratelimit-limit']).toBe('100000');
  });

  it('refuses scope escalation (403) and audits it as denied', async () => {
    const manager = await createKey({ name: 'key-manager', scopes: ['admin.keys:manage'] });
    const managerKey = manager.body.key as string;
    const escalate = await createKey({ name: 'too-strong', scopes: ['cc.softphones:credentials'] }, managerKey, {
      'x-request-id': 'escalation-1',
    });
    expect(escalate.status).toBe(403);
    expect(escalate.body.code).toBe('FORBIDDEN');
    // Rotating a stronger key would hand out its scopes: refused too.
    const strong = await createKey({ name: 'strong', scopes: ['cc.softphones:credentials'] });
    const rotate = await call(1, 'POST', `/v1/admin/api-keys/${strong.body.id as string}/rotate`, managerKey, {});
    expect(rotate.status).toBe(403);
    // What it holds, it may grant.
    expect((await createKey({ name: 'weaker', scopes: ['admin.keys:manage'] }, managerKey)).status).toBe(201);
    // Without admin.audit:read it cannot read the audit.
    expect((await call(0, 'GET', '/v1/admin/audit', managerKey)).status).toBe(403);
    const audit = await call(1, 'GET', '/v1/admin/audit?limit=100', KEYS.all);
    const entries = audit.body.items as Record<string, unknown>[];
    expect(entries).toContainEqual(
      expect.objectContaining({
        requestId: 'escalation-1',
        actor: { id: manager.body.id, name: 'key-manager' },
        action: 'api-key.created',
        outcome: 'denied',
      }),
    );
  });

  it('replays an idempotent reset without a second upstream call or quota; 422 on another body; 409 in flight', async () => {
    const sn = 'HWSN0031';
    const path = `/v1/meeting/devices/${sn}/activation-code/reset`;
    const headers = { 'idempotency-key': 'reset-77', 'x-request-id': 'reset-77-first' };
    const first = await call(0, 'POST', path, KEYS.all, { email: 'ops@example.com' }, headers);
    expect(first.status).toBe(202);
    const again = await call(
      1,
      'POST',
      path,
      KEYS.all,
      { email: 'ops@example.com' },
      { 'idempotency-key': 'reset-77' },
    );
    expect(again.status).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(sandbox.meeting.activationCalls.filter((c) => c.sn === sn)).toHaveLength(1);
    const other = await call(
      0,
      'POST',
      path,
      KEYS.all,
      { email: 'other@example.com' },
      { 'idempotency-key': 'reset-77' },
    );
    expect(other.status).toBe(422);
    // The same Idempotency-Key of another API key is another request.
    const otherKey = await createKey({ name: 'device-manager', scopes: ['meeting.devices:manage'] });
    const theirs = await call(
      1,
      'POST',
      path,
      otherKey.body.key as string,
      { email: 'ops@example.com' },
      { 'idempotency-key': 'reset-77' },
    );
    expect(theirs.status).toBe(202);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
    expect((theirs.body.quota as { remaining: number }).remaining).toBe(3);

    // In flight: Meeting is slow, the repeat comes while the first waits.
    sandbox.meeting.injector.inject({ mode: 'delay', delayMs: 800, count: 1, target: 'business' });
    const slow = call(
      0,
      'POST',
      `/v1/meeting/devices/HWSN0032/activation-code/reset`,
      KEYS.all,
      { email: 'ops@example.com' },
      { 'idempotency-key': 'reset-78' },
    );
    await sleep(200);
    const during = await call(
      1,
      'POST',
      `/v1/meeting/devices/HWSN0032/activation-code/reset`,
      KEYS.all,
      { email: 'ops@example.com' },
      { 'idempotency-key': 'reset-78' },
    );
    expect(during.status).toBe(409);
    expect(during.body.code).toBe('CONFLICT');
    expect((await slow).status).toBe(202);
    expect(sandbox.meeting.activationCalls.filter((c) => c.sn === 'HWSN0032')).toHaveLength(1);

    const audit = await call(0, 'GET', '/v1/admin/audit', KEYS.all);
    const resets = (audit.body.items as Record<string, unknown>[]).filter((e) => e.action === 'activation-code.reset');
    // One entry per reset that happened: replays and refusals of the key add none.
    expect(resets.filter((e) => e.target === sn)).toHaveLength(2);
    expect(resets).toContainEqual(
      expect.objectContaining({
        requestId: 'reset-77-first',
        actor: { id: 'cfg_all', name: 'all' },
        outcome: 'success',
      }),
    );
  });

  it('audits credential reads (and refusals) with their request ids', async () => {
    const read = await call(
      0,
      'GET',
      '/v1/contact-center/softphones?include=credentials&limit=5',
      KEYS.all,
      undefined,
      {
        'x-request-id': 'creds-1',
      },
    );
    expect(read.status).toBe(200);
    for (const item of read.body.items as { password?: string }[]) if (item.password) secrets.add(item.password);
    expect(secrets.size).toBeGreaterThan(5);
    const refused = await call(
      1,
      'GET',
      '/v1/contact-center/softphones?include=credentials',
      KEYS.softphonesRead,
      undefined,
      {
        'x-request-id': 'creds-2',
      },
    );
    expect(refused.status).toBe(403);
    const entries = (await call(1, 'GET', '/v1/admin/audit', KEYS.all)).body.items as Record<string, unknown>[];
    expect(entries).toContainEqual(
      expect.objectContaining({ requestId: 'creds-1', action: 'softphone-credentials.read', outcome: 'success' }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({
        requestId: 'creds-2',
        actor: { id: 'cfg_softphonesRead', name: 'softphonesRead' },
        action: 'softphone-credentials.read',
        outcome: 'denied',
      }),
    );
    // Newest first.
    const times = entries.map((e) => Date.parse(e.at as string));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('issues, lists and revokes keys from the command line (straight on Redis)', async () => {
    const created = await runKeys(['create', '--name', 'ops-cli', '--scopes', 'admin.keys:manage,admin.audit:read']);
    expect(created.code).toBe(0);
    const printed = JSON.parse(created.stdout) as { id: string; key: string; name: string };
    secrets.add(printed.key);
    expect(printed.key).toMatch(/^cgw_[A-Za-z0-9_-]{43}$/);
    for (const i of [0, 1]) {
      const me = await call(i, 'GET', '/v1/me', printed.key);
      expect(me.body).toMatchObject({
        name: 'ops-cli',
        source: 'issued',
        scopes: ['admin.keys:manage', 'admin.audit:read'],
      });
    }
    // The CLI's key can administer: list the keys through the API.
    const listed = await call(0, 'GET', '/v1/admin/api-keys?limit=100', printed.key);
    expect((listed.body.items as { name: string }[]).map((k) => k.name)).toContain('ops-cli');
    const list = await runKeys(['list']);
    expect(list.stdout).toContain(printed.id);
    expect(list.stdout).not.toContain(printed.key);
    expect((await runKeys(['create', '--name', 'ops-cli', '--scopes', 'admin.keys:manage'])).code).toBe(2);
    expect((await runKeys(['create', '--name', 'x', '--scopes', 'root'])).code).toBe(2);
    const revoked = await runKeys(['revoke', printed.id]);
    expect(revoked.code).toBe(0);
    expect(await untilAll(printed.key, 401)).toBeLessThan(1000);
  });

  it('never writes a key or a password to the logs, the audit or Redis', async () => {
    await sleep(200); // the last log lines
    const logs = gateways.flatMap((g) => g.output).join('');
    expect(logs.length).toBeGreaterThan(1000);
    const audit = JSON.stringify((await call(0, 'GET', '/v1/admin/audit', KEYS.all)).body);
    const stored = await everyRedisValue(prefix);
    expect(stored.length).toBeGreaterThan(10);
    const haystacks = { logs, audit, redis: stored.join('\n') };
    const leaks: string[] = [];
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of [...secrets, ...Object.values(KEYS)])
        if (text.includes(secret)) leaks.push(`${where}: ${secret.slice(0, 8)}...`);
      if (/cgw_[A-Za-z0-9_-]{43}/.test(text)) leaks.push(`${where}: something shaped like an issued key`);
    }
    expect(leaks).toEqual([]);
  });

  function runKeys(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [join(__dirname, '..', 'dist', 'cli', 'keys.js'), ...args], {
        env: { PATH: process.env.PATH ?? '', REDIS_URL, REDIS_KEY_PREFIX: prefix, API_KEYS: apiKeysJson() },
        cwd: __dirname,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  }
});

/** Every value under a prefix, whatever its type (strings, hashes, lists, sets, sorted sets). */
async function everyRedisValue(prefix: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL);
  try {
    const values: string[] = [];
    for (const key of await redis.keys(`${prefix}*`)) {
      values.push(key);
      const type = await redis.type(key);
      if (type === 'string') values.push((await redis.get(key)) ?? '');
      else if (type === 'hash') values.push(...Object.values(await redis.hgetall(key)));
      else if (type === 'list') values.push(...(await redis.lrange(key, 0, -1)));
      else if (type === 'set') values.push(...(await redis.smembers(key)));
      else if (type === 'zset') values.push(...(await redis.zrange(key, 0, -1)));
    }
    return values;
  } finally {
    redis.disconnect();
  }
}
