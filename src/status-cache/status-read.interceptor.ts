import { applyDecorators, SetMetadata } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hash } from 'node:crypto';
import {
  CACHE_STATUS,
  STATUS_READ_CACHE_CONTROL,
  STATUS_READ_KEY,
  stateJson,
  type StatusReadMetadata,
} from '../common/status-read';

/**
 * ETags already computed, by answer object: a hit answered from a process's in-memory copy of
 * the status cache is the same (never mutated) object every time, so its tag is computed once.
 */
const etags = new WeakMap<object, string>();

/** A strong validator of the state only (one-shot SHA-256: no Hash object per read). */
function stateETag(body: unknown): string {
  const memo = typeof body === 'object' && body !== null;
  const known = memo ? etags.get(body) : undefined;
  if (known) return known;
  const etag = `"${hash('sha256', stateJson(body), 'base64url').slice(0, 27)}"`;
  if (memo) etags.set(body, etag);
  return etag;
}

/** If-None-Match uses the weak comparison (RFC 9110): `W/"x"` matches `"x"` (proxies weaken tags). */
function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.trim() === '*' || ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** Fastify route config set by @StatusRead(), read by the hooks below. */
interface StatusReadRouteConfig {
  statusRead?: true;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** A status read answered 304: the onSend hook drops the body. */
    notModified?: true;
  }
}

/**
 * Response headers of a status read: a strong ETag of the state (304 on If-None-Match), Age and
 * Cache-Status from what the status cache recorded, `Cache-Control: private, no-cache`. A read
 * the cache did not answer (softphones with credentials) gets none of them.
 *
 * Hot-path bypass (docs/performance.md): this was a Nest interceptor; any interceptor makes Nest
 * wrap every request of the route in an rxjs pipeline (defer, mergeMap, ReplaySubject,
 * takeUntil, lastValueFrom) plus AsyncResource.bind, ~10 % of the CPU of a status read. As two
 * Fastify hooks it does the same on the handler's answer: `preSerialization` sees the object the
 * handler returned (a 200 from a route marked by @StatusRead; problems have other statuses) and
 * `onSend` empties a 304, as the interceptor's `undefined` body did.
 */
export function registerStatusReadHeaders(fastify: FastifyInstance): void {
  fastify.addHook(
    'preSerialization',
    (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      if (!(request.routeOptions.config as StatusReadRouteConfig).statusRead || reply.statusCode !== 200) {
        return done(null, payload);
      }
      const record = request.scope?.cache;
      if (!record) return done(null, payload);
      const etag = stateETag(payload);
      reply
        .header('etag', etag)
        .header('cache-control', STATUS_READ_CACHE_CONTROL)
        .header('age', String(Math.max(0, Math.floor((Date.now() - record.observedAtMs) / 1000))))
        .header('cache-status', CACHE_STATUS[record.outcome]);
      if (matches(request.headers['if-none-match'], etag)) {
        reply.status(304);
        request.notModified = true;
      }
      done(null, payload);
    },
  );
  fastify.addHook(
    'onSend',
    (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      if (!request.notModified) return done(null, payload);
      reply.removeHeader('content-type');
      done(null, null);
    },
  );
}

/**
 * Marks a route as a status read (cache headers, ETag, conditional requests); the OpenAPI
 * document reads the same mark. `uncachedWhen` says when the route bypasses the status cache
 * and so answers without ETag, Age, Cache-Status and Cache-Control.
 */
export const StatusRead = (metadata: StatusReadMetadata = {}) =>
  applyDecorators(
    SetMetadata(STATUS_READ_KEY, metadata),
    RouteConfig({ statusRead: true } satisfies StatusReadRouteConfig),
  );

/** `Cache-Control: no-cache` or `max-age=0` on the request: skip the cache for this request. */
export function wantsCacheBypass(cacheControl: string | string[] | undefined): boolean {
  const value = Array.isArray(cacheControl) ? cacheControl.join(',') : cacheControl;
  if (!value) return false;
  return value.split(',').some((directive) => /^\s*(no-cache|max-age\s*=\s*0)\s*$/i.test(directive));
}
