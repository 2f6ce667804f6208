import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiResponse } from '@nestjs/swagger';
import { ErrorCode } from '../errors/error-code';

export class FieldErrorDto {
  @ApiProperty({ example: 'numbers[2]' }) field!: string;
  @ApiProperty({ example: 'must be shorter than or equal to 64 characters' }) message!: string;
}

export class UpstreamDetailDto {
  // Its enum (the registry's family ids) is filled in by setupDocs: family controllers import this file.
  @ApiProperty({ description: 'The upstream family' }) service!: string;
  @ApiPropertyOptional({ example: 500 }) status?: number;
  @ApiPropertyOptional({ example: 'USG.000000001' }) code?: string;
  @ApiPropertyOptional({ example: 'Server exception' }) message?: string;
}

/** RFC 9457 problem details as every error of this API is shaped. */
export class ProblemDto {
  @ApiProperty({ example: 'urn:comms-gateway:problem:validation-failed' }) type!: string;
  @ApiProperty({ example: 'Validation failed' }) title!: string;
  @ApiProperty({ example: 400 }) status!: number;
  @ApiProperty({ example: 'limit: must be between 1 and 100' }) detail!: string;
  @ApiProperty({ example: '/v1/contact-center/terminals' }) instance!: string;
  @ApiProperty({ enum: ErrorCode, enumName: 'ErrorCode' }) code!: ErrorCode;
  @ApiProperty({ example: '5f0c7c4e-3a52-4a8a-9a57-1d3f4b1c2e10' }) requestId!: string;
  @ApiPropertyOptional({ type: [FieldErrorDto] }) errors?: FieldErrorDto[];
  @ApiPropertyOptional({ type: UpstreamDetailDto }) upstream?: UpstreamDetailDto;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input (VALIDATION_FAILED names each field) or rejected by the upstream as invalid',
  401: 'Missing or unknown X-API-Key (UNAUTHENTICATED)',
  403: 'The API key lacks the scope (FORBIDDEN)',
  404: 'Not found (NOT_FOUND)',
  422: 'The upstream could not process the request (UNPROCESSABLE)',
  429: 'Rate limit (RATE_LIMITED) or quota (QUOTA_EXCEEDED) reached; see Retry-After',
  502: 'The upstream failed (UPSTREAM_UNAVAILABLE, UPSTREAM_REJECTED, UPSTREAM_AUTH_FAILED)',
  503: 'Upstream not configured, its circuit is open, or a concurrency limit is full; see Retry-After',
  504: 'The upstream did not answer before the deadline (UPSTREAM_TIMEOUT)',
};

/** Documents the problem+json responses a route can give. */
export function ApiProblems(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Problem',
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDto' } } },
        ...(status === 429 || status === 503
          ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } }
          : {}),
      }),
    ),
  );
}

/** Problems every authenticated route can give. */
export const AUTHENTICATED_PROBLEMS = [401, 403, 429] as const;
