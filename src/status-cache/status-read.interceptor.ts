import {
  applyDecorators,
  CallHandler,
  ExecutionContext,
  Injectable,
  NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { map, Observable } from 'rxjs';
import { requestScopeStorage } from '../common/request-context';
import {
  CACHE_STATUS,
  STATUS_READ_CACHE_CONTROL,
  STATUS_READ_KEY,
  stateJson,
  type StatusReadMetadata,
} from '../common/status-read';

/** A strong validator of the state only. */
function stateETag(body: unknown): string {
  return `"${createHash('sha256').update(stateJson(body)).digest('base64url').slice(0, 27)}"`;
}

/** If-None-Match uses the weak comparison (RFC 9110): `W/"x"` matches `"x"` (proxies weaken tags). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/**
 * Response headers of a status read: a strong ETag of the state (304 on If-None-Match), Age and
 * Cache-Status from what the status cache recorded, `Cache-Control: private, no-cache`. A read
 * the cache did not answer (softphones with credentials) gets none of them.
 */
@Injectable()
class StatusReadInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body: unknown) => {
        const record = requestScopeStorage.getStore()?.cache;
        if (!record) return body;
        const etag = stateETag(body);
        reply
          .header('etag', etag)
          .header('cache-control', STATUS_READ_CACHE_CONTROL)
          .header('age', String(Math.max(0, Math.floor((Date.now() - record.observedAtMs) / 1000))))
          .header('cache-status', CACHE_STATUS[record.outcome]);
        if (matches(request.headers['if-none-match'], etag)) {
          reply.status(304);
          return undefined;
        }
        return body;
      }),
    );
  }
}

/**
 * Marks a route as a status read (cache headers, ETag, conditional requests); the OpenAPI
 * document reads the same mark. `uncachedWhen` says when the route bypasses the status cache
 * and so answers without ETag, Age, Cache-Status and Cache-Control.
 */
export const StatusRead = (metadata: StatusReadMetadata = {}) =>
  applyDecorators(SetMetadata(STATUS_READ_KEY, metadata), UseInterceptors(StatusReadInterceptor));

/** `Cache-Control: no-cache` or `max-age=0` on the request: skip the cache for this request. */
export function wantsCacheBypass(cacheControl: string | string[] | undefined): boolean {
  const value = Array.isArray(cacheControl) ? cacheControl.join(',') : cacheControl;
  if (!value) return false;
  return value.split(',').some((directive) => /^\s*(no-cache|max-age\s*=\s*0)\s*$/i.test(directive));
}
