import type { CacheOutcome } from '../status-cache/status-cache';

/**
 * What a status read answers with, shared by the code that sends it (the StatusRead interceptor)
 * and the code that documents it (the OpenAPI refiner), which must not import the features.
 */

/** Route metadata set by @StatusRead(): the route is a status read (ETag, 304, cache headers). */
export const STATUS_READ_KEY = 'cgw:status-read';

export interface StatusReadMetadata {
  /** When the route answers without the status cache, hence without ETag, Age and Cache-Status. */
  uncachedWhen?: string;
}

/** `Cache-Control` of a status read: a client may keep it, but revalidates it before each use. */
export const STATUS_READ_CACHE_CONTROL = 'private, no-cache';

/** `Cache-Status` (RFC 9211) by how the status cache answered. */
export const CACHE_STATUS = {
  hit: 'comms-gateway; hit',
  miss: 'comms-gateway; fwd=miss',
  bypass: 'comms-gateway; fwd=request',
} as const satisfies Record<CacheOutcome, string>;

/** A status read's ETag: a strong validator, base64url in quotes. */
export const ETAG_PATTERN = /^"[A-Za-z0-9_-]+"$/;

/**
 * JSON of a state without `observedAt`, at any depth: what ETags and watch streams compare, so
 * two observations of the same state are equal.
 */
export function stateJson(state: unknown): string {
  return JSON.stringify(state, (key, value: unknown) => (key === 'observedAt' ? undefined : value));
}
