import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG } from '../config/app-config.token';
import type { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

const WINDOW_MS = 60_000;
/** Largest batch one replica leases at once (see docs/performance.md, "exactness bound"). */
export const MAX_LEASE = 16;

/**
 * Leases points of the key's fixed 60 s window, atomically across replicas.
 * KEYS[1] counter (`ratelimit:<key>`, the admitted total of the window, expiring with it),
 * KEYS[2] the set of replicas that leased in this window (its size R).
 * ARGV: limit, window ms, replica id, max batch.
 * Batch B = clamp(floor((limit - used) / (2 R)), 1, max batch), granted = min(B, limit - used).
 * Returns {granted, used after the lease, window ms left}.
 */
const LEASE = `
local limit = tonumber(ARGV[1])
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then used = 0; ttl = tonumber(ARGV[2]) end
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ttl)
local left = limit - used
if left <= 0 then return {0, used, ttl} end
local batch = math.floor(left / (2 * redis.call('SCARD', KEYS[2])))
if batch < 1 then batch = 1 end
if batch > tonumber(ARGV[4]) then batch = tonumber(ARGV[4]) end
if batch > left then batch = left end
if used == 0 then redis.call('SET', KEYS[1], batch, 'PX', ttl) else redis.call('INCRBY', KEYS[1], batch) end
return {batch, used + batch, ttl}
`;

/** Gives unused points back, only to the window they were leased from (its end within 1 s). */
const GIVE_BACK = `
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 or math.abs(ttl - tonumber(ARGV[2])) > 1000 then return 0 end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local back = math.min(tonumber(ARGV[1]), used)
if back > 0 then redis.call('DECRBY', KEYS[1], back) end
return back
`;

interface Allowance {
  limit: number;
  /** Points leased to this process and not yet used (valid until windowEnd). */
  points: number;
  /** Admitted total in Redis after this process's last lease (includes `points`). */
  used: number;
  windowEnd: number;
  /** Redis had nothing left for this window: refuse locally until windowEnd. */
  exhausted: boolean;
  /** The one lease in flight for this key in this process. */
  lease: Promise<void> | null;
}

/**
 * Per-API-key request budget per minute, shared by every replica through Redis:
 * RATE_LIMIT_PER_MINUTE, or the key's own `rateLimitPerMinute`.
 *
 * The window's points are leased from Redis in small batches by one Lua script (atomic across
 * replicas) and spent locally without a round trip; the admitted total never exceeds the limit,
 * and at most R x (MAX_LEASE - 1) requests per window can be refused early (points leased by a
 * replica and unused when the window ends): see docs/performance.md. Near the limit the batch is
 * one point, i.e. one exact round trip per request. While Redis is unreachable a per-process
 * limiter takes over, so an outage degrades the limit instead of failing every request.
 */
@Injectable()
export class RateLimitService implements BeforeApplicationShutdown {
  private readonly allowances = new Map<string, Allowance>();
  /** Per-process insurance limiters while Redis is down, one per budget size. */
  private readonly insurance = new Map<number, RateLimiterMemory>();
  private readonly defaultPoints: number;
  private readonly replicaId = randomUUID();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.defaultPoints = config.rateLimitPerMinute;
  }

  /**
   * The decision without I/O when this process holds leased points for the key (the common case),
   * else undefined: then call `consume`.
   */
  tryLocal(keyId: string, ownLimit?: number | null): RateLimitDecision | undefined {
    const a = this.allowances.get(keyId);
    if (a === undefined || a.limit !== (ownLimit ?? this.defaultPoints)) return undefined;
    const now = Date.now();
    if (a.windowEnd <= now) return undefined;
    if (a.points > 0) {
      a.points--;
      return { allowed: true, limit: a.limit, remaining: a.limit - a.used + a.points, resetSeconds: seconds(a, now) };
    }
    if (a.exhausted) return { allowed: false, limit: a.limit, remaining: 0, resetSeconds: seconds(a, now) };
    return undefined;
  }

  async consume(keyId: string, ownLimit?: number | null): Promise<RateLimitDecision> {
    const limit = ownLimit ?? this.defaultPoints;
    for (;;) {
      const local = this.tryLocal(keyId, limit);
      if (local) return local;
      let a = this.allowances.get(keyId);
      if (a === undefined || a.limit !== limit || a.windowEnd <= Date.now()) {
        // New key, new window, or the key's own limit changed: points of the old state are dropped.
        if (a?.lease) {
          await a.lease;
          continue;
        }
        a = { limit, points: 0, used: 0, windowEnd: 0, exhausted: false, lease: null };
        this.allowances.set(keyId, a);
      }
      if (!a.lease) this.lease(keyId, a);
      await a.lease;
      if (a.windowEnd === -1) return this.consumeInsurance(keyId, limit);
    }
  }

  /** Starts the one lease in flight for the key (ioredis fails fast while Redis is down: no offline queue). */
  private lease(keyId: string, a: Allowance): void {
    const key = `ratelimit:${keyId}`;
    a.lease = (
      this.redis.eval(LEASE, 2, key, `${key}:replicas`, a.limit, WINDOW_MS, this.replicaId, MAX_LEASE) as Promise<
        [number, number, number]
      >
    ).then(
      ([granted, used, ttl]) => {
        a.points += granted;
        a.used = used;
        a.windowEnd = Date.now() + ttl;
        a.exhausted = granted === 0;
        a.lease = null;
      },
      () => {
        // Redis unreachable: this and the waiting requests go to the insurance limiter.
        a.windowEnd = -1;
        a.lease = null;
        if (this.allowances.get(keyId) === a) this.allowances.delete(keyId);
      },
    );
  }

  private async consumeInsurance(keyId: string, limit: number): Promise<RateLimitDecision> {
    let limiter = this.insurance.get(limit);
    if (!limiter) {
      limiter = new RateLimiterMemory({ points: limit, duration: WINDOW_MS / 1000 });
      this.insurance.set(limit, limiter);
    }
    try {
      return fromRes(true, limit, await limiter.consume(keyId, 1));
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return fromRes(false, limit, rejection);
      throw rejection;
    }
  }

  /** Gives the points this process leased and did not use back to their window (best effort). */
  async beforeApplicationShutdown(): Promise<void> {
    const now = Date.now();
    const returns: Promise<unknown>[] = [];
    for (const [keyId, a] of this.allowances) {
      if (a.points <= 0 || a.windowEnd - now < 1000) continue;
      returns.push(
        this.redis.eval(GIVE_BACK, 1, `ratelimit:${keyId}`, a.points, a.windowEnd - now).catch(() => undefined),
      );
      a.points = 0;
    }
    this.allowances.clear();
    await Promise.all(returns);
  }
}

function seconds(a: Allowance, now: number): number {
  return Math.max(1, Math.ceil((a.windowEnd - now) / 1000));
}

function fromRes(allowed: boolean, limit: number, res: RateLimiterRes): RateLimitDecision {
  return {
    allowed,
    limit,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  };
}
