import { Inject, Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, UpstreamDetail, UpstreamService } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { APP_CONFIG } from '../config/app-config.token';
import type { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { REDIS } from '../redis/redis.module';
import { TokenCipher } from './token-cipher';
import { requestFields, type RequestScope } from '../common/request-context';

interface IssuedToken {
  token: string;
  /** Lifetime the upstream granted, from its own response. */
  lifetimeMs: number;
}

/** How one upstream's token is obtained; `identity` distinguishes credentials (appId, userId). */
export interface TokenSource {
  service: UpstreamService;
  identity: string;
  /** `scope`: the request that needed the token first (its id and span go upstream), if any. */
  fetch(scope?: RequestScope): Promise<IssuedToken>;
}

/**
 * The upstream refused the token itself (HTTP 401). Not an UpstreamFailure: a stale token says
 * nothing about the upstream's health, so it never counts toward the circuit breaker.
 */
export class TokenRejected extends AppError {
  constructor(service: UpstreamService, upstream: UpstreamDetail) {
    super(ErrorCode.UPSTREAM_AUTH_FAILED, `The ${service} upstream rejected a freshly issued token.`, { upstream });
  }
}

interface CachedToken {
  token: string;
  /** After this, fetch a new one (before expiry, with jitter). */
  refreshAt: number;
  /** The upstream's expiry less a safety margin: never used after this. */
  expiresAt: number;
  /** The ciphertext as stored in Redis, so invalidation deletes only this token. */
  sealed?: string;
  /** The in-process copy is re-checked against Redis after this. */
  memoryUntil: number;
}

const MEMORY_TTL_MS = 30_000;
const LOCK_TTL_MS = 15_000;
const LOCK_POLL_MS = 25;
const EXPIRY_SAFETY_MS = 30_000;

/** Compare-and-delete: releases a lock, or drops a token, only if it is still the one we hold. */
const DELETE_IF_EQUAL = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Upstream tokens shared by every replica: encrypted in Redis, copied briefly in process,
 * fetched once (single flight in process, SET NX lock across replicas), refreshed ahead of
 * expiry, and dropped + refetched once when the upstream rejects one.
 */
@Injectable()
export class TokenManager {
  private readonly logger = new Logger('TokenManager');
  private readonly memory = new Map<string, CachedToken>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly cipher?: TokenCipher;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: MetricsService,
  ) {
    this.cipher = config.tokenEncryptionKey ? new TokenCipher(config.tokenEncryptionKey) : undefined;
  }

  /** A valid token; the hot path is a Map look-up. */
  async get(source: TokenSource, scope?: RequestScope): Promise<string> {
    const key = cacheKey(source);
    const now = Date.now();
    const cached = this.memory.get(key);
    if (cached && now < cached.expiresAt) {
      if (now >= cached.refreshAt || now >= cached.memoryUntil)
        void this.load(source, key, scope).catch(() => undefined);
      this.metrics.tokenCacheHits.inc({ service: source.service, tier: 'memory' });
      return cached.token;
    }
    return (await this.load(source, key, scope)).token;
  }

  /**
   * Runs `call` with a token; if the upstream says the token is invalid (the call throws
   * TokenRejected), drops it, fetches a new one and runs `call` exactly once more.
   */
  async withToken<T>(source: TokenSource, call: (token: string) => Promise<T>, scope?: RequestScope): Promise<T> {
    const token = await this.get(source, scope);
    try {
      return await call(token);
    } catch (err) {
      if (!(err instanceof TokenRejected)) throw err;
      this.logger.warn(
        { ...requestFields(scope), service: source.service },
        'upstream rejected its token; fetching a new one',
      );
      await this.invalidate(source, token);
    }
    return call(await this.get(source, scope));
  }

  async invalidate(source: TokenSource, token: string): Promise<void> {
    const key = cacheKey(source);
    const cached = this.memory.get(key);
    if (cached?.token !== token) return;
    this.memory.delete(key);
    if (cached.sealed) {
      await this.redis.eval(DELETE_IF_EQUAL, 1, key, cached.sealed).catch(() => undefined);
    }
  }

  private load(source: TokenSource, key: string, scope: RequestScope | undefined): Promise<CachedToken> {
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.loadShared(source, key, scope).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async loadShared(source: TokenSource, key: string, scope: RequestScope | undefined): Promise<CachedToken> {
    let entry: CachedToken;
    try {
      entry = await this.loadThroughRedis(source, key, scope);
    } catch (err) {
      if (!isRedisError(err)) throw err;
      // Redis is down: this replica fetches its own token rather than failing requests.
      this.logger.warn(
        { ...requestFields(scope), service: source.service, err: (err as Error).message },
        'Redis unavailable; fetching token without sharing it',
      );
      entry = await this.fetchFresh(source, scope);
    }
    this.memory.set(key, entry);
    return entry;
  }

  private async loadThroughRedis(
    source: TokenSource,
    key: string,
    scope: RequestScope | undefined,
  ): Promise<CachedToken> {
    const deadline = Date.now() + LOCK_TTL_MS;
    const lockKey = `${key}:lock`;
    const owner = randomUUID();
    while (Date.now() < deadline) {
      const shared = await this.readShared(source, key);
      if (shared) return shared;
      if ((await this.redis.set(lockKey, owner, 'PX', LOCK_TTL_MS, 'NX')) === 'OK') {
        try {
          // Another replica may have stored a token between our read and our lock.
          const again = await this.readShared(source, key);
          if (again) return again;
          const fresh = await this.fetchFresh(source, scope);
          fresh.sealed = this.seal(fresh, key);
          await this.redis.set(key, fresh.sealed, 'PX', Math.max(1, fresh.expiresAt - Date.now()));
          return fresh;
        } finally {
          await this.redis.eval(DELETE_IF_EQUAL, 1, lockKey, owner).catch(() => undefined);
        }
      }
      await sleep(LOCK_POLL_MS + Math.random() * LOCK_POLL_MS);
    }
    throw new Error(`timed out waiting for the ${source.service} token lock`);
  }

  private async readShared(source: TokenSource, key: string): Promise<CachedToken | undefined> {
    const sealed = await this.redis.get(key);
    if (!sealed || !this.cipher) return undefined;
    const plain = this.cipher.decrypt(sealed, key);
    if (!plain) return undefined;
    const { t, r, e } = JSON.parse(plain) as { t: string; r: number; e: number };
    const now = Date.now();
    if (now >= r || now >= e) return undefined;
    this.metrics.tokenCacheHits.inc({ service: source.service, tier: 'redis' });
    return { token: t, refreshAt: r, expiresAt: e, sealed, memoryUntil: Math.min(r, now + MEMORY_TTL_MS) };
  }

  private async fetchFresh(source: TokenSource, scope: RequestScope | undefined): Promise<CachedToken> {
    try {
      const issued = await source.fetch(scope);
      this.metrics.tokenFetches.inc({ service: source.service, outcome: 'ok' });
      const now = Date.now();
      const lifetime = Math.max(1000, issued.lifetimeMs);
      const expiresAt = now + Math.max(500, lifetime - Math.min(EXPIRY_SAFETY_MS, lifetime / 10));
      // Refresh once 80-90% of the lifetime has passed; the jitter spreads replicas apart.
      const refreshAt = now + lifetime * (0.8 + Math.random() * 0.1);
      return {
        token: issued.token,
        refreshAt: Math.min(refreshAt, expiresAt),
        expiresAt,
        memoryUntil: Math.min(refreshAt, now + MEMORY_TTL_MS),
      };
    } catch (err) {
      this.metrics.tokenFetches.inc({ service: source.service, outcome: 'error' });
      throw err;
    }
  }

  private seal(entry: CachedToken, key: string): string {
    if (!this.cipher) throw new Error('TOKEN_ENCRYPTION_KEY is required to cache upstream tokens');
    return this.cipher.encrypt(JSON.stringify({ t: entry.token, r: entry.refreshAt, e: entry.expiresAt }), key);
  }
}

function cacheKey(source: TokenSource): string {
  const id = createHash('sha256').update(source.identity).digest('hex').slice(0, 24);
  return `token:${source.service}:${id}`;
}

/** ioredis connection/command failures, as opposed to failures of the upstream fetch itself. */
function isRedisError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'ReplyError' ||
    err.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|Stream isn't writeable|Command timed out|ECONNREFUSED|timed out waiting for the .* token lock/.test(
      err.message,
    )
  );
}
