import { SetMetadata } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { UpstreamService } from '../errors/app-error';
import { ERROR_SHAPES, ErrorCode } from '../errors/error-code';

export class FieldErrorDto {
  @ApiProperty({ example: 'numbers[2]', description: 'Path of the bad field or parameter' }) field!: string;
  @ApiProperty({ example: 'must be shorter than or equal to 64 characters', description: 'The rule it broke' })
  message!: string;
}

export class UpstreamDetailDto {
  // A $ref to the FamilyId enum (the registry's ids) is set by buildOpenApiDocument: family
  // controllers import this file, and nothing here may import the registry.
  @ApiProperty({ description: 'The upstream family' }) service!: string;
  @ApiPropertyOptional({ type: 'integer', example: 500, description: "The upstream's HTTP status" }) status?: number;
  @ApiPropertyOptional({ example: 'USG.000000001', description: "The upstream's own error code" }) code?: string;
  @ApiPropertyOptional({ example: 'Server exception', description: "The upstream's own message" }) message?: string;
}

export class QuotaDto {
  @ApiProperty({ type: 'integer', example: 5 }) limit!: number;
  @ApiProperty({ type: 'integer', example: 0 }) remaining!: number;
  @ApiProperty({
    format: 'date-time',
    example: '2026-11-25T10:00:00.000Z',
    description: 'When the oldest counted attempt leaves the window (as Retry-After)',
  })
  resetsAt!: string;
}

/** RFC 9457 problem details as every error of this API is shaped. */
export class ProblemDto {
  @ApiProperty({ example: 'urn:comms-gateway:problem:validation-failed', description: 'URN of the problem type' })
  type!: string;
  @ApiProperty({ example: 'Validation failed' }) title!: string;
  @ApiProperty({ type: 'integer', minimum: 400, maximum: 599, example: 400, description: 'The HTTP status' })
  status!: number;
  @ApiProperty({ example: 'limit: must not be greater than 100' }) detail!: string;
  @ApiProperty({ example: '/v1/contact-center/terminals', description: 'The request path' }) instance!: string;
  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode', description: 'Stable id to switch on' }) code!: ErrorCode;
  @ApiProperty({ example: '5f0c7c4e-3a52-4a8a-9a57-1d3f4b1c2e10', description: 'Also in X-Request-Id' })
  requestId!: string;
  @ApiPropertyOptional({ type: [FieldErrorDto], description: 'VALIDATION_FAILED: one entry per bad field' })
  errors?: FieldErrorDto[];
  @ApiPropertyOptional({ type: UpstreamDetailDto, description: 'Present when an upstream caused the problem' })
  upstream?: UpstreamDetailDto;
  @ApiPropertyOptional({ type: QuotaDto, description: 'QUOTA_EXCEEDED: the spent quota' })
  quota?: QuotaDto;
}

/** One way a route can fail: its code, and the status when it is not the code's usual one. */
export interface ProblemOutcome {
  code: ErrorCode;
  /** Overrides ERROR_SHAPES' status (UPSTREAM_UNAVAILABLE is 503 while a circuit is open). */
  status?: number;
  /** Response headers this outcome adds (names of RESPONSE_HEADERS), e.g. WWW-Authenticate. */
  headers?: string[];
  /** Example name when one status carries two examples of the same code. */
  name?: string;
  /** When this route answers it; defaults to PROBLEM_WHEN[code]. */
  when?: string;
  /** The example's `detail`. */
  detail?: string;
  /** The example carries the `upstream` member (its service is the route's family unless given). */
  upstream?: { service?: UpstreamService; status?: number; code?: string; message?: string };
}

export type ProblemSpec = ErrorCode | ProblemOutcome;

function outcome(spec: ProblemSpec): ProblemOutcome {
  return typeof spec === 'string' ? { code: spec } : spec;
}

export function statusOf(o: ProblemOutcome): number {
  return o.status ?? ERROR_SHAPES[o.code].status;
}

/** When each code is answered (the status descriptions are built from these). Exhaustive by type. */
export const PROBLEM_WHEN: Record<ErrorCode, string> = {
  [ErrorCode.BAD_REQUEST]: 'the request could not be read, or the upstream rejected a parameter',
  [ErrorCode.VALIDATION_FAILED]: 'a parameter or body field breaks a rule; `errors` names each one',
  [ErrorCode.UNAUTHENTICATED]: 'X-API-Key is missing, unknown, revoked or expired',
  [ErrorCode.FORBIDDEN]: 'the API key lacks a scope this request needs',
  [ErrorCode.NOT_FOUND]: 'the upstream does not know the resource',
  [ErrorCode.METHOD_NOT_ALLOWED]: 'the path does not serve this method (see Allow)',
  [ErrorCode.CONFLICT]: 'the request conflicts with the current state of the resource',
  [ErrorCode.REQUEST_TIMEOUT]: 'the client did not send its whole request in time (CLIENT_TIMEOUT_MS)',
  [ErrorCode.REQUEST_HEADER_FIELDS_TOO_LARGE]: 'the request headers are too large',
  [ErrorCode.PAYLOAD_TOO_LARGE]: 'the body is larger than 64 KiB',
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 'the body is not application/json',
  [ErrorCode.UNPROCESSABLE]: 'the upstream could not process a well-formed request',
  [ErrorCode.QUOTA_EXCEEDED]: 'a quota is spent; Retry-After says when it frees up',
  [ErrorCode.RATE_LIMITED]: "the API key's requests per minute are spent; see Retry-After and RateLimit-*",
  [ErrorCode.UPSTREAM_REJECTED]: 'the upstream refused the call or answered a failure code',
  [ErrorCode.UPSTREAM_AUTH_FAILED]: "the upstream refused the gateway's credentials (after one token refresh)",
  [ErrorCode.UPSTREAM_UNAVAILABLE]: 'the upstream failed: 5xx, connection error or a body the gateway cannot read',
  [ErrorCode.UPSTREAM_TIMEOUT]: 'the upstream did not answer before the deadline (UPSTREAM_TIMEOUT_MS)',
  [ErrorCode.SERVICE_UNAVAILABLE]: "the gateway's own store (Redis) is unavailable; see Retry-After",
  [ErrorCode.INTERNAL]: 'an unexpected error; quote requestId when reporting it',
};

/** Example `detail` of each code, `{service}` being the route's upstream family. */
export const PROBLEM_DETAIL: Record<ErrorCode, string> = {
  [ErrorCode.BAD_REQUEST]: 'Body is not valid JSON',
  [ErrorCode.VALIDATION_FAILED]: 'The request has invalid fields.',
  [ErrorCode.UNAUTHENTICATED]: 'The X-API-Key header is missing.',
  [ErrorCode.FORBIDDEN]: 'The API key lacks the scope {scope}.',
  [ErrorCode.NOT_FOUND]: 'The {service} upstream does not know it.',
  [ErrorCode.METHOD_NOT_ALLOWED]: 'Method not allowed.',
  [ErrorCode.CONFLICT]: 'The request conflicts with the current state of the resource.',
  [ErrorCode.REQUEST_TIMEOUT]: 'The request was not received in time.',
  [ErrorCode.REQUEST_HEADER_FIELDS_TOO_LARGE]: 'The request headers are too large.',
  [ErrorCode.PAYLOAD_TOO_LARGE]: 'Request body is too large',
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: 'Unsupported Media Type: text/plain',
  [ErrorCode.UNPROCESSABLE]: 'The {service} upstream refused the request: invalid parameters.',
  [ErrorCode.QUOTA_EXCEEDED]: 'The quota for this resource is spent.',
  [ErrorCode.RATE_LIMITED]: 'Rate limit of 600 requests per minute reached.',
  [ErrorCode.UPSTREAM_REJECTED]: 'The {service} upstream refused the request with HTTP 403.',
  [ErrorCode.UPSTREAM_AUTH_FAILED]: 'The {service} upstream refused the gateway credentials.',
  [ErrorCode.UPSTREAM_UNAVAILABLE]: 'The {service} upstream answered HTTP 500.',
  [ErrorCode.UPSTREAM_TIMEOUT]: 'The {service} upstream did not answer within 10000 ms.',
  [ErrorCode.SERVICE_UNAVAILABLE]: 'The store is unavailable; try again shortly.',
  [ErrorCode.INTERNAL]: 'An unexpected error occurred; quote the requestId when reporting it.',
};

/** Problems every authenticated route can give (the API-key guard and rate limit). */
export const AUTHENTICATED_PROBLEMS: readonly ProblemOutcome[] = [
  { code: ErrorCode.UNAUTHENTICATED },
  { code: ErrorCode.RATE_LIMITED },
];

/** Problems of a route whose guard checks scopes. */
export const SCOPED_PROBLEMS: readonly ProblemOutcome[] = [{ code: ErrorCode.FORBIDDEN }];

/** Problems of a route that takes a JSON body (the HTTP layer, before any guard). */
export const BODY_PROBLEMS: readonly ProblemOutcome[] = [
  { code: ErrorCode.BAD_REQUEST, name: 'MALFORMED_JSON', when: 'the body is not valid JSON' },
  { code: ErrorCode.PAYLOAD_TOO_LARGE },
  { code: ErrorCode.UNSUPPORTED_MEDIA_TYPE },
];

/** Problems of a route with validated parameters or body. */
export const INPUT_PROBLEMS: readonly ProblemOutcome[] = [{ code: ErrorCode.VALIDATION_FAILED }];

/** Problems of every route that calls an upstream family (resilience boundary, token manager). */
export const UPSTREAM_PROBLEMS: readonly ProblemOutcome[] = [
  { code: ErrorCode.UPSTREAM_UNAVAILABLE, upstream: { status: 500 } },
  { code: ErrorCode.UPSTREAM_REJECTED, upstream: { status: 403 } },
  { code: ErrorCode.UPSTREAM_AUTH_FAILED, upstream: { status: 401 } },
  {
    code: ErrorCode.UPSTREAM_UNAVAILABLE,
    status: 503,
    name: 'CIRCUIT_OPEN',
    when: 'its circuit is open after repeated failures; see Retry-After',
    detail: 'The {service} upstream is failing; calls are paused while its circuit is open.',
    upstream: {},
  },
  {
    code: ErrorCode.UPSTREAM_UNAVAILABLE,
    status: 503,
    name: 'NOT_CONFIGURED',
    when: 'the family is not configured on this gateway; see Retry-After',
    detail: 'The {service} upstream is not configured on this gateway.',
    upstream: {},
  },
  { code: ErrorCode.UPSTREAM_TIMEOUT, upstream: {} },
];

/** Problems any route can give. */
export const EVERY_ROUTE_PROBLEMS: readonly ProblemOutcome[] = [{ code: ErrorCode.INTERNAL }];

export const PROBLEMS_KEY = 'cgw:openapi:problems';
export const UPSTREAM_KEY = 'cgw:openapi:upstream';

/**
 * The problems particular to this route (its own domain outcomes). The ones every route, every
 * authenticated, scoped, body-taking, validated or upstream route can give are derived from the
 * route itself when the document is built (openapi-refiner.ts); each status gets an example per code.
 */
export const ApiProblems = (...problems: ProblemSpec[]) => SetMetadata(PROBLEMS_KEY, problems.map(outcome));

/**
 * The controller's routes call this upstream family: they document UPSTREAM_PROBLEMS and the
 * Accept-Language header the gateway passes on.
 */
export const ApiUpstream = (family: UpstreamService) => SetMetadata(UPSTREAM_KEY, family);
