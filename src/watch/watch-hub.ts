import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Principal } from '../auth/principal';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { problemBody, toAppError } from '../common/errors/problem.filter';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/app-config.token';
import type { FamilyId } from '../families/registry';
import { MetricsService } from '../metrics/metrics.service';
import { GracefulShutdown } from '../lifecycle/graceful-shutdown';
import { REDIS } from '../redis/redis.module';
import { stateJson } from '../common/status-read';
import { SseStream } from './sse-stream';
import type { ItemResult, ProblemEvent, WatchedState, WatchSource } from './watch-source';

/** What a stream route asks for: the family, the watched items and how each item maps to ids. */
export interface WatchRequest {
  family: FamilyId;
  /** Watched items in request order (Meeting numbers, one CC-CMS query, one call id). */
  items: string[];
  /** Ids an item must report (a Meeting number, a call id); a query reports whatever it matches. */
  fixedIds?: (item: string) => string[];
  /** Ends the stream after the event that reports such a state (a call that ended). */
  endsAfter?: (state: WatchedState) => boolean;
}

interface Watcher {
  streamId: string;
  keyName: string;
  request: WatchRequest;
  sse: SseStream;
  /** Per item, per resource id: the last state sent (JSON without observedAt) or MISSING. */
  known: Map<string, Map<string, string>>;
}

interface PollMessage {
  family: FamilyId;
  results: [string, ItemResult][];
}

const MISSING = '\u0000missing';

/** Per API key: drop expired stream slots, refuse past the limit, else take one. */
const TAKE_STREAM_SLOT = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

/**
 * Watch streams with polling shared by all replicas. Each replica records in Redis which items
 * its streams watch (a sorted set per family, scored by expiry and refreshed every tick); one
 * lease per family (`SET NX PX interval`) lets exactly one replica poll all of the family's
 * watched items per interval, in batches; results go to every replica over Redis pub/sub and are
 * kept briefly so a new stream starts with the last known states. A replica that dies stops
 * renewing: its lease lapses within one interval and another watching replica takes over.
 * With no stream left anywhere, nobody takes the lease and the interest entries expire.
 */
@Injectable()
export class WatchHub implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('WatchHub');
  private readonly sources = new Map<FamilyId, WatchSource>();
  private readonly watchers = new Set<Watcher>();
  /** Local interest: family -> item -> number of local streams watching it. */
  private readonly interest = new Map<FamilyId, Map<string, number>>();
  private readonly polling = new Set<FamilyId>();
  private readonly intervalMs: number;
  private readonly tickMs: number;
  private readonly slotTtlMs: number;
  private readonly streamsPerKey: number;
  private readonly channel: string;
  private subscriber?: Redis;
  private subscribed?: Promise<unknown>;
  private ticker?: NodeJS.Timeout;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly shutdown: GracefulShutdown,
  ) {
    this.intervalMs = config.statusPollIntervalMs;
    this.tickMs = Math.max(100, Math.min(1000, Math.floor(this.intervalMs / 4)));
    this.slotTtlMs = Math.max(5000, 3 * this.tickMs);
    this.streamsPerKey = config.streamsPerKey;
    // Pub/sub channels take no key prefix: prefix by hand so gateways on other prefixes stay apart.
    this.channel = `${config.redisKeyPrefix}watch`;
  }

  register(source: WatchSource): void {
    this.sources.set(source.family, source);
  }

  onModuleInit(): void {
    this.ticker = setInterval(() => void this.tick(), this.tickMs);
    this.ticker.unref();
    // Streams end as soon as draining begins, not after the grace period.
    this.shutdown.onDrain(() => this.endStreams());
  }

  private endStreams(): void {
    for (const watcher of this.watchers) watcher.sse.end();
  }

  /**
   * One subscription per process, made on the first stream: its own connection, which queues
   * the SUBSCRIBE until connected (the shared connection fails fast instead).
   */
  private subscribe(): Promise<unknown> {
    if (!this.subscribed) {
      const subscriber = this.redis.duplicate({ enableOfflineQueue: true });
      this.subscriber = subscriber;
      subscriber.on('error', () => undefined);
      subscriber.on('message', (_channel: string, message: string) => this.dispatch(message));
      this.subscribed = subscriber.subscribe(this.channel);
      // A failed subscription is dropped with its connection; the next stream tries afresh.
      this.subscribed.catch(() => {
        subscriber.disconnect();
        if (this.subscriber === subscriber) this.subscriber = undefined;
        this.subscribed = undefined;
      });
    }
    return this.subscribed;
  }

  /** Ends every stream cleanly so clients reconnect to another replica. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.ticker);
    this.endStreams();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  /**
   * Starts a stream on `reply` after the checks that make ordinary problems (the per-key limit);
   * from then on the response is the event stream.
   */
  async open(reply: FastifyReply, principal: Principal, request: WatchRequest): Promise<void> {
    const streamId = randomUUID();
    await this.takeSlot(principal.name, streamId);
    try {
      await Promise.race([
        this.subscribe(),
        sleep(2000, undefined, { ref: false }).then(() => Promise.reject(new Error('subscribe timed out'))),
      ]);
    } catch (err) {
      void this.redis.zrem(this.slotKey(principal.name), streamId).catch(() => undefined);
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The stream registry is unavailable; try again shortly.', {
        retryAfterSeconds: 1,
        cause: err,
      });
    }
    reply.hijack();
    const watcher: Watcher = {
      streamId,
      keyName: principal.name,
      request,
      known: new Map(request.items.map((item) => [item, new Map<string, string>()])),
      sse: new SseStream(reply.raw, reply.getHeaders(), () => this.close(watcher)),
    };
    this.watchers.add(watcher);
    const local = this.localInterest(request.family);
    for (const item of request.items) local.set(item, (local.get(item) ?? 0) + 1);
    this.updateGauges();
    await this.heartbeat(request.family);
    // The last states any replica polled, in request order; then a poll if one is due.
    const last = await this.redis
      .mget(...request.items.map((item) => this.stateKey(request.family, item)))
      .catch(() => request.items.map(() => null));
    request.items.forEach((item, i) => {
      const text = last[i];
      if (text) this.deliver(watcher, item, JSON.parse(text) as ItemResult);
    });
    void this.pollIfDue(request.family);
  }

  private close(watcher: Watcher): void {
    if (!this.watchers.delete(watcher)) return;
    const local = this.localInterest(watcher.request.family);
    for (const item of watcher.request.items) {
      const count = (local.get(item) ?? 1) - 1;
      if (count > 0) local.set(item, count);
      else local.delete(item);
    }
    this.updateGauges();
    void this.redis.zrem(this.slotKey(watcher.keyName), watcher.streamId).catch(() => undefined);
  }

  private async takeSlot(keyName: string, streamId: string): Promise<void> {
    const now = Date.now();
    let taken: number;
    try {
      taken = (await this.redis.eval(
        TAKE_STREAM_SLOT,
        1,
        this.slotKey(keyName),
        now,
        this.streamsPerKey,
        now + this.slotTtlMs,
        streamId,
        this.slotTtlMs * 2,
      )) as number;
    } catch (err) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The stream registry is unavailable; try again shortly.', {
        retryAfterSeconds: 1,
        cause: err,
      });
    }
    if (!taken) {
      throw new AppError(
        ErrorCode.RATE_LIMITED,
        `This API key already has ${this.streamsPerKey} open streams (STREAMS_PER_KEY); close one first.`,
        { retryAfterSeconds: Math.ceil(this.slotTtlMs / 1000) },
      );
    }
  }

  private dispatch(message: string): void {
    let parsed: PollMessage;
    try {
      parsed = JSON.parse(message) as PollMessage;
    } catch {
      return;
    }
    const results = new Map(parsed.results);
    for (const watcher of this.watchers) {
      if (watcher.request.family !== parsed.family) continue;
      for (const item of watcher.request.items) {
        const result = results.get(item);
        if (result) this.deliver(watcher, item, result);
      }
    }
  }

  /** Sends what changed for one item since this stream last heard of it. */
  private deliver(watcher: Watcher, item: string, result: ItemResult): void {
    if (watcher.sse.closed) return;
    if ('problem' in result) {
      watcher.sse.send('problem', result.problem);
      return;
    }
    const known = watcher.known.get(item)!;
    let ended = false;
    const seen = new Set<string>();
    for (const state of result.states) {
      seen.add(state.id);
      const json = stateJson(state);
      if (known.get(state.id) === json) continue;
      known.set(state.id, json);
      watcher.sse.send('status', state);
      if (watcher.request.endsAfter?.(state)) ended = true;
    }
    const expected = new Set([...(watcher.request.fixedIds?.(item) ?? []), ...known.keys()]);
    for (const id of expected) {
      if (seen.has(id) || known.get(id) === MISSING) continue;
      known.set(id, MISSING);
      watcher.sse.send('missing', { id });
    }
    if (ended) watcher.sse.end();
  }

  private async tick(): Promise<void> {
    for (const family of this.interest.keys()) {
      if (this.localInterest(family).size === 0) continue;
      await this.heartbeat(family);
      await this.pollIfDue(family);
    }
    await this.renewSlots();
  }

  /** Tells every replica which items this one still watches (each entry expires on its own). */
  private async heartbeat(family: FamilyId): Promise<void> {
    const items = [...this.localInterest(family).keys()];
    if (items.length === 0) return;
    const now = Date.now();
    const expiry = now + 2 * this.intervalMs;
    const key = this.interestKey(family);
    await this.redis
      .multi()
      .zadd(key, ...items.flatMap((item) => [expiry, item]))
      .zremrangebyscore(key, '-inf', now)
      .pexpire(key, 3 * this.intervalMs)
      .exec()
      .catch(() => undefined);
  }

  private async renewSlots(): Promise<void> {
    if (this.watchers.size === 0) return;
    const expiry = Date.now() + this.slotTtlMs;
    const multi = this.redis.multi();
    for (const w of this.watchers) multi.zadd(this.slotKey(w.keyName), expiry, w.streamId);
    await multi.exec().catch(() => undefined);
  }

  /** Polls every watched item of the family if this replica wins the interval's lease. */
  private async pollIfDue(family: FamilyId): Promise<void> {
    const source = this.sources.get(family);
    if (!source || this.polling.has(family)) return;
    this.polling.add(family);
    try {
      const lease = await this.redis.set(this.leaseKey(family), '1', 'PX', this.intervalMs, 'NX').catch(() => null);
      if (lease !== 'OK') return;
      const items = await this.redis.zrangebyscore(this.interestKey(family), Date.now(), '+inf');
      if (items.length === 0) return;
      const results = await source.poll(items);
      const problems = [...results.values()].filter((r) => 'problem' in r).length;
      this.metrics.watchPolls.inc({ family, outcome: problems === 0 ? 'ok' : 'problem' });
      const message: PollMessage = { family, results: [...results] };
      const multi = this.redis.multi();
      for (const [item, result] of results) {
        if (!('problem' in result))
          multi.set(this.stateKey(family, item), JSON.stringify(result), 'PX', 3 * this.intervalMs);
      }
      multi.publish(this.channel, JSON.stringify(message));
      await multi.exec();
    } catch (err) {
      this.logger.warn({ family, err: (err as Error).message }, 'watch poll failed');
    } finally {
      this.polling.delete(family);
    }
  }

  private localInterest(family: FamilyId): Map<string, number> {
    let local = this.interest.get(family);
    if (!local) {
      local = new Map();
      this.interest.set(family, local);
    }
    return local;
  }

  private updateGauges(): void {
    this.metrics.watchStreams.set(this.watchers.size);
    for (const [family, local] of this.interest) this.metrics.watchItems.set({ family }, local.size);
  }

  private interestKey(family: FamilyId): string {
    return `watch:interest:${family}`;
  }

  private leaseKey(family: FamilyId): string {
    return `watch:lease:${family}`;
  }

  private stateKey(family: FamilyId, item: string): string {
    return `watch:state:${family}:${item}`;
  }

  private slotKey(keyName: string): string {
    return `watch:streams:${keyName}`;
  }
}

/** A poll failure as a `problem` event: the problem document without request-specific members. */
export function problemEvent(err: unknown): ProblemEvent {
  const { instance: _instance, requestId: _requestId, ...problem } = problemBody(toAppError(err), '', '');
  return problem;
}
