import { getMetadataStorage } from 'class-validator';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseEnv } from 'node:util';
import { request } from 'undici';
import { parse } from 'yaml';
import { loadConfig } from '../src/config/app-config';
import { Environment } from '../src/config/environment';
import { FAMILIES } from '../src/families/registry';
import { sandboxEnvironment, startUpstreamSandbox } from '../src/sandbox/upstream-sandbox';
import { apiKeysJson, dropPrefix, KEYS, REDIS_URL, uniquePrefix } from './support/gateway';
import { startGatewayProcess } from './support/processes';

const ROOT = join(__dirname, '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Service {
  command?: string[];
  volumes?: string[];
  stop_grace_period?: string;
  env_file?: { path: string; required: boolean }[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  build?: { args?: Record<string, string> };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

/** Every environment variable the gateway reads: its own and each family's. */
function knownVariables(): string[] {
  const storage = getMetadataStorage();
  return [
    ...new Set(
      [Environment, ...FAMILIES.map((f) => f.environment)].flatMap((schema) =>
        storage.getTargetValidationMetadatas(schema, '', true, false).map((m) => m.propertyName),
      ),
    ),
  ];
}

/** Compose, the Dockerfile and .env.example, validated by parsing (no Docker engine here). */
describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as Compose;
  const gateway = compose.services.gateway!;

  it('runs Redis with append-only persistence on a named volume', () => {
    const redis = compose.services.redis!;
    const command = redis.command!;
    expect(command[0]).toBe('redis-server');
    expect(command[command.indexOf('--appendonly') + 1]).toBe('yes');
    expect(redis.volumes).toContain('redis-data:/data');
    expect(compose.volumes).toHaveProperty('redis-data');
  });

  it('gives the gateway more time to stop than its shutdown grace period', () => {
    expect(parseInt(gateway.stop_grace_period!, 10)).toBeGreaterThan(10);
  });

  it('reads .env and passes every variable the gateway reads through to it', () => {
    expect(gateway.env_file).toEqual([{ path: '.env', required: false }]);
    const passed = Object.keys(gateway.environment!);
    expect(knownVariables().filter((name) => !passed.includes(name))).toEqual([]);
    expect(gateway.environment!.REDIS_URL).toBe('${REDIS_URL-redis://redis:6379}');
    expect(gateway.environment!.UPSTREAM_MODE).toBe('${UPSTREAM_MODE:-sandbox}');
  });

  it('checks the gateway on /health/ready and Redis with a ping', () => {
    expect(gateway.healthcheck!.test.join(' ')).toContain('/health/ready');
    expect(compose.services.redis!.healthcheck).toBeDefined();
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = read('Dockerfile');

  it('ships no dev dependencies and no sandbox unless asked for', () => {
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/ARG INCLUDE_SANDBOX=false/);
    expect(dockerfile).toMatch(/USER node/);
    expect(dockerfile).toMatch(/HEALTHCHECK .*\/health\/ready/);
  });

  it('keeps node_modules, build output, git and any .env out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of ['node_modules', 'dist', '.git', '.env']) expect(ignored).toContain(entry);
  });
});

describe('.env.example', () => {
  const example = read('.env.example');

  it('starts as shipped (sandbox mode)', () => {
    const config = loadConfig(parseEnv(example));
    expect(config.mode).toBe('sandbox');
  });

  it('documents every variable the gateway reads', () => {
    expect(knownVariables().filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(example))).toEqual([]);
  });
});

describe('a built gateway without the sandbox, configured by .env', () => {
  it('starts live from .env in its working directory (real environment wins) and serves every family', async () => {
    const sandbox = await startUpstreamSandbox({ latencyMs: 0 });
    const dir = mkdtempSync(join(tmpdir(), 'cgw-image-'));
    const prefix = uniquePrefix();
    let gateway: Awaited<ReturnType<typeof startGatewayProcess>> | undefined;
    try {
      // What the image holds: package.json, dist without the paths the Dockerfile removes, node_modules.
      cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
      const removed = /rm -rf ([^;]+);/.exec(read('Dockerfile'))![1]!.trim().split(/\s+/);
      for (const path of removed) {
        const [folder, rest] = path.split('/*/') as [string, string?];
        if (rest === undefined) rmSync(join(dir, path), { recursive: true, force: true });
        else for (const f of FAMILIES) rmSync(join(dir, folder, f.id, rest), { recursive: true, force: true });
      }
      symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
      const env = {
        ...sandboxEnvironment(sandbox),
        UPSTREAM_MODE: 'live',
        REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        API_KEYS: apiKeysJson(),
        TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        LOG_LEVEL: 'silent',
      };
      writeFileSync(
        join(dir, '.env'),
        Object.entries({ ...env, PORT: '1' })
          .map(([k, v]) => `${k}='${v}'`)
          .join('\n'),
      );
      // Only PATH and PORT from the real environment: PORT wins over the .env's unusable 1.
      gateway = await startGatewayProcess({}, { cwd: dir, entry: join(dir, 'dist', 'main.js') });
      for (const f of FAMILIES) {
        const res = await request(`${gateway.url}${f.exampleRead}`, { headers: { 'x-api-key': KEYS.all } });
        await res.body.dump();
        expect([f.id, res.statusCode]).toEqual([f.id, 200]);
      }
      const ready = (await (await request(`${gateway.url}/health/ready`)).body.json()) as {
        details: { configuration: { warnings: string[] } };
      };
      expect(ready.details.configuration.warnings).toEqual([]);
    } finally {
      await gateway?.stop();
      await sandbox.close();
      await dropPrefix(prefix);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30000);
});
