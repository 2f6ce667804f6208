import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBase64,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);
const HTTP_URL = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };

/**
 * The process environment as the gateway reads it. Every variable of the API contract is
 * declared here; validation failures stop start-up with the variable's name.
 */
export class Environment {
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl({ require_tld: false, protocols: ['redis', 'rediss'], require_protocol: true })
  REDIS_URL?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['live', 'sandbox'])
  UPSTREAM_MODE?: 'live' | 'sandbox';

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  API_KEYS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  API_KEYS_FILE?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsUrl(HTTP_URL) MEETING_BASE_URL?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) @MaxLength(128) MEETING_APP_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) MEETING_APP_KEY?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MaxLength(128) MEETING_USER_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MaxLength(128) MEETING_CORP_ID?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsUrl(HTTP_URL) CCMS_BASE_URL?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) CCMS_AK?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) CCMS_SK?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() CCMS_CA_FILE?: string;

  @Transform(emptyToUndefined) @IsOptional() @IsUrl(HTTP_URL) CEC_BASE_URL?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) CEC_APP_KEY?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) CEC_AK?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) CEC_SK?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsBase64()
  TOKEN_ENCRYPTION_KEY?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9:_.-]{0,64}$/)
  REDIS_KEY_PREFIX?: string;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(120_000)
  UPSTREAM_TIMEOUT_MS?: number;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  // Gateway tunables beyond the contract's table (documented in the README).
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  RATE_LIMIT_PER_MINUTE?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(31)
  CCMS_EID_MIN_LITERAL_PREFIX?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  CCMS_MAX_CONCURRENCY?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  CIRCUIT_FAILURE_THRESHOLD?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  CIRCUIT_HALF_OPEN_AFTER_MS?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(60_000)
  CCMS_QUEUE_TIMEOUT_MS?: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the raw environment; throws a ConfigError naming every bad variable. */
export function validateEnvironment(raw: NodeJS.ProcessEnv): Environment {
  const env = plainToInstance(Environment, { ...raw }, { excludeExtraneousValues: false });
  const errors = validateSync(env, { forbidUnknownValues: false });
  if (errors.length > 0) {
    const lines = errors.map(
      (e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ') || 'invalid value'}`,
    );
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return env;
}
