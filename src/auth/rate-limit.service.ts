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
 * increment inside rate-limiter-flexible). While Redis is unreachable a per-process limiter
 * takes over, so an outage degrades the limit instead of failing every request.
 */
@Injectable()
export class RateLimitService {
  private readonly limiter: RateLimiterRedis;
  private readonly points: number;

  constructor(@Inject(REDIS) redis: Redis, @Inject(APP_CONFIG) config: AppConfig) {
    this.points = config.rateLimitPerMinute;
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: 'ratelimit',
      points: this.points,
      duration: 60,
      insuranceLimiter: new RateLimiterMemory({ points: this.points, duration: 60 }),
    });
  }

  async consume(keyName: string): Promise<RateLimitDecision> {
    try {
      const res = await this.limiter.consume(keyName, 1);
      return this.decision(true, res);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return this.decision(false, rejection);
      throw rejection;
    }
  }

  private decision(allowed: boolean, res: RateLimiterRes): RateLimitDecision {
    return {
      allowed,
      limit: this.points,
      remaining: Math.max(0, res.remainingPoints),
      resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
    };
  }
}
