import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { APP_CONFIG } from '../config/app-config.token';
import type { AppConfig } from '../config/app-config';
import { REDIS } from '../redis/redis.module';

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/**
 * Per-API-key request budget per minute, shared by every replica through Redis (atomic Lua
 * increment inside rate-limiter-flexible): RATE_LIMIT_PER_MINUTE, or the key's own
 * `rateLimitPerMinute`. While Redis is unreachable a per-process limiter takes over, so an
 * outage degrades the limit instead of failing every request.
 */
@Injectable()
export class RateLimitService {
  /** One limiter per budget size in use (most keys share the default one). */
  private readonly limiters = new Map<number, RateLimiterRedis>();
  private readonly defaultPoints: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.defaultPoints = config.rateLimitPerMinute;
  }

  async consume(keyId: string, ownLimit?: number | null): Promise<RateLimitDecision> {
    const points = ownLimit ?? this.defaultPoints;
    try {
      const res = await this.limiter(points).consume(keyId, 1);
      return decision(true, points, res);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return decision(false, points, rejection);
      throw rejection;
    }
  }

  private limiter(points: number): RateLimiterRedis {
    let limiter = this.limiters.get(points);
    if (!limiter) {
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: 'ratelimit',
        points,
        duration: 60,
        insuranceLimiter: new RateLimiterMemory({ points, duration: 60 }),
      });
      this.limiters.set(points, limiter);
    }
    return limiter;
  }
}

function decision(allowed: boolean, limit: number, res: RateLimiterRes): RateLimitDecision {
  return {
    allowed,
    limit,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  };
}
