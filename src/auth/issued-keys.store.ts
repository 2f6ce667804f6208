import type Redis from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import type { Scope } from './scopes';

/** An issued key as stored (never the key itself: only its SHA-256). */
export interface IssuedKeyRecord {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: string;
  expiresAt: string | null;
  rateLimitPerMinute: number | null;
  /** Floored to the minute; written at most once per key per minute per process. */
  lastUsedAt: string | null;
}

export interface NewIssuedKey {
  name: string;
  scopes: Scope[];
  expiresAt: string | null;
  rateLimitPerMinute: number | null;
}

/** What a SHA-256 resolves to: the key, and for a rotated-out key how long its grace lasts. */
export interface IssuedKeyLookup {
  record: IssuedKeyRecord;
  /** Milliseconds this hash keeps working (a rotated-out key in its grace); undefined: no end. */
  graceMs?: number;
}

/** `cgw_` + 43 base64url characters (256 random bits): secret scanners can recognise it. */
function newSecret(): string {
  return `cgw_${randomBytes(32).toString('base64url')}`;
}

function newKeyId(): string {
  return `key_${randomBytes(12).toString('base64url')}`;
}

function sha256Hex(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

// Redis layout (under REDIS_KEY_PREFIX): apikeys:rec:<id> hash, apikeys:hash:<sha256> -> id,
// apikeys:name:<name> -> id, apikeys:ids zset (score: creation ms). Every change is one script.
// Keys a script derives from a record get the prefix from ARGV (ioredis prefixes KEYS only).

/** KEYS: name, hash, rec, ids. ARGV: id, createdMs, field, value, ... Returns 0 on a taken name. */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('HSET', KEYS[3], unpack(ARGV, 3))
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
return 1
`;

/** KEYS: rec, ids. ARGV: prefix, id. Deletes the key, its name and its hashes. */
const REVOKE = `
local f = redis.call('HMGET', KEYS[1], 'name', 'sha256', 'previousSha256')
if not f[1] then return 0 end
redis.call('DEL', KEYS[1], ARGV[1] .. 'apikeys:name:' .. f[1], ARGV[1] .. 'apikeys:hash:' .. f[2])
if f[3] then redis.call('DEL', ARGV[1] .. 'apikeys:hash:' .. f[3]) end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
`;

/**
 * KEYS: rec, new hash. ARGV: prefix, id, new sha256, grace ms. The old hash keeps working for
 * the grace (a key with a TTL), or goes at once; a previous rotation's grace ends here.
 */
const ROTATE = `
local f = redis.call('HMGET', KEYS[1], 'sha256', 'previousSha256')
if not f[1] then return 0 end
if f[2] then redis.call('DEL', ARGV[1] .. 'apikeys:hash:' .. f[2]) end
local old = ARGV[1] .. 'apikeys:hash:' .. f[1]
if tonumber(ARGV[4]) > 0 then
  redis.call('PEXPIRE', old, ARGV[4])
  redis.call('HSET', KEYS[1], 'previousSha256', f[1])
else
  redis.call('DEL', old)
  redis.call('HDEL', KEYS[1], 'previousSha256')
end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'sha256', ARGV[3])
return 1
`;

/** KEYS: hash. ARGV: prefix. Returns {pttl, record fields} or nil. */
const LOOKUP = `
local id = redis.call('GET', KEYS[1])
if not id then return nil end
local rec = redis.call('HGETALL', ARGV[1] .. 'apikeys:rec:' .. id)
if #rec == 0 then return nil end
return {redis.call('PTTL', KEYS[1]), rec}
`;

/** KEYS: rec. ARGV: lastUsedAt. Only on a key that still exists. */
const TOUCH = `
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], 'lastUsedAt', ARGV[1]) end
return 1
`;

const recKey = (id: string) => `apikeys:rec:${id}`;
const hashKey = (sha256: string) => `apikeys:hash:${sha256}`;
const nameKey = (name: string) => `apikeys:name:${name}`;
const IDS = 'apikeys:ids';
/** lastUsedAt of a configured key (configured keys have no record). */
const usedKey = (id: string) => `apikeys:used:${id}`;

/**
 * Issued API keys in Redis, shared by every replica and by `npm run keys`. `prefix` is the
 * connection's REDIS_KEY_PREFIX (for keys derived inside scripts and for the pub/sub channel).
 */
export class IssuedKeyStore {
  /** Changes are announced here (message: the key id); channels are not prefixed by ioredis. */
  readonly channel: string;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.channel = `${prefix}apikeys:changed`;
  }

  /** The new key (shown once) and its record, or 'duplicate' when the name is taken. */
  async create(input: NewIssuedKey, now = new Date()): Promise<{ record: IssuedKeyRecord; key: string } | 'duplicate'> {
    const key = newSecret();
    const record: IssuedKeyRecord = {
      id: newKeyId(),
      ...input,
      createdAt: now.toISOString(),
      lastUsedAt: null,
    };
    const fields = toFields(record);
    const created = await this.redis.eval(
      CREATE,
      4,
      nameKey(record.name),
      hashKey(sha256Hex(key)),
      recKey(record.id),
      IDS,
      record.id,
      now.getTime(),
      ...fields,
      'sha256',
      sha256Hex(key),
    );
    return created === 1 ? { record, key } : 'duplicate';
  }

  async get(id: string): Promise<IssuedKeyRecord | undefined> {
    const fields = await this.redis.hgetall(recKey(id));
    return fields.id ? fromFields(fields) : undefined;
  }

  /** Oldest first. */
  async list(offset: number, count: number): Promise<{ items: IssuedKeyRecord[]; total: number }> {
    const [[, total], [, ids]] = (await this.redis
      .multi()
      .zcard(IDS)
      .zrange(IDS, offset, count > 0 ? offset + count - 1 : offset - 1)
      .exec()) as [[null, number], [null, string[]]];
    if (count <= 0 || ids.length === 0) return { items: [], total };
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(recKey(id));
    const rows = (await pipeline.exec()) ?? [];
    const items = rows
      .map(([, fields]) => fields as Record<string, string>)
      .filter((fields) => fields.id)
      .map(fromFields);
    return { items, total };
  }

  async revoke(id: string): Promise<boolean> {
    const done = (await this.redis.eval(REVOKE, 2, recKey(id), IDS, this.prefix, id)) === 1;
    if (done) await this.announce(id);
    return done;
  }

  /** A new key for `id`; the old one works `graceSeconds` longer. Undefined: no such key. */
  async rotate(id: string, graceSeconds: number): Promise<{ record: IssuedKeyRecord; key: string } | undefined> {
    const key = newSecret();
    const sha = sha256Hex(key);
    const done = await this.redis.eval(ROTATE, 2, recKey(id), hashKey(sha), this.prefix, id, sha, graceSeconds * 1000);
    if (done !== 1) return undefined;
    await this.announce(id);
    const record = await this.get(id);
    return record ? { record, key } : undefined;
  }

  /** The key whose SHA-256 (hex) this is; one round trip. */
  async lookup(sha256: string): Promise<IssuedKeyLookup | undefined> {
    const reply = (await this.redis.eval(LOOKUP, 1, hashKey(sha256), this.prefix)) as [number, string[]] | null;
    if (!reply) return undefined;
    const [pttl, flat] = reply;
    const fields: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
    return { record: fromFields(fields), graceMs: pttl >= 0 ? pttl : undefined };
  }

  async touch(id: string, lastUsedAt: string): Promise<void> {
    await this.redis.eval(TOUCH, 1, recKey(id), lastUsedAt);
  }

  /** lastUsedAt of a configured key: one SET (a later minute simply replaces an earlier one). */
  async touchConfigured(id: string, lastUsedAt: string): Promise<void> {
    await this.redis.set(usedKey(id), lastUsedAt);
  }

  /** lastUsedAt of configured keys, in order; null where never used (or Redis cannot say). */
  async configuredLastUsed(ids: string[]): Promise<(string | null)[]> {
    if (ids.length === 0) return [];
    return this.redis.mget(...ids.map(usedKey)).catch(() => ids.map(() => null));
  }

  /** Tells every replica to forget what it cached about this key. */
  async announce(id: string): Promise<void> {
    await this.redis.publish(this.channel, id);
  }
}

function toFields(record: IssuedKeyRecord): string[] {
  return [
    'id',
    record.id,
    'name',
    record.name,
    'scopes',
    JSON.stringify(record.scopes),
    'createdAt',
    record.createdAt,
    'expiresAt',
    record.expiresAt ?? '',
    'rateLimitPerMinute',
    record.rateLimitPerMinute === null ? '' : String(record.rateLimitPerMinute),
    'lastUsedAt',
    record.lastUsedAt ?? '',
  ];
}

function fromFields(fields: Record<string, string>): IssuedKeyRecord {
  return {
    id: fields.id!,
    name: fields.name!,
    scopes: JSON.parse(fields.scopes ?? '[]') as Scope[],
    createdAt: fields.createdAt!,
    expiresAt: fields.expiresAt || null,
    rateLimitPerMinute: fields.rateLimitPerMinute ? Number(fields.rateLimitPerMinute) : null,
    lastUsedAt: fields.lastUsedAt || null,
  };
}
