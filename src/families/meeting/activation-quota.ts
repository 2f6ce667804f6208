import { Inject, Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { REDIS } from '../../redis/redis.module';

const ACTIVATION_LIMIT = 5;
const ACTIVATION_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * Rolling-window counter in one Lua script (atomic across replicas): drop attempts older than
 * the window, refuse when the limit is reached, else record this attempt. Redis's own clock
 * is used so replicas with skewed clocks agree.
 * Returns {allowed, count, msUntilOldestExpires, nowMs}.
 */
const CONSUME = `
local t = redis.call('TIME')
-- 1000.0: float arithmetic keeps epoch milliseconds exact where Lua integers are 32-bit (ioredis-mock).
local now = tonumber(t[1]) * 1000.0 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  count = count + 1
  allowed = 1
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local wait = 0
if oldest[2] then wait = tonumber(oldest[2]) + window - now end
return {allowed, count, wait, now}
`;

export interface QuotaTicket {
  member: string;
  limit: number;
  remaining: number;
  resetsAt: Date;
}

/** At most 5 activation-code resets per device SN per rolling 24 h, shared by every replica. */
@Injectable()
export class ActivationQuota {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async consume(sn: string): Promise<QuotaTicket> {
    const member = randomUUID();
    let reply: [number, number, number, number];
    try {
      reply = (await this.redis.eval(
        CONSUME,
        1,
        key(sn),
        ACTIVATION_LIMIT,
        ACTIVATION_WINDOW_MS,
        member,
      )) as typeof reply;
    } catch (err) {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The quota store is unavailable; try again shortly.', {
        retryAfterSeconds: 1,
        cause: err,
      });
    }
    const [allowed, count, waitMs, nowMs] = reply;
    const resetsAt = new Date(nowMs + waitMs);
    if (!allowed) {
      throw new AppError(
        ErrorCode.QUOTA_EXCEEDED,
        `Device ${sn} had its activation code reset ${ACTIVATION_LIMIT} times in the last 24 hours.`,
        { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) },
      );
    }
    return { member, limit: ACTIVATION_LIMIT, remaining: ACTIVATION_LIMIT - count, resetsAt };
  }

  /** Gives an attempt back when the upstream call failed. */
  async release(sn: string, ticket: QuotaTicket): Promise<void> {
    await this.redis.zrem(key(sn), ticket.member).catch(() => undefined);
  }
}

function key(sn: string): string {
  return `quota:activation:${sn}`;
}
