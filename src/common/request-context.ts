import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CacheRecord } from '../status-cache/status-cache';

export type AcceptLanguage = 'en-US' | 'zh-CN';

export interface RequestScope {
  requestId: string;
  acceptLanguage?: AcceptLanguage;
  /** The client asked to skip the status cache (`Cache-Control: no-cache` or `max-age=0`). */
  cacheBypass?: boolean;
  /** How the status cache answered this request, for Age and Cache-Status. */
  cache?: CacheRecord;
}

/**
 * One AsyncLocalStorage for the whole process, entered by a Fastify onRequest hook. Cheaper
 * than request-scoped providers or an interceptor chain on every request (see the benchmark).
 */
export const requestScopeStorage = new AsyncLocalStorage<RequestScope>();

/** Per-request values that upstream clients forward (request id, language). */
@Injectable()
export class RequestContext {
  get requestId(): string | undefined {
    return requestScopeStorage.getStore()?.requestId;
  }

  get acceptLanguage(): AcceptLanguage | undefined {
    return requestScopeStorage.getStore()?.acceptLanguage;
  }
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
