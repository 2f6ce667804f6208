import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { REDIS } from './redis.token';

interface Subscription {
  onMessage: (message: string) => void;
  /** After every (re)connection: messages sent while disconnected are lost (pub/sub is at-most-once). */
  onReady?: () => void;
}

/**
 * One pub/sub connection per process for in-process copies that other replicas invalidate
 * (API keys, status-cache entries). Channels are not prefixed by ioredis: callers put
 * REDIS_KEY_PREFIX in the channel name themselves.
 */
@Injectable()
export class RedisSubscriber implements OnApplicationShutdown {
  private readonly logger = new Logger('RedisSubscriber');
  private readonly subscriptions = new Map<string, Subscription[]>();
  private connection?: Redis;

  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Resolves once subscribed; a failure is logged and leaves the caller on its own expiry times. */
  async subscribe(channel: string, subscription: Subscription): Promise<void> {
    const connection = this.connect();
    const existing = this.subscriptions.get(channel);
    if (existing) return void existing.push(subscription);
    this.subscriptions.set(channel, [subscription]);
    try {
      await connection.subscribe(channel);
    } catch (err) {
      this.logger.warn(
        { channel, err: String(err) },
        'invalidations unavailable; in-process copies expire on their own',
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const connection = this.connection;
    if (!connection) return;
    await connection.quit().catch(() => connection.disconnect());
  }

  private connect(): Redis {
    if (this.connection) return this.connection;
    const connection = this.redis.duplicate({ enableOfflineQueue: true });
    connection.on('error', () => undefined);
    connection.on('message', (channel: string, message: string) => {
      for (const s of this.subscriptions.get(channel) ?? []) s.onMessage(message);
    });
    // ioredis resubscribes by itself after a reconnection, but not to a channel whose first
    // SUBSCRIBE failed (Redis down at start): subscribe to every channel again (idempotent),
    // then let each subscriber start over, since messages sent meanwhile are lost.
    connection.on('ready', () => {
      connection
        .subscribe(...this.subscriptions.keys())
        .catch(() => undefined)
        .finally(() => {
          for (const list of this.subscriptions.values()) for (const s of list) s.onReady?.();
        });
    });
    this.connection = connection;
    return connection;
  }
}
