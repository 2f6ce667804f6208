import type { HeaderObject, ParameterObject } from '@nestjs/swagger';
import type { AcceptLanguage } from '../request-context';
import { SAFE_REQUEST_ID } from '../request-id';

/** The languages parseAcceptLanguage passes on to upstreams. */
const ACCEPT_LANGUAGES = ['en-US', 'zh-CN'] as const satisfies readonly AcceptLanguage[];

const REQUEST_ID_SCHEMA = { type: 'string', pattern: SAFE_REQUEST_ID.source, example: 'req-7f3a9c' } as const;

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
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    required: true,
    schema: { type: 'integer', format: 'int32', minimum: 1, example: 30 },
  },
  'X-Content-Type-Options': {
    description: 'On every response',
    required: true,
    schema: { type: 'string', enum: ['nosniff'] },
  },
  'Cache-Control': {
    description: '`no-store` on every /v1 response (status reads: `private, no-cache`)',
    required: true,
    schema: { type: 'string', example: 'no-store' },
  },
};

export const RATE_LIMIT_HEADERS = ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'] as const;
