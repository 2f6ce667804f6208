import type { HeaderObject, ParameterObject } from '@nestjs/swagger';
import type { AcceptLanguage } from '../request-context';
import { SAFE_REQUEST_ID } from '../request-id';
import { CACHE_STATUS, ETAG_PATTERN, STATUS_READ_CACHE_CONTROL } from '../status-read';

/** The languages parseAcceptLanguage passes on to upstreams. */
const ACCEPT_LANGUAGES = ['en-US', 'zh-CN'] as const satisfies readonly AcceptLanguage[];

const REQUEST_ID_SCHEMA = { type: 'string', pattern: SAFE_REQUEST_ID.source, example: 'req-7f3a9c' } as const;

/** An entity tag as RFC 9110 writes it (weak or strong). */
const ENTITY_TAG = String.raw`(W/)?"[\x21\x23-\x7E]*"`;
const EXAMPLE_ETAG = '"Yq3xkP0VtW8cJ2mN5rHdLs7aBfE"';

/** `components.parameters`: request headers the API reads. */
export const HEADER_PARAMETERS: Record<string, ParameterObject> = {
  RequestId: {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description:
      'Correlation id, echoed on the response, passed to every upstream call and written to every log line ' +
      'and problem of the request. One that does not match is replaced by a new UUID.',
    schema: { ...REQUEST_ID_SCHEMA },
  },
  AcceptLanguage: {
    name: 'Accept-Language',
    in: 'header',
    required: false,
    description: 'Language of upstream messages; passed on to the upstream.',
    schema: { type: 'string', enum: [...ACCEPT_LANGUAGES] },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes a retry safe: per API key and remembered 24 h. The same key with the same request replays the first ' +
      'success (with Idempotent-Replayed: true) without doing it again; with a different request it is 422; ' +
      'while the first is in flight, 409. A request that failed may be retried with the same key.',
    schema: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', example: 'reset-HWSN0001-2026-11-24' },
  },
  IfNoneMatch: {
    name: 'If-None-Match',
    in: 'header',
    required: false,
    description:
      'The ETag of a status read the client holds (or `*`): while the state is still the same the answer is ' +
      '304 with no body. Compared weakly, so `W/"..."` matches too.',
    schema: {
      type: 'string',
      pattern: String.raw`^(\*|${ENTITY_TAG}([ \t]*,[ \t]*${ENTITY_TAG})*)$`,
      example: EXAMPLE_ETAG,
    },
  },
  CacheControl: {
    name: 'Cache-Control',
    in: 'header',
    required: false,
    description:
      '`no-cache` or `max-age=0` skips the shared status cache for this request (the upstream is asked; the ' +
      'answer still refreshes the cache). Other directives are ignored.',
    schema: { type: 'string', pattern: String.raw`^[\x20-\x7E]+$`, example: 'no-cache' },
  },
};

/** `components.headers`: response headers. */
export const RESPONSE_HEADERS: Record<string, HeaderObject> = {
  'X-Request-Id': {
    description: "The request's correlation id (the client's, or a generated UUID)",
    required: true,
    schema: { ...REQUEST_ID_SCHEMA },
  },
  'RateLimit-Limit': {
    description: 'Requests per minute this API key may make',
    schema: { type: 'integer', format: 'int32', minimum: 1, example: 600 },
  },
  'RateLimit-Remaining': {
    description: 'Requests left in the current minute',
    schema: { type: 'integer', format: 'int32', minimum: 0, example: 599 },
  },
  'RateLimit-Reset': {
    description: 'Seconds until the budget is full again',
    schema: { type: 'integer', format: 'int32', minimum: 1, example: 60 },
  },
  ETag: {
    description: 'Strong validator of the state (every field but observedAt); send it in If-None-Match to get 304',
    required: true,
    schema: { type: 'string', pattern: ETAG_PATTERN.source, example: EXAMPLE_ETAG },
  },
  Age: {
    description: 'Whole seconds since the upstream was asked for the (oldest) state in the answer',
    required: true,
    schema: { type: 'integer', format: 'int32', minimum: 0, example: 1 },
  },
  'Cache-Status': {
    description:
      `How the shared status cache answered (RFC 9211): \`${CACHE_STATUS.hit}\` from the cache, ` +
      `\`${CACHE_STATUS.miss}\` from the upstream, \`${CACHE_STATUS.bypass}\` from the upstream because the ` +
      'request said `Cache-Control: no-cache` or `max-age=0`',
    required: true,
    schema: { type: 'string', enum: Object.values(CACHE_STATUS) },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    required: true,
    schema: { type: 'integer', format: 'int32', minimum: 1, example: 30 },
  },
  'Idempotent-Replayed': {
    description: 'Present (`true`) when this is the stored answer to an earlier request with the same Idempotency-Key',
    required: false,
    schema: { type: 'string', enum: ['true'] },
  },
  'WWW-Authenticate': {
    description: 'The scheme the route wants (`Bearer realm="metrics"` on /metrics with METRICS_TOKEN set)',
    schema: { type: 'string', example: 'Bearer realm="metrics"' },
  },
  'X-Content-Type-Options': {
    description: 'On every response',
    required: true,
    schema: { type: 'string', enum: ['nosniff'] },
  },
  'Cache-Control': {
    description:
      '`no-store` on every /v1 response, except status reads: `private, no-cache` (a client may keep one, but ' +
      'revalidates it with If-None-Match before each use); softphones with passwords are always `no-store`',
    required: true,
    schema: { type: 'string', enum: ['no-store', STATUS_READ_CACHE_CONTROL] },
  },
};

export const RATE_LIMIT_HEADERS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'] as const;

/** Response headers of a status read (200 and 304). */
export const STATUS_READ_HEADERS = ['ETag', 'Cache-Control', 'Age', 'Cache-Status'] as const;

/** Request headers of a status read (`components.parameters`). */
export const STATUS_READ_PARAMETERS = ['IfNoneMatch', 'CacheControl'] as const;
