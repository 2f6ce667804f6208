import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { ApiKeyIdentityDto } from '../auth/api-key-identity.dto';
import { SCOPES } from '../auth/scopes';
import { PageInfo } from '../common/paging';
import { UniqueItems } from '../common/unique-items';

const KEY_NAME_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_NAME_MESSAGE = 'must be 1-64 characters of letters, digits and . _ -';
const EXAMPLE_KEY = 'cgw_q2Vx3m4wZk8bNf7Yh1Lr0TsdPaUcEoJiKgWlXyRtBnM';

export class CreateApiKeyRequest {
  @ApiProperty({ example: 'partner-a', description: 'Unique name of the key (who holds it)' })
  @IsString()
  @Matches(KEY_NAME_PATTERN, { message: KEY_NAME_MESSAGE })
  name!: string;

  // The items' enum and the size limits come from the validators (OpenAPI refiner).
  @ApiProperty({
    type: [String],
    example: ['meeting.terminals:read'],
    description: 'What the key may do: known scopes, each at most once, none the caller lacks',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @UniqueItems(SCOPES.length)
  @IsIn(SCOPES, { each: true })
  scopes!: string[];

  @ApiPropertyOptional({
    example: '2027-01-31T00:00:00.000Z',
    description: 'When the key stops working (in the future); absent: never',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  expiresAt?: string;

  @ApiPropertyOptional({
    example: 120,
    description: "The key's own requests per minute; absent: RATE_LIMIT_PER_MINUTE",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  rateLimitPerMinute?: number;
}

export class RotateApiKeyRequest {
  @ApiPropertyOptional({ example: 3600, description: 'How long the old key keeps working; 0 (default): not at all' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400)
  graceSeconds?: number;
}

export class ApiKeyParams {
  @ApiProperty({
    example: 'key_Xb3kq9LmT0aPz1Yc',
    description: 'The key id (`key_...` issued, `cfg_<name>` configured)',
  })
  @Matches(/^(key|cfg)_[A-Za-z0-9._-]{1,64}$/, { message: 'must be a key id such as key_Xb3kq9LmT0aPz1Yc' })
  id!: string;
}

const SOURCES = ['config', 'issued'] as const;

/** When an issued key stops working and its own limit: shared by the list and the creation answer. */
class ApiKeyTermsDto extends ApiKeyIdentityDto {
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: null,
    description: 'When it stops working; null: never',
  })
  expiresAt!: string | null;
  @ApiProperty({
    type: 'integer',
    nullable: true,
    minimum: 1,
    example: null,
    description: "The key's own requests per minute; null: RATE_LIMIT_PER_MINUTE",
  })
  rateLimitPerMinute!: number | null;
}

export class ApiKeyDto extends ApiKeyTermsDto {
  @ApiProperty({
    enum: SOURCES,
    enumName: 'ApiKeySource',
    description: '`config`: API_KEYS (read-only); `issued`: created through this API or `npm run keys`',
  })
  source!: 'config' | 'issued';
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-24T10:00:00.000Z',
    description: 'When it was issued; null for a configured key',
  })
  createdAt!: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    example: '2026-11-24T10:05:00.000Z',
    description: 'Last request made with it, to the minute; null: not used yet (or configured)',
  })
  lastUsedAt!: string | null;
}

export class IssuedApiKeyDto extends ApiKeyTermsDto {
  @ApiProperty({
    example: EXAMPLE_KEY,
    pattern: '^cgw_[A-Za-z0-9_-]{43}$',
    description: 'The key itself: shown in this response only, store it now (X-API-Key)',
  })
  key!: string;
  @ApiProperty({ enum: ['issued'], description: 'Always `issued`' }) source!: 'issued';
  @ApiProperty({ format: 'date-time', example: '2026-11-24T10:00:00.000Z', description: 'When it was issued' })
  createdAt!: string;
}

export class ApiKeyList {
  @ApiProperty({ type: [ApiKeyDto], description: 'Configured keys first, then issued keys oldest first' })
  items!: ApiKeyDto[];
  @ApiProperty({ type: PageInfo }) page!: PageInfo;
}

const AUDIT_ACTIONS = [
  'api-key.created',
  'api-key.revoked',
  'api-key.rotated',
  'activation-code.reset',
  'softphone-credentials.read',
] as const;
const AUDIT_OUTCOMES = ['success', 'denied', 'failed'] as const;

export class AuditActorDto {
  @ApiProperty({ example: 'key_Xb3kq9LmT0aPz1Yc', description: 'Id of the API key that acted' }) id!: string;
  @ApiProperty({ example: 'ops', description: 'Name of the API key that acted' }) name!: string;
}

export class AuditEntryDto {
  @ApiProperty({ format: 'date-time', example: '2026-11-24T10:00:00.000Z' }) at!: string;
  @ApiProperty({ example: '5f0c7c4e-3a52-4a8a-9a57-1d3f4b1c2e10', description: 'X-Request-Id of the request' })
  requestId!: string;
  @ApiProperty({ type: AuditActorDto }) actor!: AuditActorDto;
  @ApiProperty({ enum: AUDIT_ACTIONS, enumName: 'AuditAction' }) action!: string;
  @ApiProperty({ example: 'key_Xb3kq9LmT0aPz1Yc', description: 'Key id, device SN or `softphones`' }) target!: string;
  @ApiProperty({
    enum: AUDIT_OUTCOMES,
    enumName: 'AuditOutcome',
    description: '`denied`: refused (e.g. scope escalation); `failed`: attempted and failed',
  })
  outcome!: string;
}

export class AuditList {
  @ApiProperty({ type: [AuditEntryDto], description: 'Newest first' }) items!: AuditEntryDto[];
  @ApiProperty({ type: PageInfo }) page!: PageInfo;
}
