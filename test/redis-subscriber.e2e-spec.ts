import Redis from 'ioredis';
import { ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppConfig } from '../src/config/app-config';
import { createRedis } from '../src/redis/redis.module';
import { RedisSubscriber } from '../src/redis/redis-subscriber';
import { freePort } from './support/processes';

/**
 * Redis down when the gateway starts: the first SUBSCRIBE fails (no offline queue), and the
 * subscription must still be made once Redis comes up, or invalidations would be lost for good.
 */
describe('RedisSubscriber', () => {
  let server: ChildProcess | undefined;
  let redis: Redis | undefined;
  let subscriber: RedisSubscriber | undefined;

  afterEach(async () => {
    await subscriber?.onApplicationShutdown();
    redis?.disconnect();
    server?.kill('SIGKILL');
  });

  it('subscribes once Redis comes up after a failed first SUBSCRIBE, and lets subscribers start over', async () => {
    const port = await freePort();
    redis = createRedis({ redisUrl: `redis://127.0.0.1:${port}`, redisKeyPrefix: 'cgw-test:' } as AppConfig);
    subscriber = new RedisSubscriber(redis);
    const messages: string[] = [];
    let readies = 0;
    await subscriber.subscribe('cgw-test:channel', {
      onMessage: (message) => messages.push(message),
      onReady: () => readies++,
    });
    expect(readies).toBe(0);

    server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const publisher = new Redis(port, '127.0.0.1', { lazyConnect: true });
    try {
      for (let i = 0; i < 100 && messages.length === 0; i++) {
        await sleep(100);
        await publisher.publish('cgw-test:channel', 'revoked').catch(() => 0);
      }
    } finally {
      publisher.disconnect();
    }
    expect(messages[0]).toBe('revoked');
    expect(readies).toBeGreaterThanOrEqual(1);
  }, 20_000);
});
