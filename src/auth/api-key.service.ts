import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { createHash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG } from '../config/app-config.token';
import type { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import { RedisSubscriber } from '../redis/redis-subscriber';
import { IssuedKeyRecord, IssuedKeyStore } from './issued-keys.store';
import type { Principal } from './principal';

/** SHA-256 of a presented secret (API key or bearer token). */
export function secretHash(presented: string): Buffer {
  return createHash('sha256').update(presented, 'utf8').digest();
}

/**
 * How long this process trusts what it cached about an issued key without hearing from Redis:
 * the safety net should an invalidation message be lost (pub/sub is at-most-once).
 */
const CACHE_TTL_MS = 5000;
/** An unknown hash is remembered this long (guesses stay cheap; new keys are random). */
const NEGATIVE_TTL_MS = 2000;
const MAX_CACHED = 10_000;

export type Authentication = { principal: Principal } | { expired: string } | { unavailable: true } | undefined;

interface CacheEntry {
  principal?: Principal;
  /** The entry is trusted until then (TTL, or the end of a rotated-out key's grace). */
  until: number;
}

function configuredKeyId(name: string): string {
  return `cfg_${name}`;
}

/**
 * Resolves an X-API-Key to its principal by SHA-256: configured keys (API_KEYS, compared in
 * constant time) and issued keys (Redis). What Redis says about a hash is cached in process for
 * a few seconds, so a key check stays off Redis on the hot path; every replica drops an issued
 * key's entries as soon as a revocation or rotation is announced over pub/sub.
 */
@Injectable()
export class ApiKeyService implements OnModuleInit {
  private readonly keys: { hash: Buffer; principal: Principal }[];
  readonly store: IssuedKeyStore;
  private readonly cache = new Map<string, CacheEntry>();
  /** Bumped by every invalidation: a lookup that started before one is not cached. */
  private generation = 0;
  /** id -> minute (epoch ms) last written as lastUsedAt by this process. */
  private readonly touched = new Map<string, number>();

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(REDIS) redis: Redis,
    private readonly invalidations: RedisSubscriber,
  ) {
    this.keys = config.apiKeys.map((k) => ({
      hash: Buffer.from(k.sha256, 'hex'),
      principal: {
        id: configuredKeyId(k.name),
        name: k.name,
        scopes: k.scopes,
        source: 'config',
        expiresAt: null,
        rateLimitPerMinute: null,
      },
    }));
    this.store = new IssuedKeyStore(redis, config.redisKeyPrefix);
  }

  get configured(): Principal[] {
    return this.keys.map((k) => k.principal);
  }

  async onModuleInit(): Promise<void> {
    await this.invalidations.subscribe(this.store.channel, {
      onMessage: (id) => this.forget(id),
      // Messages sent while disconnected are lost: start over after every (re)connection.
      onReady: () => this.forgetAll(),
    });
  }

  /** The principal whose key has this SHA-256 (see secretHash), if any. */
  async authenticate(hash: Buffer): Promise<Authentication> {
    let found: Principal | undefined;
    // Compare against every key so the time taken does not tell which one (if any) matched.
    for (const key of this.keys) {
      if (timingSafeEqual(key.hash, hash)) found = key.principal;
    }
    if (found) {
      this.touch(found, Date.now());
      return { principal: found };
    }
    const hex = hash.toString('hex');
    const now = Date.now();
    let entry = this.cache.get(hex);
    if (!entry || entry.until <= now) {
      try {
        entry = await this.load(hex);
      } catch {
        // Redis unreachable: a key this process knew keeps working; any other cannot be checked.
        if (!entry?.principal) return { unavailable: true };
      }
    }
    const principal = entry.principal;
    if (!principal) return undefined;
    if (principal.expiresAt && Date.parse(principal.expiresAt) <= now) return { expired: principal.expiresAt };
    this.touch(principal, now);
    return { principal };
  }

  /** Drops what this process cached about an issued key (revoked, rotated). */
  forget(id: string): void {
    this.generation++;
    for (const [hex, entry] of this.cache) if (entry.principal?.id === id) this.cache.delete(hex);
  }

  private forgetAll(): void {
    this.generation++;
    this.cache.clear();
  }

  private async load(hex: string): Promise<CacheEntry> {
    const generation = this.generation;
    const found = await this.store.lookup(hex);
    const now = Date.now();
    const entry: CacheEntry = found
      ? { principal: issuedPrincipal(found.record), until: now + Math.min(CACHE_TTL_MS, found.graceMs ?? Infinity) }
      : { until: now + NEGATIVE_TTL_MS };
    if (generation === this.generation) {
      this.cache.delete(hex);
      this.cache.set(hex, entry);
      if (this.cache.size > MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    }
    return entry;
  }

  /** lastUsedAt to the minute: at most one write per key per minute per process. */
  private touch({ id, source }: Principal, now: number): void {
    const minuteMs = Math.floor(now / 60_000) * 60_000;
    if (this.touched.get(id) === minuteMs) return;
    this.touched.delete(id);
    this.touched.set(id, minuteMs);
    if (this.touched.size > MAX_CACHED) this.touched.delete(this.touched.keys().next().value as string);
    const minute = new Date(minuteMs).toISOString();
    const write = source === 'config' ? this.store.touchConfigured(id, minute) : this.store.touch(id, minute);
    void write.catch(() => undefined);
  }
}

function issuedPrincipal(record: IssuedKeyRecord): Principal {
  return {
    id: record.id,
    name: record.name,
    scopes: record.scopes,
    source: 'issued',
    expiresAt: record.expiresAt,
    rateLimitPerMinute: record.rateLimitPerMinute,
  };
}
