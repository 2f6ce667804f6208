import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Span } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import type { CacheRecord } from '../status-cache/status-cache';

export type AcceptLanguage = 'en-US' | 'zh-CN';

/**
 * What one client request carries through services, the status cache and upstream clients.
 * Passed explicitly, as the last argument, from the controller down (no AsyncLocalStorage: on
 * Node 20 it turns on promise hooks for every promise of the process, ~20 % of the CPU of a
 * status read; see docs/performance.md). Work that no client request started (watch polls) has
 * no scope; a token fetch or a coalesced status-cache fetch runs in the scope of the request that
 * started it.
 */
export interface RequestScope {
  requestId: string;
  acceptLanguage?: AcceptLanguage;
  /** The client asked to skip the status cache (`Cache-Control: no-cache` or `max-age=0`). */
  cacheBypass?: boolean;
  /** How the status cache answered this request, for Age and Cache-Status. */
  cache?: CacheRecord;
  /** The request's server span: upstream calls are its children. */
  span?: Span;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set by an onRequest hook (app.factory.ts) before routing reaches a handler; absent on
     * answers given earlier (shutdown 503, a request without Host, parser and router errors).
     */
    scope?: RequestScope;
  }
}

/** The current request's scope, for a controller to pass down. */
export const CurrentScope = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): RequestScope => ctx.switchToHttp().getRequest<FastifyRequest>().scope!,
);

/** Fields that tie an application log line to the request it was written for (none outside one). */
export function requestFields(scope: RequestScope | undefined): { requestId?: string } {
  return scope ? { requestId: scope.requestId } : {};
}

/** Only the two languages the upstreams understand are passed on. */
export function parseAcceptLanguage(header: string | string[] | undefined): AcceptLanguage | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const first = value.split(',')[0]!.split(';')[0]!.trim().toLowerCase();
  if (first.startsWith('zh')) return 'zh-CN';
  if (first.startsWith('en')) return 'en-US';
  return undefined;
}
