import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type Redis from 'ioredis';
import { IssuedKeyStore } from '../auth/issued-keys.store';
import { isScope, SCOPES, Scope } from '../auth/scopes';
import { loadConfig } from '../config/app-config';
import { ConfigError } from '../config/environment';
import { createRedis } from '../redis/redis.module';

const USAGE = `Usage:
  npm run keys -- create --name NAME --scopes SCOPE[,SCOPE...] [--expires-at ISO_TIME] [--rate-limit N]
  npm run keys -- list
  npm run keys -- revoke ID

Works on Redis directly (REDIS_URL or REDIS_SENTINELS, and REDIS_KEY_PREFIX, from the environment or .env).
Scopes: ${SCOPES.join(', ')}`;

class UsageError extends Error {}

/**
 * \`npm run keys\`: issue the first admin key (or any key), list and revoke issued keys without a
 * running gateway. The key is printed once; only its SHA-256 is stored. A revocation is announced
 * to running gateways, which refuse the key within a second.
 */
async function main(argv: string[]): Promise<void> {
  // A .env in the working directory, as the gateway reads it (real environment variables win).
  if (existsSync('.env')) process.loadEnvFile('.env');
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseOptions(rest);
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  if (!config.redisUrl && !config.redisSentinel) throw new UsageError('REDIS_URL or REDIS_SENTINELS is required');
  const redis = createRedis(config);
  try {
    await ready(redis);
    const store = new IssuedKeyStore(redis, config.redisKeyPrefix);
    switch (command) {
      case 'create':
        return await create(store, options, new Set(config.apiKeys.map((k) => k.name)));
      case 'list':
        return await list(store);
      case 'revoke':
        return await revoke(store, options.positional[0]);
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

interface Options {
  flags: Map<string, string>;
  positional: string[];
}

function parseOptions(args: string[]): Options {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match) {
      positional.push(arg);
      continue;
    }
    const value = match[2] ?? args[++i];
    if (value === undefined) throw new UsageError(`--${match[1]} needs a value`);
    flags.set(match[1]!, value);
  }
  return { flags, positional };
}

async function create(store: IssuedKeyStore, options: Options, configuredNames: Set<string>): Promise<void> {
  const name = options.flags.get('name') ?? '';
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new UsageError('--name: 1-64 characters of [A-Za-z0-9._-]');
  const scopes = (options.flags.get('scopes') ?? '').split(',').filter(Boolean);
  const unknown = scopes.filter((s) => !isScope(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--scopes: one or more of ${SCOPES.join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
    );
  }
  const expiresRaw = options.flags.get('expires-at');
  const expiresAt = expiresRaw === undefined ? null : Date.parse(expiresRaw);
  if (expiresAt !== null && (Number.isNaN(expiresAt) || expiresAt <= Date.now())) {
    throw new UsageError('--expires-at: an ISO 8601 time in the future');
  }
  const limitRaw = options.flags.get('rate-limit');
  const rateLimit = limitRaw === undefined ? null : Number(limitRaw);
  if (rateLimit !== null && !(Number.isInteger(rateLimit) && rateLimit >= 1 && rateLimit <= 1_000_000)) {
    throw new UsageError('--rate-limit: an integer from 1 to 1000000');
  }
  if (configuredNames.has(name)) throw new UsageError(`a configured key (API_KEYS) is named ${name}`);
  const created = await store.create({
    name,
    scopes: [...new Set(scopes)] as Scope[],
    expiresAt: expiresAt === null ? null : new Date(expiresAt).toISOString(),
    rateLimitPerMinute: rateLimit,
  });
  if (created === 'duplicate') throw new UsageError(`an API key named ${name} exists`);
  process.stdout.write(`${JSON.stringify({ ...created.record, source: 'issued', key: created.key }, null, 2)}\n`);
  process.stderr.write('Store the key now: it is not shown again (the gateway keeps only its SHA-256).\n');
}

async function list(store: IssuedKeyStore): Promise<void> {
  const { items } = await store.list(0, 1_000_000);
  for (const k of items) {
    process.stdout.write(
      `${[k.id, k.name, k.scopes.join(','), `created ${k.createdAt}`, `expires ${k.expiresAt ?? 'never'}`, `last used ${k.lastUsedAt ?? 'never'}`].join('\t')}\n`,
    );
  }
  if (items.length === 0) process.stderr.write('No issued keys.\n');
}

async function revoke(store: IssuedKeyStore, id: string | undefined): Promise<void> {
  if (!id) throw new UsageError('revoke needs the key id (see list)');
  if (!(await store.revoke(id))) throw new UsageError(`no issued key ${id}`);
  process.stdout.write(`revoked ${id}\n`);
}

function ready(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Redis is not reachable')), 5000);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`keys: ${err.message}\n\n${USAGE}\n`);
    else if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
    else process.stderr.write(`keys: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
