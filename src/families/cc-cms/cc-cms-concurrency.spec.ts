import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { AppConfig } from '../../config/app-config';
import type { CcCmsSettings } from './cc-cms.config';
import { RedisSubscriber } from '../../redis/redis-subscriber';
import { CcCmsConcurrency, MAX_HANDOFFS, SLOT_LINGER_MS, SLOTS_KEY } from './cc-cms-concurrency';

/** Against the real Redis (Lua on Redis's clock): TEST_REDIS_URL or 127.0.0.1:6379. */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('CcCmsConcurrency: Redis slot leases with local hand-off', () => {
  let prefix: string;
  const clients: Redis[] = [];
  const pools: CcCmsConcurrency[] = [];
  const subscribers: RedisSubscriber[] = [];

  const client = () => {
    const redis = new Redis(REDIS_URL, { keyPrefix: prefix, maxRetriesPerRequest: 1, enableAutoPipelining: true });
    clients.push(redis);
    return redis;
  };
  const pool = (
    options: { limit?: number; queueTimeoutMs?: number; upstreamTimeoutMs?: number; redis?: Redis } = {},
  ) => {
    const redis = options.redis ?? client();
    const subscriber = new RedisSubscriber(redis);
    subscribers.push(subscriber);
    const concurrency = new CcCmsConcurrency(
      redis,
      { upstreamTimeoutMs: options.upstreamTimeoutMs ?? 1000, redisKeyPrefix: prefix } as AppConfig,
      { maxConcurrency: options.limit ?? 1, queueTimeoutMs: options.queueTimeoutMs ?? 5000 } as CcCmsSettings,
      subscriber,
    );
    pools.push(concurrency);
    return concurrency;
  };
  /** The lease members in Redis now. */
  const leases = async () => {
    const redis = new Redis(REDIS_URL);
    try {
      return await redis.zrange(`${prefix}${SLOTS_KEY}`, 0, -1);
    } finally {
      await redis.quit();
    }
  };

  beforeEach(() => {
    prefix = `cgw-test:${randomUUID().slice(0, 8)}:`;
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.beforeApplicationShutdown()));
    await Promise.all(subscribers.splice(0).map((s) => s.onApplicationShutdown()));
    await Promise.all(clients.splice(0).map((c) => (c.status === 'ready' ? c.quit() : c.disconnect())));
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('hands a finished call’s slot to the local waiters in FIFO order, without a Redis release', async () => {
    const redis = client();
    const concurrency = pool({ limit: 1, redis });
    const order: string[] = [];
    const first = deferred();
    const holding = concurrency.run(async () => {
      order.push('a');
      await first.promise;
    });
    await sleep(50);
    const [member] = await leases();
    expect(member).toBeDefined();
    const evalSpy = jest.spyOn(redis, 'eval');
    const rest = ['b', 'c', 'd', 'e'].map((name) =>
      concurrency.run(async () => {
        order.push(name);
        // The one lease is passed on: the same member, never released in between.
        expect(await leases()).toEqual([member]);
        await sleep(5);
      }),
    );
    await sleep(20);
    expect(order).toEqual(['a']);
    first.resolve();
    await Promise.all([holding, ...rest]);
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(concurrency.stats).toMatchObject({ acquired: 1, handoffs: 4, checks: 0, released: 0 });
    // After the first acquire the four waiters cost no Redis call (the loop does not ask for a
    // slot while this process holds the whole limit): the only script run is the release, once
    // the idle slot has lingered.
    expect(evalSpy).toHaveBeenCalledTimes(0);
    await sleep(SLOT_LINGER_MS + 30);
    expect(concurrency.stats.released).toBe(1);
    expect(evalSpy).toHaveBeenCalledTimes(1);
    expect(await leases()).toEqual([]);
  });

  it(`checks the slot in Redis after ${MAX_HANDOFFS} hand-offs in a row (bounded hand-offs)`, async () => {
    const concurrency = pool({ limit: 1 });
    const calls = 2 + 2 * MAX_HANDOFFS;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: calls }, (_, i) =>
        concurrency.run(async () => {
          order.push(i);
          await sleep(1);
        }),
      ),
    );
    expect(order).toEqual(Array.from({ length: calls }, (_, i) => i));
    await sleep(SLOT_LINGER_MS + 30);
    // 1 acquired; 32 hand-offs, a check (renewed: nobody else waits), 32 more, a check, one more.
    expect(concurrency.stats).toMatchObject({ acquired: 1, handoffs: calls - 1, checks: 2, yielded: 0, released: 1 });
  });

  it('awaits a renewal before a hand-off when the lease left would not outlast the next call', async () => {
    // Lease = 100 + 2000 ms; a hand-off needs 100 + 1000 ms left: a call of 1.1 s uses that up.
    const concurrency = pool({ limit: 1, upstreamTimeoutMs: 100 });
    const redis = new Redis(REDIS_URL);
    try {
      const key = `${prefix}${SLOTS_KEY}`;
      let scoreBefore = 0;
      const long = concurrency.run(async () => {
        await sleep(20);
        scoreBefore = Number((await redis.zrange(key, 0, 0, 'WITHSCORES'))[1]);
        await sleep(1100);
      });
      await sleep(10);
      let scoreDuring = 0;
      await concurrency.run(async () => {
        scoreDuring = Number((await redis.zrange(key, 0, 0, 'WITHSCORES'))[1]);
      });
      await long;
      expect(concurrency.stats).toMatchObject({ acquired: 1, handoffs: 1, checks: 1 });
      expect(scoreDuring - scoreBefore).toBeGreaterThanOrEqual(1000);
    } finally {
      redis.disconnect();
    }
  });

  it('gives a slot back to a replica queued in Redis within the hand-off bound, never exceeding the limit', async () => {
    const a = pool({ limit: 1 });
    const b = pool({ limit: 1 });
    let inFlight = 0;
    let maxInFlight = 0;
    const events: string[] = [];
    const call = (name: string) => async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      events.push(name);
      await sleep(3);
      inFlight--;
    };
    const busy = Array.from({ length: 3 * MAX_HANDOFFS }, (_, i) => a.run(call(`a${i}`)));
    await sleep(30);
    const startedBefore = events.length;
    await b.run(call('b'));
    const aBetween = events.indexOf('b') - startedBefore;
    await Promise.all(busy);
    await sleep(SLOT_LINGER_MS + 30);
    expect(maxInFlight).toBe(1);
    // b queued while a was handing its slot on: at most MAX_HANDOFFS more a-calls, then it yields.
    expect(aBetween).toBeLessThanOrEqual(MAX_HANDOFFS + 1);
    expect(events.indexOf('b')).toBeLessThan(events.length - 1);
    expect(a.stats.yielded).toBeGreaterThanOrEqual(1);
    expect(await leases()).toEqual([]);
  });

  it('keeps the limit exact over three replicas with overlapping random calls, and serves every replica', async () => {
    const replicas = [pool({ limit: 3 }), pool({ limit: 3 }), pool({ limit: 3 })];
    let inFlight = 0;
    let maxInFlight = 0;
    const served = [0, 0, 0];
    await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        replicas[i % 3]!.run(async () => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await sleep(1 + (i % 7));
          inFlight--;
          served[i % 3]!++;
        }),
      ),
    );
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThanOrEqual(2);
    expect(served).toEqual([50, 50, 50]);
    await sleep(SLOT_LINGER_MS + 30);
    expect(await leases()).toEqual([]);
  });

  it('answers 503 UPSTREAM_UNAVAILABLE with Retry-After 1 after the queue timeout', async () => {
    const holder = pool({ limit: 1 });
    const impatient = pool({ limit: 1, queueTimeoutMs: 100 });
    const release = deferred();
    const held = holder.run(() => release.promise);
    await sleep(30);
    const started = Date.now();
    const err = (await impatient.run(() => Promise.resolve('never')).catch((e: unknown) => e)) as AppError;
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe(ErrorCode.UPSTREAM_UNAVAILABLE);
    expect(err.detail).toBe('CC-CMS is at its limit of 1 concurrent requests; retry shortly.');
    expect(err.options).toMatchObject({ status: 503, retryAfterSeconds: 1, upstream: { service: 'cc-cms' } });
    release.resolve();
    await held;
    // A local waiter behind a call of its own replica times out the same way.
    const localHeld = impatient.run(() => sleep(300));
    await sleep(20);
    await expect(impatient.run(() => Promise.resolve())).rejects.toMatchObject({
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
      options: { status: 503, retryAfterSeconds: 1 },
    });
    await localHeld;
  });

  it("takes a dead holder's slot once its lease expires", async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const [seconds, micros] = await redis.time();
      const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      await redis.zadd(`${prefix}${SLOTS_KEY}`, now + 300, 'dead-replica:1');
      const concurrency = pool({ limit: 1 });
      const started = Date.now();
      expect(await concurrency.run(() => Promise.resolve('ok'))).toBe('ok');
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    } finally {
      redis.disconnect();
    }
  });

  it('answers 503 SERVICE_UNAVAILABLE when Redis is unreachable', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      keyPrefix: prefix,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    clients.push(down);
    const concurrency = pool({ redis: down });
    const err = (await concurrency.run(() => Promise.resolve()).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe(ErrorCode.SERVICE_UNAVAILABLE);
    expect(err.detail).toBe('The concurrency store is unavailable; try again shortly.');
    expect(err.options.retryAfterSeconds).toBe(1);
  });

  it('lets an idle slot linger: sequential calls share one ACQUIRE, released only after the linger time', async () => {
    const redis = client();
    const concurrency = pool({ limit: 1, redis });
    const evalSpy = jest.spyOn(redis, 'eval');
    // One after another, never overlapping, with a gap well under the linger time.
    const calls = MAX_HANDOFFS + 3;
    for (let i = 0; i < calls; i++) {
      await concurrency.run(() => sleep(1));
      await sleep(1);
    }
    // One ACQUIRE, and the one CHECK the hand-off bound asks for (a reuse counts as a hand-off).
    expect(concurrency.stats).toMatchObject({
      attempts: 1,
      acquired: 1,
      lingered: calls - 1,
      handoffs: calls - 1,
      checks: 1,
      yielded: 0,
      released: 0,
    });
    expect(evalSpy).toHaveBeenCalledTimes(2);
    // Still leased while it lingers; no RELEASE before the linger time is over.
    expect(await leases()).toHaveLength(1);
    await sleep(SLOT_LINGER_MS + 30);
    expect(concurrency.stats.released).toBe(1);
    expect(evalSpy).toHaveBeenCalledTimes(3);
    expect(await leases()).toEqual([]);
  });

  it('counts lingering slots as held: callers take them and the acquire loop asks Redis for none', async () => {
    const concurrency = pool({ limit: 2 });
    let inFlight = 0;
    let maxInFlight = 0;
    const call = async () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(5);
      inFlight--;
    };
    await Promise.all([concurrency.run(call), concurrency.run(call)]);
    expect(await leases()).toHaveLength(2);
    const { attempts } = concurrency.stats;
    // Two take the lingering slots at once, the third waits for a hand-off, not for Redis.
    await Promise.all([concurrency.run(call), concurrency.run(call), concurrency.run(call)]);
    expect(maxInFlight).toBe(2);
    expect(concurrency.stats).toMatchObject({ attempts, acquired: 2, lingered: 2, handoffs: 3 });
  });

  it('releases a lingering slot at once when another replica queues for it', async () => {
    const a = pool({ limit: 1 });
    const b = pool({ limit: 1 });
    // The first call subscribes a to the announcements; its slot lingers, then goes.
    await a.run(() => sleep(1));
    await sleep(SLOT_LINGER_MS + 30);
    expect(await leases()).toEqual([]);
    await a.run(() => sleep(1));
    const aFinished = performance.now();
    const [aMember] = await leases();
    expect(aMember).toBeDefined();
    let bStarted = 0;
    await b.run(async () => {
      bStarted = performance.now();
      expect(await leases()).not.toContain(aMember);
    });
    // b queued (`queued:`), a released its lingering slot on hearing it: before the linger timer.
    expect(bStarted - aFinished).toBeLessThan(SLOT_LINGER_MS);
    expect(a.stats).toMatchObject({ acquired: 2, lingered: 0, released: 2 });
  });

  it('on shutdown releases the lingering slots at once', async () => {
    const concurrency = pool({ limit: 3 });
    await Promise.all(Array.from({ length: 3 }, () => concurrency.run(() => sleep(5))));
    expect(await leases()).toHaveLength(3);
    const started = performance.now();
    await concurrency.beforeApplicationShutdown();
    expect(performance.now() - started).toBeLessThan(SLOT_LINGER_MS);
    expect(concurrency.stats.released).toBe(3);
    expect(await leases()).toEqual([]);
  });

  it('on shutdown refuses queued callers and releases the slots of the calls that finish', async () => {
    const concurrency = pool({ limit: 1 });
    const release = deferred();
    const held = concurrency.run(() => release.promise);
    await sleep(30);
    const queued = concurrency.run(() => Promise.resolve());
    expect(await leases()).toHaveLength(1);
    const closing = concurrency.beforeApplicationShutdown();
    await expect(queued).rejects.toMatchObject({ code: ErrorCode.SERVICE_UNAVAILABLE });
    release.resolve();
    await held;
    await closing;
    expect(await leases()).toEqual([]);
    await expect(concurrency.run(() => Promise.resolve())).rejects.toMatchObject({
      code: ErrorCode.SERVICE_UNAVAILABLE,
    });
  });
});
