import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { requestFields, type RequestScope } from '../common/request-context';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/app-config.token';
import { MetricsService } from '../metrics/metrics.service';
import { REDIS } from '../redis/redis.module';
import { RedisSubscriber } from '../redis/redis-subscriber';

/** How one status read was answered (RFC 9211 Cache-Status: hit, fwd=miss, fwd=request). */
export type CacheOutcome = 'hit' | 'miss' | 'bypass';

/** What a status read records for the response headers (Age, Cache-Status). */
export interface CacheRecord {
  outcome: CacheOutcome;
  /** Time the oldest state in the answer was observed upstream (epoch ms). */
  observedAtMs: number;
}

interface Entry<T> {
  /** Epoch ms the upstream was asked. */
  at: number;
  value: T;
}

const POLL_MS = 15;
/** In-process copies of fresh entries: at most this much heap per process (estimated, below). */
const LOCAL_MAX_BYTES = 16 * 1024 * 1024;
/** Heap a copy takes, estimated from its JSON: the parsed object measured at about twice as much. */
const copyBytes = (key: string, text: string) => 2 * (key.length + text.length) + 64;

interface LocalCopy {
  entry: Entry<unknown>;
  /** Local epoch ms the copy stops being served: `at + TTL`, and never later than TTL after we got it. */
  until: number;
  bytes: number;
}
/** Release the fetch lock only if it is still ours. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * The shared status cache: states observed less than STATUS_CACHE_TTL_MS ago by any replica are
 * answered from Redis. Identical misses make one upstream call across all replicas: one
 * in-process flight per key, and across replicas a `SET NX PX` fetch lock whose holder writes
 * the result; the others poll for it within their deadline, then fetch themselves rather than
 * fail. Failures are never cached. Entries hold API models only (no secrets) and always expire.
 *
 * Each process also keeps what it read or wrote in memory until the entry's own freshness ends
 * (`at + TTL`, never later than the Redis copy, which was written with PX TTL after `at`), so a
 * hit costs no Redis round trip. A bypass refreshes Redis and announces the key over pub/sub:
 * the other replicas drop their copy (a lost message, on reconnection, drops every copy).
 * A value is shared by every request it answers (and keys memoised ETags): never mutate one.
 */
@Injectable()
export class StatusCache implements OnModuleInit {
  private readonly logger = new Logger('StatusCache');
  private readonly ttlMs: number;
  private readonly waitMs: number;
  private readonly inflight = new Map<string, Promise<Entry<unknown>>>();
  private readonly local = new Map<string, LocalCopy>();
  private localBytes = 0;
  /** Refresh announcements (not prefixed by ioredis, so the prefix is in the name). */
  private readonly channel: string;
  /** Tells this process's own announcements apart from the other replicas'. */
  private readonly origin = randomUUID();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly invalidations: RedisSubscriber,
  ) {
    this.ttlMs = config.statusCacheTtlMs;
    this.waitMs = config.upstreamTimeoutMs;
    this.channel = `${config.redisKeyPrefix}status-cache:refreshed`;
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    await this.invalidations.subscribe(this.channel, {
      onMessage: (message) => {
        const [origin, ...keys] = message.split('\n');
        if (origin !== this.origin) keys.forEach((key) => this.dropLocal(key));
      },
      onReady: () => this.clearLocal(),
    });
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /**
   * The state under `key`, fresh from the cache or fetched once for everyone. `route` labels the
   * metrics. The outcome is recorded on the request's scope for the response headers.
   */
  async read<T>(route: string, key: string, fetch: () => Promise<T>, scope: RequestScope | undefined): Promise<T> {
    const bypass = scope?.cacheBypass === true;
    if (!this.enabled) {
      const entry = await this.fetchEntry(fetch);
      this.record(route, 'miss', entry.at, scope);
      return entry.value;
    }
    if (!bypass) {
      const cached = await this.get<T>(key, scope);
      if (cached) {
        this.record(route, 'hit', cached.at, scope);
        return cached.value;
      }
    }
    const entry = (await this.flight(route, key, fetch, scope)) as Entry<T>;
    this.record(route, bypass ? 'bypass' : 'miss', entry.at, scope);
    return entry.value;
  }

  /**
   * Several states in one call (the Meeting batch): fresh ones from the cache, the others through
   * `fetchMissing` (still batched upstream), each then stored under its own key.
   */
  async readMany<T>(
    route: string,
    keys: string[],
    fetchMissing: (missing: number[]) => Promise<T[]>,
    scope: RequestScope | undefined,
  ): Promise<T[]> {
    // With the cache off there is nothing to bypass: every read is a miss, as in read().
    const bypass = this.enabled && scope?.cacheBypass === true;
    const found: (Entry<T> | undefined)[] =
      this.enabled && !bypass ? await this.getMany<T>(keys) : keys.map(() => undefined);
    const missing = found.flatMap((entry, i) => (entry ? [] : [i]));
    let oldest = Math.min(Date.now(), ...found.flatMap((e) => (e ? [e.at] : [])));
    if (missing.length > 0) {
      const at = Date.now();
      const values = await fetchMissing(missing);
      missing.forEach((index, i) => (found[index] = { at, value: values[i]! }));
      if (this.enabled) {
        await this.setMany(
          missing.map((index) => [keys[index]!, found[index]!]),
          bypass,
        );
      }
      oldest = Math.min(oldest, at);
    }
    const outcome: CacheOutcome = missing.length === 0 ? 'hit' : bypass ? 'bypass' : 'miss';
    this.record(route, outcome, oldest, scope);
    return found.map((entry) => entry!.value);
  }

  private record(route: string, outcome: CacheOutcome, observedAtMs: number, scope: RequestScope | undefined): void {
    this.metrics.statusCache.inc({ route, outcome });
    if (scope) scope.cache = { outcome, observedAtMs };
  }

  /** One flight per key in this process; across replicas, the fetch lock. */
  private flight<T>(
    route: string,
    key: string,
    fetch: () => Promise<T>,
    scope: RequestScope | undefined,
  ): Promise<Entry<unknown>> {
    let pending = this.inflight.get(key);
    if (pending) {
      this.metrics.statusCache.inc({ route, outcome: 'coalesced' });
      return pending;
    }
    pending = this.fetchShared(route, key, fetch, scope).finally(() => this.inflight.delete(key));
    this.inflight.set(key, pending);
    return pending;
  }

  private async fetchShared<T>(
    route: string,
    key: string,
    fetch: () => Promise<T>,
    scope: RequestScope | undefined,
  ): Promise<Entry<T>> {
    const bypass = scope?.cacheBypass === true;
    const lockKey = `${key}:fetching`;
    const owner = randomUUID();
    let locked: boolean;
    try {
      locked = (await this.redis.set(lockKey, owner, 'PX', this.waitMs, 'NX')) === 'OK';
    } catch {
      return this.fetchEntry(fetch); // Redis down: answer from the upstream, uncached.
    }
    if (!locked) {
      this.metrics.statusCache.inc({ route, outcome: 'coalesced' });
      const shared = await this.waitForOther<T>(key, lockKey);
      if (shared) return shared;
      return this.fetchEntry(fetch); // the holder failed or took too long: fetch ourselves
    }
    try {
      // Another replica may have stored it between our miss and our lock (it held the lock then).
      const stored = bypass ? undefined : await this.get<T>(key, scope);
      if (stored) return stored;
      const entry = await this.fetchEntry(fetch);
      await this.set(key, entry, bypass);
      return entry;
    } finally {
      await this.redis.eval(RELEASE, 1, lockKey, owner).catch(() => undefined);
    }
  }

  /** Polls for the lock holder's result until it appears, the lock goes, or our deadline passes. */
  private async waitForOther<T>(key: string, lockKey: string): Promise<Entry<T> | undefined> {
    const deadline = Date.now() + this.waitMs;
    while (Date.now() < deadline) {
      await sleep(POLL_MS);
      try {
        const [value, lock] = await Promise.all([this.redis.get(key), this.redis.exists(lockKey)]);
        if (value) return this.fromRedis<T>(key, value);
        if (!lock) return undefined;
      } catch {
        return undefined;
      }
    }
    return undefined;
  }

  private async fetchEntry<T>(fetch: () => Promise<T>): Promise<Entry<T>> {
    const at = Date.now();
    return { at, value: await fetch() };
  }

  private async get<T>(key: string, scope: RequestScope | undefined): Promise<Entry<T> | undefined> {
    const copy = this.localGet<T>(key);
    if (copy) return copy;
    try {
      const text = await this.redis.get(key);
      return text ? this.fromRedis<T>(key, text) : undefined;
    } catch (err) {
      this.logger.warn(
        { ...requestFields(scope), err: (err as Error).message },
        'status cache unavailable; asking the upstream',
      );
      return undefined;
    }
  }

  private async getMany<T>(keys: string[]): Promise<(Entry<T> | undefined)[]> {
    const found = keys.map((key) => this.localGet<T>(key));
    const remote = keys.filter((_, i) => !found[i]);
    if (remote.length === 0) return found;
    try {
      const texts = await this.redis.mget(...remote);
      let next = 0;
      return found.map((copy, i) => {
        if (copy) return copy;
        const text = texts[next++];
        return text ? this.fromRedis<T>(keys[i]!, text) : undefined;
      });
    } catch {
      return found;
    }
  }

  /** Stores a fresh entry; `announce` (a bypass) tells the other replicas to drop their copy. */
  private async set(key: string, entry: Entry<unknown>, announce: boolean): Promise<void> {
    await this.setMany([[key, entry]], announce);
  }

  private async setMany(entries: [string, Entry<unknown>][], announce: boolean): Promise<void> {
    if (entries.length === 0) return;
    const multi = this.redis.multi();
    for (const [key, entry] of entries) {
      const text = JSON.stringify(entry);
      this.keep(key, entry, copyBytes(key, text));
      // Fresh until `at + TTL` wherever it is read: a slow fetch leaves less time (none: not stored).
      const leftMs = this.ttlMs - (Date.now() - entry.at);
      if (leftMs > 0) multi.set(key, text, 'PX', leftMs);
    }
    if (announce) multi.publish(this.channel, [this.origin, ...entries.map(([key]) => key)].join('\n'));
    await multi.exec().catch(() => undefined);
  }

  /** An entry read from Redis: a hit only while fresh (`at + TTL`); kept in memory too. */
  private fromRedis<T>(key: string, text: string): Entry<T> | undefined {
    const entry = JSON.parse(text) as Entry<T>;
    if (Date.now() - entry.at >= this.ttlMs) return undefined;
    return this.keep(key, entry, copyBytes(key, text));
  }

  private localGet<T>(key: string): Entry<T> | undefined {
    const copy = this.local.get(key);
    if (!copy) return undefined;
    if (Date.now() < copy.until) return copy.entry as Entry<T>;
    this.dropLocal(key);
    return undefined;
  }

  /**
   * Keeps an in-process copy while it is fresh and answers with the newest state this process
   * holds for the key: an older entry (a read that raced a refresh) never replaces a newer copy,
   * so one replica's answers never go back in time. Past LOCAL_MAX_BYTES, and whenever the oldest
   * copies have expired, the oldest go first.
   */
  private keep<T>(key: string, entry: Entry<T>, bytes: number): Entry<T> {
    const now = Date.now();
    const held = this.local.get(key);
    if (held && now < held.until && held.entry.at > entry.at) return held.entry as Entry<T>;
    this.dropLocal(key);
    const until = Math.min(entry.at, now) + this.ttlMs;
    if (until <= now || bytes > LOCAL_MAX_BYTES / 8) return entry;
    this.local.set(key, { entry, until, bytes });
    this.localBytes += bytes;
    for (const [oldest, copy] of this.local) {
      if (this.localBytes <= LOCAL_MAX_BYTES && now < copy.until) break;
      this.dropLocal(oldest);
    }
    return entry;
  }

  private dropLocal(key: string): void {
    const copy = this.local.get(key);
    if (!copy) return;
    this.local.delete(key);
    this.localBytes -= copy.bytes;
  }

  private clearLocal(): void {
    this.local.clear();
    this.localBytes = 0;
  }
}
