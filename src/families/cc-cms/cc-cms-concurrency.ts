import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { Semaphore, TimeoutError } from 'redis-semaphore';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/app-config.token';
import { CC_CMS_SETTINGS, CcCmsSettings } from './cc-cms.config';
import { REDIS } from '../../redis/redis.module';

/**
 * CC-CMS takes at most 10 concurrent calls in total. A Redis semaphore (redis-semaphore) holds
 * one lease per call in flight across every replica; a lease expires on its own if its replica
 * dies, so a crash cannot leak a slot. Callers wait a bounded time, then get 503.
 */
@Injectable()
export class CcCmsConcurrency {
  private readonly limit: number;
  private readonly waitMs: number;
  private readonly leaseMs: number;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CC_CMS_SETTINGS) settings: CcCmsSettings,
  ) {
    this.limit = settings.maxConcurrency;
    this.waitMs = settings.queueTimeoutMs;
    // A call cannot outlive its deadline, so the lease needs no refreshing.
    this.leaseMs = config.upstreamTimeoutMs + 2000;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const semaphore = new Semaphore(this.redis, 'cc-cms:inflight', this.limit, {
      lockTimeout: this.leaseMs,
      acquireTimeout: this.waitMs,
      retryInterval: 10,
      refreshInterval: 0,
    });
    try {
      await semaphore.acquire();
    } catch (err) {
      if (err instanceof TimeoutError) {
        throw new AppError(
          ErrorCode.UPSTREAM_UNAVAILABLE,
          `CC-CMS is at its limit of ${this.limit} concurrent requests; retry shortly.`,
          { status: 503, retryAfterSeconds: 1, upstream: { service: 'cc-cms' } },
        );
      }
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The concurrency store is unavailable; try again shortly.', {
        retryAfterSeconds: 1,
        cause: err,
      });
    }
    try {
      return await call();
    } finally {
      await semaphore.release().catch(() => undefined);
    }
  }
}
