import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { REDIS } from '../../redis/redis.module';

const ACTIVATION_LIMIT = 5;
const ACTIVATION_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Redis's own clock (so replicas with skewed clocks agree), then attempts older than the window
 * dropped. 1000.0: float arithmetic keeps epoch milliseconds exact where Lua integers are
 * 32-bit (ioredis-mock).
 */
const WINDOW_PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000.0 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
`;

/** The reply's tail: ms until the oldest counted attempt leaves the window, and Redis's now. */
const WINDOW_REPLY = `
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = 0
if oldest[2] then wait = tonumber(oldest[2]) + window - now end
`;

/**
 * One atomic step across replicas: refuse when the limit is reached, else count this attempt
 * (ARGV[3]) from now on. Returns {allowed, count, msUntilOldestExpires, nowMs}.
 */
const CONSUME = `${WINDOW_PRELUDE}
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  count = count + 1
  allowed = 1
end
${WINDOW_REPLY}
return {allowed, count, wait, now}
`;

/**
 * Meeting said the SN's limit is reached: fill the window up to the limit with attempts counted
 * from now (ARGV[3] is the prefix of their members), so every replica refuses the SN until the
 * oldest counted attempt leaves the window. Returns {0, limit, msUntilOldestExpires, nowMs}.
 */
const EXHAUST = `${WINDOW_PRELUDE}
for i = count + 1, limit do
  redis.call('ZADD', KEYS[1], now, ARGV[3] .. i)
end
redis.call('PEXPIRE', KEYS[1], window)
${WINDOW_REPLY}
return {0, limit, wait, now}
`;

type WindowReply = [allowed: number, count: number, waitMs: number, nowMs: number];

export interface QuotaTicket {
  member: string;
  limit: number;
  remaining: number;
  resetsAt: Date;
}

/**
 * At most 5 activation-code resets per device SN per rolling 24 h, shared by every replica. An
 * attempt counts from the moment it starts; the caller gives it back (release) only when it
 * surely did not happen upstream, and marks the SN exhausted when Meeting says its own limit
 * is reached.
 */
@Injectable()
export class ActivationQuota {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  /** Counts an attempt, or throws 429 QUOTA_EXCEEDED (with `quota` and Retry-After) when none is left. */
  async consume(sn: string): Promise<QuotaTicket> {
    const member = randomUUID();
    const [allowed, count, waitMs, nowMs] = await this.run(CONSUME, sn, member);
    if (!allowed) {
      throw quotaExceeded(
        sn,
        waitMs,
        nowMs,
        `Device ${sn} has no activation-code reset left: ${ACTIVATION_LIMIT} attempts in the last 24 hours ` +
          '(attempts still in progress count; failed attempts that surely did not reach Meeting do not).',
      );
    }
    return { member, limit: ACTIVATION_LIMIT, remaining: ACTIVATION_LIMIT - count, resetsAt: new Date(nowMs + waitMs) };
  }

  /** Gives an attempt back: it surely did not happen upstream (never sent, or refused with a 4xx). */
  async release(sn: string, ticket: QuotaTicket): Promise<void> {
    await this.redis.zrem(key(sn), ticket.member).catch(() => undefined);
  }

  /**
   * Meeting itself says the SN reached its limit: the SN counts as exhausted on every replica
   * until the oldest counted attempt leaves the window. Returns the 429 to answer with.
   */
  async exhaust(sn: string, cause: AppError): Promise<AppError> {
    const [, , waitMs, nowMs] = await this.run(EXHAUST, sn, `meeting-limit:${randomUUID()}:`);
    return quotaExceeded(sn, waitMs, nowMs, `Meeting says device ${sn} reached its activation-code limit.`, cause);
  }

  private async run(script: string, sn: string, member: string): Promise<WindowReply> {
    try {
      return (await this.redis.eval(script, 1, key(sn), ACTIVATION_LIMIT, ACTIVATION_WINDOW_MS, member)) as WindowReply;
    } catch (err) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The quota store is unavailable; try again shortly.', {
        retryAfterSeconds: 1,
        cause: err,
      });
    }
  }
}

/** 429 with Retry-After = when the oldest counted attempt leaves the window, and the `quota` member. */
function quotaExceeded(sn: string, waitMs: number, nowMs: number, detail: string, cause?: AppError): AppError {
  const resetsAt = new Date(nowMs + waitMs).toISOString();
  return new AppError(ErrorCode.QUOTA_EXCEEDED, detail, {
    retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)),
    extensions: { quota: { limit: ACTIVATION_LIMIT, remaining: 0, resetsAt } },
    upstream: cause?.options.upstream,
    cause,
  });
}

function key(sn: string): string {
  return `quota:activation:${sn}`;
}
