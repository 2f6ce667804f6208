import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/app-config.token';
import { CC_CMS_SETTINGS, CcCmsSettings } from './cc-cms.config';
import { REDIS } from '../../redis/redis.module';
import { RedisSubscriber } from '../../redis/redis-subscriber';

/** Leases: a sorted set of slot holders (`<replica id>:<n>`) scored by lease expiry (Redis ms). */
export const SLOTS_KEY = 'cc-cms:slots';
/** Replicas waiting for a slot, in turn: replica id scored by when it joined (Redis ms). */
const QUEUE_KEY = 'cc-cms:slots:queue';
/** The queued replicas' heartbeats: replica id scored by when it counts as gone (Redis ms). */
const WAITING_KEY = 'cc-cms:slots:waiting';
const KEYS = [SLOTS_KEY, QUEUE_KEY, WAITING_KEY] as const;

/** A slot is handed from call to call in this process at most this many times before Redis is asked again. */
export const MAX_HANDOFFS = 32;
/**
 * A slot whose call ended with no local caller waiting stays with this process (still leased)
 * this long, so that the next local call takes it without Redis; then it is released. 50 ms is
 * long against the gap between calls once a replica sees ~100 CC-CMS calls/s (random arrivals:
 * 99% come within 50 ms of the previous call's end), short for other replicas: they make a
 * lingering slot go at once by queueing (`queued:`), and if that announcement is lost they wait
 * at most 50 ms more, half a poll at POLL_MAX_MS. Far below LEASE_MARGIN_MS, it never leaves the
 * next call a short lease on its own.
 */
export const SLOT_LINGER_MS = 50;
/** A slot in use is renewed in the background once its lease was set this long ago. */
const RENEW_AFTER_MS = 250;
/**
 * A local hand-off needs the slot's lease to outlast the next call's deadline by this much
 * (event-loop lag, the clock rates of Redis and this host); otherwise the renewal is awaited.
 */
const LEASE_MARGIN_MS = 1000;
/** Waiting on Redis: first poll after this long, doubling up to POLL_MAX_MS (pub/sub wakes earlier). */
const POLL_MIN_MS = 5;
const POLL_MAX_MS = 100;
/** A queued replica that has not polled for this long is dropped from the queue (it died). */
const WAIT_TTL_MS = 1000;
/** On shutdown, calls still in flight get this long to finish and release their slots. */
const SHUTDOWN_WAIT_MS = 1000;

/**
 * Every script starts on Redis's own clock (replicas with skewed clocks agree; `* 1000.0` keeps
 * epoch milliseconds exact where Lua integers are 32-bit, i.e. ioredis-mock), drops expired
 * leases and the queued replicas whose heartbeat lapsed, and counts the other queued replicas.
 * KEYS: slots, queue, waiting; ARGV[1]: this replica's id.
 */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000.0 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local gone = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
for i = 1, #gone do redis.call('ZREM', KEYS[2], gone[i]) end
if #gone > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now) end
local me = ARGV[1]
local queued = redis.call('ZSCORE', KEYS[2], me)
local others = redis.call('ZCARD', KEYS[2])
if queued then others = others - 1 end
local function keep(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
`;

/**
 * Takes up to `wanted` slots in turn. Replicas queued before this one keep one free slot each;
 * of the rest this one gets min(wanted, free - ahead), each leased until now + lease. Served in
 * full it leaves the queue; otherwise it keeps its place (nothing granted) or goes to the back
 * (some granted, announced as `queued:<id>` so that holders stop handing slots on), with a
 * fresh heartbeat.
 * ARGV: id, limit, lease ms, wait ttl ms, channel, then the `wanted` new members.
 * Returns {granted, other queued replicas, ms until the earliest lease expires (-1: none)}.
 */
const ACQUIRE = `${PRELUDE}
local limit = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local wanted = #ARGV - 5
local ahead = others
if queued then ahead = redis.call('ZRANK', KEYS[2], me) end
local grant = limit - redis.call('ZCARD', KEYS[1]) - ahead
if grant > wanted then grant = wanted end
if grant < 0 then grant = 0 end
for i = 1, grant do redis.call('ZADD', KEYS[1], now + lease, ARGV[5 + i]) end
if grant > 0 then keep(KEYS[1], lease) end
if grant < wanted then
  if grant > 0 or not queued then
    redis.call('ZADD', KEYS[2], now, me)
    redis.call('PUBLISH', ARGV[5], 'queued:' .. me)
  end
  redis.call('ZADD', KEYS[3], now + ttl, me)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
elseif queued then
  redis.call('ZREM', KEYS[2], me)
  redis.call('ZREM', KEYS[3], me)
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local untilExpiry = -1
if first[2] then untilExpiry = tonumber(first[2]) - now end
return {grant, others, untilExpiry}
`;

/**
 * A slot this replica holds, checked: gone (expired) -> -1; `yield` = 1 and another replica is
 * queued -> released (and announced: `freed:<id>`) -> 0; else renewed until now + lease -> 1.
 * ARGV: id, member, lease ms, yield (0|1), channel. Returns {outcome, other queued replicas}.
 */
const CHECK = `${PRELUDE}
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return {-1, others} end
if ARGV[4] == '1' and others > 0 then
  redis.call('ZREM', KEYS[1], ARGV[2])
  redis.call('PUBLISH', ARGV[5], 'freed:' .. me)
  return {0, others}
end
local lease = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
keep(KEYS[1], lease)
return {1, others}
`;

/** Releases a slot; announces it (`freed:<id>`) when another replica is queued. ARGV: id, member, channel. */
const RELEASE = `${PRELUDE}
redis.call('ZREM', KEYS[1], ARGV[2])
if others > 0 then redis.call('PUBLISH', ARGV[3], 'freed:' .. me) end
return others
`;

/** This replica no longer waits. ARGV: id. */
const LEAVE = `
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 0
`;

interface Slot {
  member: string;
  /** performance.now() before which the lease surely has not expired (sent time + lease). */
  leaseUntil: number;
  /** When the lease was last set (sent time of the acquire or renewal). */
  leasedAt: number;
  /** Local hand-offs since the slot came from Redis or was last checked there. */
  handoffs: number;
  renewing: boolean;
  /** Set while the slot lingers (no call uses it): releases it after SLOT_LINGER_MS. */
  lingerTimer?: NodeJS.Timeout;
  /** A renewal found the lease gone: the slot goes back to nobody when its call ends. */
  lost: boolean;
  dead: boolean;
}

interface Waiter {
  resolve(slot: Slot): void;
  reject(err: unknown): void;
  timer?: NodeJS.Timeout;
  /** Acquire attempts started before this waiter queued (a later one includes it). */
  mark: number;
  expired: boolean;
}

/** What happened to slots, for tests and diagnostics (counts since start). */
interface SlotStats {
  /** Slots taken from Redis. */
  acquired: number;
  /** Slots handed from a finished call to the next local waiter without Redis. */
  handoffs: number;
  /** Hand-offs that waited for a CHECK (bound reached, another replica waiting, or a short lease). */
  checks: number;
  /** Slots given back because another replica was queued. */
  yielded: number;
  /** Slots released: lingered unused, another replica queued, or shutdown. */
  released: number;
  /** Calls that took a lingering slot (each also counts as a hand-off). */
  lingered: number;
  /** Acquire attempts (each one EVAL for the whole local queue). */
  attempts: number;
}

/**
 * CC-CMS takes at most `maxConcurrency` (10) concurrent calls in total across every replica.
 * A slot is a lease in a Redis sorted set (scored by expiry, on Redis's clock), taken and given
 * back only by Lua scripts, so a crashed replica's slots expire on their own. In the process a
 * slot stays with its replica while local callers wait for one: a finished call hands it to the
 * next local waiter (FIFO) without Redis, at most MAX_HANDOFFS times in a row and never while
 * another replica is known to be queued; then one CHECK script keeps it (renewed) or gives it to
 * the queued replicas. With no local waiter, the slot lingers (still leased) SLOT_LINGER_MS for
 * the next local call, a reuse counting as a hand-off, unless another replica is queued. One
 * acquire loop per process asks Redis for as many slots as local callers wait for, counting the
 * slots it holds (lingering too); replicas wait in turn in a Redis queue, woken by pub/sub when a
 * slot is given back and by a short poll with backoff (expired leases announce nothing). Callers
 * wait at most `queueTimeoutMs`, then get 503. See docs/performance.md, "CC-CMS slots: local
 * handoff".
 */
@Injectable()
export class CcCmsConcurrency implements BeforeApplicationShutdown {
  readonly stats: SlotStats = {
    acquired: 0,
    handoffs: 0,
    checks: 0,
    yielded: 0,
    released: 0,
    lingered: 0,
    attempts: 0,
  };
  private readonly limit: number;
  private readonly waitMs: number;
  private readonly leaseMs: number;
  /** Lease a hand-off needs left: the next call's deadline plus a margin. */
  private readonly handoffLeaseMs: number;
  private readonly replicaId = randomUUID();
  private readonly channel: string;
  private readonly waiters: Waiter[] = [];
  /** Slots this process holds: in use, being checked, or lingering. */
  private held = 0;
  /** Held slots no call uses, waiting SLOT_LINGER_MS for the next local call (newest last). */
  private readonly lingering: Slot[] = [];
  /** Slots being checked in Redis before a hand-off (their waiter is still queued). */
  private checking = 0;
  private seq = 0;
  private pumping = false;
  private attemptsStarted = 0;
  private attemptInFlight = false;
  /** This replica is in the Redis queue. */
  private queued = false;
  /** The last reply from Redis, or a `queued:` announcement since, said another replica is queued. */
  private othersWaiting = false;
  private wakeUp?: () => void;
  /** The acquire loop sleeps because slots of this process will serve every waiter. */
  private covered = false;
  private subscribed = false;
  private closing = false;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(CC_CMS_SETTINGS) settings: CcCmsSettings,
    private readonly announcements: RedisSubscriber,
  ) {
    this.limit = settings.maxConcurrency;
    this.waitMs = settings.queueTimeoutMs;
    // A call cannot outlive its deadline (UPSTREAM_TIMEOUT_MS covers retries too).
    this.leaseMs = config.upstreamTimeoutMs + 2000;
    this.handoffLeaseMs = config.upstreamTimeoutMs + LEASE_MARGIN_MS;
    // ioredis prefixes keys, not channels.
    this.channel = `${config.redisKeyPrefix}${SLOTS_KEY}:events`;
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    const slot = await this.take();
    try {
      return await call();
    } finally {
      this.finish(slot);
    }
  }

  /** Releases what this process holds: queued callers get 503, calls in flight get a moment to finish. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(
        new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The gateway is shutting down; retry on another instance.', {
          retryAfterSeconds: 1,
        }),
      );
    }
    this.releaseLingering();
    this.wake();
    // Slots of calls still running after this stay leased (the call may still reach CC-CMS) and expire.
    const deadline = performance.now() + SHUTDOWN_WAIT_MS;
    while (this.held > 0 && performance.now() < deadline) await delay(10);
    if (this.queued) this.leave();
    await Promise.all(this.pending);
  }

  /** Queues the caller (FIFO) and lets the acquire loop or a finishing call give it a slot. */
  private take(): Promise<Slot> {
    if (this.closing) {
      return Promise.reject(
        new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The gateway is shutting down; retry on another instance.', {
          retryAfterSeconds: 1,
        }),
      );
    }
    return new Promise<Slot>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, mark: this.attemptsStarted, expired: false };
      this.waiters.push(waiter);
      waiter.timer = setTimeout(() => this.expire(waiter), this.waitMs);
      if (this.lingering.length > 0) this.reuse();
      if (this.waiters.length === 0) return;
      this.pump();
      if (this.covered) this.wake();
    });
  }

  /** The caller's wait is over: 503, unless an acquire attempt that includes it is still running. */
  private expire(waiter: Waiter): void {
    if (!this.waiters.includes(waiter)) return;
    if (this.attemptInFlight && waiter.mark < this.attemptsStarted) {
      waiter.expired = true;
      return;
    }
    this.remove(waiter);
    waiter.reject(
      new AppError(
        ErrorCode.UPSTREAM_UNAVAILABLE,
        `CC-CMS is at its limit of ${this.limit} concurrent requests; retry shortly.`,
        { status: 503, retryAfterSeconds: 1, upstream: { service: 'cc-cms' } },
      ),
    );
  }

  private remove(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
    clearTimeout(waiter.timer);
  }

  /** Gives a slot to the first local waiter. */
  private grant(slot: Slot): void {
    const waiter = this.waiters.shift()!;
    clearTimeout(waiter.timer);
    waiter.resolve(slot);
  }

  /** A call ended: its slot goes to the next local waiter, or back to Redis. */
  private finish(slot: Slot): void {
    if (slot.lost || this.closing) this.drop(slot, !slot.lost);
    else this.offer(slot);
  }

  /**
   * Hands the slot to the first local waiter when that needs no Redis: fewer than MAX_HANDOFFS
   * hand-offs since Redis last saw it, no other replica known to be queued, and a lease that
   * outlasts the next call's deadline. Otherwise one CHECK decides (the waiter stays queued).
   */
  private offer(slot: Slot): void {
    if (this.waiters.length === 0) return this.linger(slot);
    const now = performance.now();
    if (this.othersWaiting || slot.handoffs >= MAX_HANDOFFS || slot.leaseUntil - now < this.handoffLeaseMs) {
      return this.check(slot);
    }
    slot.handoffs++;
    this.stats.handoffs++;
    if (!slot.renewing && now - slot.leasedAt >= RENEW_AFTER_MS) this.renew(slot);
    this.grant(slot);
  }

  /** Renews, or yields to a queued replica, before the slot is handed off again. */
  private check(slot: Slot): void {
    this.checking++;
    this.stats.checks++;
    const sentAt = performance.now();
    this.script<[number, number]>(CHECK, slot.member, this.leaseMs, 1, this.channel).then(
      ([outcome, others]) => {
        this.checking--;
        this.noteOthers(others);
        if (outcome === 1) {
          slot.leaseUntil = sentAt + this.leaseMs;
          slot.leasedAt = sentAt;
          slot.handoffs = 0;
          return this.closing ? this.drop(slot, true) : this.offer(slot);
        }
        if (outcome === 0) this.stats.yielded++;
        this.drop(slot, false);
      },
      () => {
        // Redis unreachable: the slot cannot be proven leased; the acquire loop reports the outage.
        this.checking--;
        this.drop(slot, false);
      },
    );
  }

  /** Keeps the lease of a slot in use fresh, without anyone waiting on it. */
  private renew(slot: Slot): void {
    slot.renewing = true;
    const sentAt = performance.now();
    this.script<[number, number]>(CHECK, slot.member, this.leaseMs, 0, this.channel).then(
      ([outcome, others]) => {
        slot.renewing = false;
        this.noteOthers(others);
        if (slot.dead) return;
        if (outcome === 1) {
          slot.leaseUntil = Math.max(slot.leaseUntil, sentAt + this.leaseMs);
          slot.leasedAt = Math.max(slot.leasedAt, sentAt);
        } else {
          slot.lost = true;
        }
      },
      () => {
        // Not renewed: the next hand-off checks in Redis once the lease runs short.
        slot.renewing = false;
      },
    );
  }

  /**
   * No local caller waits for this slot: it stays held (leased) for SLOT_LINGER_MS, released at
   * once instead when another replica is queued or this process is closing.
   */
  private linger(slot: Slot): void {
    if (this.closing || this.othersWaiting || slot.lost) return this.drop(slot, !slot.lost);
    slot.lingerTimer = setTimeout(() => {
      const index = this.lingering.indexOf(slot);
      if (index < 0) return;
      this.lingering.splice(index, 1);
      this.drop(slot, !slot.lost);
    }, SLOT_LINGER_MS);
    slot.lingerTimer.unref();
    this.lingering.push(slot);
  }

  /**
   * A caller queued while a slot lingers: the newest lingering slot (so surplus ones age out) goes
   * to it as a hand-off (same bound and lease rule); a slot a renewal found lost is dropped.
   */
  private reuse(): void {
    let slot: Slot | undefined;
    while ((slot = this.lingering.pop())) {
      clearTimeout(slot.lingerTimer);
      if (!slot.lost) break;
      this.drop(slot, false);
    }
    if (!slot) return;
    this.stats.lingered++;
    this.offer(slot);
  }

  /** A script reply (count of other queued replicas) or a `queued:` announcement: lingering slots go. */
  private noteOthers(others: number): void {
    this.othersWaiting = others > 0;
    if (this.othersWaiting) this.releaseLingering();
  }

  private releaseLingering(): void {
    for (const slot of this.lingering.splice(0)) {
      clearTimeout(slot.lingerTimer);
      this.drop(slot, true);
    }
  }

  /** The slot leaves this process (released in Redis if `release`); the acquire loop may take one. */
  private drop(slot: Slot, release: boolean): void {
    if (slot.dead) return;
    slot.dead = true;
    this.held--;
    if (release) {
      this.stats.released++;
      this.track(this.script(RELEASE, slot.member, this.channel).catch(() => undefined));
    }
    if (this.waiters.length > 0) this.pump();
    this.wake();
  }

  /** Starts the acquire loop unless it runs (one per process). */
  private pump(): void {
    if (this.pumping || this.closing) return;
    this.pumping = true;
    void this.acquireLoop();
  }

  /**
   * Asks Redis for as many slots as local callers wait for (minus slots held or being checked
   * for them), one EVAL at a time; when Redis has none, waits for a pub/sub announcement, a
   * local slot leaving, or a poll with backoff (capped at POLL_MAX_MS, or the earliest lease
   * expiry if sooner), then tries again. Ends when no caller waits.
   */
  private async acquireLoop(): Promise<void> {
    let backoff = POLL_MIN_MS;
    for (;;) {
      if (this.closing || this.waiters.length === 0) break;
      const wanted = Math.min(this.limit - this.held, this.waiters.length - this.checking);
      if (wanted <= 0) {
        // Every waiter gets a slot of this process (all held here, or being checked for them).
        if (this.queued) this.leave();
        this.covered = true;
        await this.idle(POLL_MAX_MS);
        this.covered = false;
        continue;
      }
      const members = Array.from({ length: wanted }, () => `${this.replicaId}:${++this.seq}`);
      this.attemptsStarted++;
      this.attemptInFlight = true;
      this.stats.attempts++;
      const sentAt = performance.now();
      let reply: [number, number, number];
      try {
        reply = await this.script<[number, number, number]>(
          ACQUIRE,
          this.limit,
          this.leaseMs,
          WAIT_TTL_MS,
          this.channel,
          ...members,
        );
      } catch (err) {
        this.attemptInFlight = false;
        this.fail(err);
        break;
      }
      this.attemptInFlight = false;
      // Holders hear of queued replicas at once, waiters of freed slots.
      this.subscribe();
      const [granted, others, untilExpiry] = reply;
      this.noteOthers(others);
      for (let i = 0; i < granted; i++) {
        const slot: Slot = {
          member: members[i]!,
          leaseUntil: sentAt + this.leaseMs,
          leasedAt: sentAt,
          handoffs: 0,
          renewing: false,
          lost: false,
          dead: false,
        };
        this.held++;
        this.stats.acquired++;
        if (this.waiters.length === 0 || this.closing) this.linger(slot);
        // A reply slower than the margin (never under ioredis's 1 s command timeout): check first.
        else if (slot.leaseUntil - performance.now() < this.handoffLeaseMs) this.check(slot);
        else this.grant(slot);
      }
      for (const waiter of this.waiters.filter((w) => w.expired)) this.expire(waiter);
      this.queued = granted < wanted;
      if (granted === wanted) {
        backoff = POLL_MIN_MS;
        continue;
      }
      await this.idle(untilExpiry >= 0 ? Math.min(backoff, untilExpiry + 1) : backoff);
      backoff = Math.min(backoff * 2, POLL_MAX_MS);
    }
    this.pumping = false;
    if (this.queued && this.waiters.length === 0) this.leave();
    // A caller queued by the time the loop noticed its end (shutdown aside) starts it again.
    if (this.waiters.length > 0 && !this.closing) this.pump();
  }

  /** Redis unreachable: every queued caller gets the same 503 the semaphore gave. */
  private fail(err: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(
        new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The concurrency store is unavailable; try again shortly.', {
          retryAfterSeconds: 1,
          cause: err,
        }),
      );
    }
  }

  private leave(): void {
    this.queued = false;
    this.track(this.script(LEAVE).catch(() => undefined));
  }

  /** Waits `ms`, or less when woken (a slot left this process, another replica released one). */
  private idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeUp = done;
    });
  }

  private wake(): void {
    this.wakeUp?.();
  }

  /**
   * Subscribes (once, lazily: at the first acquire) to the announcements: `queued:<id>` (another
   * replica waits: stop handing slots on locally) and `freed:<id>` (a slot may be free: try now).
   */
  private subscribe(): void {
    if (this.subscribed || this.closing) return;
    this.subscribed = true;
    // Without the subscription the poll still finds free slots, only later.
    void this.announcements.subscribe(this.channel, {
      onMessage: (message) => {
        const [kind, from] = message.split(':', 2);
        if (from === this.replicaId) return;
        if (kind === 'queued') this.noteOthers(1);
        else this.wake();
      },
    });
  }

  private script<T = unknown>(lua: string, ...args: (string | number)[]): Promise<T> {
    return this.redis.eval(lua, KEYS.length, ...KEYS, this.replicaId, ...args) as Promise<T>;
  }

  private track(promise: Promise<unknown>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
