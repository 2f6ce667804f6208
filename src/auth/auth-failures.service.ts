import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG } from '../config/app-config.token';
import type { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';

/** How long a key that authenticated from an address keeps working there while the address is blocked. */
const KNOWN_GOOD_TTL_MS = 24 * 60 * 60 * 1000;
/** A known-good pair is written to Redis again at most this often per process. */
const KNOWN_GOOD_REFRESH_MS = 10 * 60 * 1000;
/** Bounds of the in-process maps (oldest entries go first). */
const MAX_LOCAL_ENTRIES = 10_000;
/** One aggregated log line per this interval instead of a line per failed attempt. */
const LOG_INTERVAL_MS = 10_000;
const LOGGED_ADDRESSES = 10;

/**
 * Failed authentications per client address and minute (`AUTH_FAILURES_PER_MINUTE`), shared by
 * every replica through Redis (rate-limiter-flexible; a per-process limiter takes over while
 * Redis is unreachable). Once an address is over its budget, its requests get 429 before any
 * key lookup, except with a key that has already authenticated from that address (remembered
 * for 24 h, in process and in Redis): a client sharing an address (NAT, proxy) with someone
 * guessing keys keeps working. Failures are logged as one aggregated line per 10 s.
 */
@Injectable()
export class AuthFailures implements OnApplicationShutdown {
  private readonly logger = new Logger('Auth');
  private readonly limiter: RateLimiterRedis;
  private readonly points: number;
  /** address -> when its block ends (ms epoch), as last seen by this process. */
  private readonly blocked = new Map<string, number>();
  /** `address hash` -> when this process last wrote the pair to Redis. */
  private readonly knownGood = new Map<string, number>();
  private window = newWindow();
  private readonly timer: NodeJS.Timeout;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.points = config.authFailuresPerMinute;
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: 'authfail',
      points: this.points,
      duration: 60,
      insuranceLimiter: new RateLimiterMemory({ points: this.points, duration: 60 }),
    });
    this.timer = setInterval(() => this.flushLog(), LOG_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * Milliseconds this address stays blocked (0: not blocked), checked before any key lookup.
   * `secretHash` (SHA-256 of the presented key or token) exempts a pair that authenticated before.
   */
  async blockedFor(address: string, secretHash?: string): Promise<number> {
    const pair = secretHash ? `${address} ${secretHash}` : undefined;
    const seen = pair ? this.knownGood.get(pair) : undefined;
    if (seen !== undefined && Date.now() - seen < KNOWN_GOOD_TTL_MS) return 0;
    let until = this.blocked.get(address) ?? 0;
    if (until <= Date.now()) {
      this.blocked.delete(address);
      const res = await this.limiter.get(address).catch(() => null);
      // The budget is spent: the next request is refused before its key is looked at.
      until = res && res.consumedPoints >= this.points ? Date.now() + res.msBeforeNext : 0;
      if (until > 0) remember(this.blocked, address, until);
    }
    const left = until - Date.now();
    if (left <= 0) return 0;
    if (secretHash && (await this.isKnownGoodShared(address, secretHash))) {
      remember(this.knownGood, pair!, Date.now());
      return 0;
    }
    return left;
  }

  /**
   * Counts one failed authentication; returns how long the address is blocked if this one was
   * already over the budget (concurrent failures), else 0. A failure that spends the budget
   * blocks the address for the requests that follow.
   */
  async recordFailure(address: string): Promise<number> {
    try {
      const res = await this.limiter.consume(address, 1);
      if (res.remainingPoints <= 0) remember(this.blocked, address, Date.now() + Math.max(1000, res.msBeforeNext));
      return 0;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) return 0;
      const left = Math.max(1000, rejection.msBeforeNext);
      remember(this.blocked, address, Date.now() + left);
      return left;
    }
  }

  /** A key or token authenticated from this address: it keeps working here during a block. */
  recordSuccess(address: string, secretHash: string): void {
    const pair = `${address} ${secretHash}`;
    const written = this.knownGood.get(pair);
    if (written !== undefined && Date.now() - written < KNOWN_GOOD_REFRESH_MS) return;
    remember(this.knownGood, pair, Date.now());
    const key = knownGoodKey(address);
    void this.redis
      .multi()
      .sadd(key, secretHash)
      .pexpire(key, KNOWN_GOOD_TTL_MS)
      .exec()
      .catch(() => undefined);
  }

  /** Adds a failed request (already answered 401 or 429) to the aggregated log line. */
  logFailure(address: string, status: number): void {
    const w = this.window;
    w.count += 1;
    w.statuses[status] = (w.statuses[status] ?? 0) + 1;
    if (w.addresses.size < MAX_LOCAL_ENTRIES || w.addresses.has(address)) {
      w.addresses.set(address, (w.addresses.get(address) ?? 0) + 1);
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.flushLog();
  }

  private async isKnownGoodShared(address: string, secretHash: string): Promise<boolean> {
    return (await this.redis.sismember(knownGoodKey(address), secretHash).catch(() => 0)) === 1;
  }

  private flushLog(): void {
    const w = this.window;
    if (w.count === 0) return;
    this.window = newWindow();
    const top = [...w.addresses.entries()].sort((a, b) => b[1] - a[1]).slice(0, LOGGED_ADDRESSES);
    this.logger.warn(
      {
        failures: w.count,
        seconds: Math.round((Date.now() - w.since) / 1000),
        statuses: w.statuses,
        addresses: Object.fromEntries(top),
        distinctAddresses: w.addresses.size,
      },
      'failed authentications (aggregated)',
    );
  }
}

function newWindow() {
  return { since: Date.now(), count: 0, statuses: {} as Record<number, number>, addresses: new Map<string, number>() };
}

function knownGoodKey(address: string): string {
  return `authok:${address}`;
}

/** Map insertion with a size bound: the oldest entry goes first. */
function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_LOCAL_ENTRIES) map.delete(map.keys().next().value as K);
}
