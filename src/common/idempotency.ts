import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import type { FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { from, lastValueFrom, Observable, of } from 'rxjs';
import type { AuthenticatedRequest } from '../auth/principal';
import { REDIS } from '../redis/redis.module';
import { AppError } from './errors/app-error';
import { ErrorCode } from './errors/error-code';

export const IDEMPOTENT_KEY = 'cgw:idempotent';
const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
/** How long a completed request is remembered. */
const REMEMBER_MS = 24 * 60 * 60 * 1000;
/** How long an in-flight marker outlives a process that died while holding it. */
const PENDING_MS = 5 * 60 * 1000;

/** Marks the request in flight unless the key is known; returns what is stored, or nil (new). */
const BEGIN = `
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`;
/** Deletes the marker only while it is still this request's in-flight marker. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

interface Stored {
  state: 'pending' | 'done';
  /** SHA-256 of method, path and canonical body. */
  fp: string;
  status?: number;
  body?: unknown;
}

/**
 * `Idempotency-Key` (1-64 chars of [A-Za-z0-9._-], per API key, remembered 24 h): a repeat with
 * the same key and request gets the first success replayed (status, body, `Idempotent-Replayed:
 * true`) without running the handler; a different request with the key is 422; a repeat while
 * the first is in flight is 409. The in-flight marker and the lookup are one Lua script. A
 * request that fails is forgotten, so it may be retried with the same key.
 */
@Injectable()
class IdempotencyInterceptor implements NestInterceptor {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const header = request.headers['idempotency-key'];
    if (header === undefined) return next.handle();
    if (typeof header !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(header)) {
      const message = 'must be 1-64 characters of letters, digits and . _ -';
      throw new AppError(ErrorCode.VALIDATION_FAILED, `Idempotency-Key: ${message}`, {
        errors: [{ field: 'Idempotency-Key', message }],
      });
    }
    const key = `idem:${request.principal!.id}:${header}`;
    const fp = createHash('sha256')
      .update(`${request.method} ${request.url.split('?')[0]}\n${canonicalJson(request.body)}`)
      .digest('hex');
    const pending = JSON.stringify({ state: 'pending', fp } satisfies Stored);
    let found: string | null;
    try {
      found = (await this.redis.eval(BEGIN, 1, key, pending, PENDING_MS)) as string | null;
    } catch {
      throw new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The idempotency store is unavailable; try again shortly.', {
        retryAfterSeconds: 1,
      });
    }
    if (found) {
      const stored = JSON.parse(found) as Stored;
      if (stored.fp !== fp) {
        throw new AppError(
          ErrorCode.UNPROCESSABLE,
          'This Idempotency-Key was used with a different request; use a new key for a new request.',
        );
      }
      if (stored.state === 'pending') {
        throw new AppError(ErrorCode.CONFLICT, 'A request with this Idempotency-Key is still in flight; retry later.');
      }
      reply.header('idempotent-replayed', 'true');
      reply.status(stored.status!);
      return of(stored.body);
    }
    const status = (Reflect.getMetadata(HTTP_CODE_METADATA, context.getHandler()) as number | undefined) ?? 200;
    return from(
      (async () => {
        try {
          const body = await lastValueFrom(next.handle());
          const done = JSON.stringify({ state: 'done', fp, status, body } satisfies Stored);
          await this.redis.set(key, done, 'PX', REMEMBER_MS).catch(() => undefined);
          return body;
        } catch (err) {
          await this.redis.eval(RELEASE, 1, key, pending).catch(() => undefined);
          throw err;
        }
      })(),
    );
  }
}

/** The route takes `Idempotency-Key` (documented by the OpenAPI refiner). */
export const Idempotent = () =>
  applyDecorators(SetMetadata(IDEMPOTENT_KEY, true), UseInterceptors(IdempotencyInterceptor));

/** JSON with object keys sorted, so the same body written differently compares equal. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
