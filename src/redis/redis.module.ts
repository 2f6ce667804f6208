import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import Redis, { RedisOptions } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { APP_CONFIG } from '../config/app-config.token';
import type { AppConfig } from '../config/app-config';
import { RedisSubscriber } from './redis-subscriber';

import { REDIS } from './redis.token';

export { REDIS };

/** Owns the one ioredis connection: fail fast, never queue commands while disconnected. */
@Injectable()
export class RedisLifecycle implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Redis');

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get inProcess(): boolean {
    return !this.config.redisUrl && !this.config.redisSentinel;
  }

  async onModuleInit(): Promise<void> {
    if (this.inProcess) {
      this.logger.warn(
        'REDIS_URL is unset and no redis-server was started: an in-process store stands in ' +
          '(one instance only, sandbox use only; its Lua has 32-bit integers, unlike Redis)',
      );
      return;
    }
    // Start even when Redis is down: readiness reports it and ioredis keeps reconnecting.
    if (this.redis.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.redis.off('ready', done);
          resolve();
        };
        const timer = setTimeout(done, 3000);
        this.redis.once('ready', done);
      });
    }
    if (this.redis.status !== 'ready') this.logger.warn('Redis is not reachable yet; retrying in the background');
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.redis.status === 'ready') {
      await this.redis.quit().catch(() => this.redis.disconnect());
      return;
    }
    // Not connected: stop reconnecting and wait (bounded) until ioredis has torn everything down.
    await new Promise<void>((resolve) => {
      if (this.redis.status === 'end') return resolve();
      const timer = setTimeout(resolve, 3000);
      timer.unref();
      this.redis.once('end', () => {
        clearTimeout(timer);
        resolve();
      });
      this.redis.disconnect();
    });
  }
}

/** The gateway's connection settings (also used by `npm run keys`). */
export function createRedis(config: AppConfig): Redis {
  const common: RedisOptions = {
    keyPrefix: config.redisKeyPrefix,
    commandTimeout: 1000,
    connectTimeout: 2000,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // Commands issued in the same tick (rate limit, tokens, quotas of concurrent requests) share one write.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  };
  let redis: Redis;
  if (config.redisSentinel) {
    // ioredis asks the Sentinels for the master, and again after any disconnect: a failover is a
    // reconnect to the promoted replica, with commands failing fast (no offline queue) meanwhile.
    redis = new Redis({
      ...common,
      sentinels: config.redisSentinel.sentinels,
      name: config.redisSentinel.name,
      sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      // A replica's "READONLY" answer means the master changed under us: reconnect to the new one.
      reconnectOnError: (err) => err.message.startsWith('READONLY'),
    });
  } else if (config.redisUrl) {
    redis = new Redis(config.redisUrl, common);
  } else {
    return new RedisMock({ keyPrefix: config.redisKeyPrefix }) as unknown as Redis;
  }
  // Errors surface on the commands that fail; the event only needs to be consumed.
  redis.on('error', () => undefined);
  return redis;
}

@Global()
@Module({
  providers: [{ provide: REDIS, inject: [APP_CONFIG], useFactory: createRedis }, RedisLifecycle, RedisSubscriber],
  exports: [REDIS, RedisLifecycle, RedisSubscriber],
})
export class RedisModule {}
