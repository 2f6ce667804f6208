import { plainToInstance, Transform } from 'class-transformer';
import { IsBase64, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, validateSync } from 'class-validator';

import { readFileSync } from 'node:fs';
import { firstBrokenRule } from '../common/validation';

export const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;
export const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);
export const HTTP_URL = { require_tld: false, protocols: ['http', 'https'], require_protocol: true };

/**
 * The gateway-wide environment variables. Each upstream family declares its own variables in
 * its folder; validation failures of all of them are reported together and stop start-up.
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

  /** `host:port,...` of Redis Sentinels (instead of REDIS_URL); the gateway follows failovers. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9.:[\]_-]+:\d{1,5}(,[A-Za-z0-9.:[\]_-]+:\d{1,5})*$/, {
    message: 'must be host:port[,host:port...]',
  })
  REDIS_SENTINELS?: string;

  /** The master's name the Sentinels monitor. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'must be 1-64 characters of [A-Za-z0-9._-]' })
  REDIS_SENTINEL_NAME?: string;

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

  /** OTLP/HTTP collector base URL; spans are exported only when set. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsUrl(HTTP_URL)
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  /** How often all replicas together poll each watched item. */
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1000)
  @Max(600_000)
  STATUS_POLL_INTERVAL_MS?: number;

  /** Open watch streams per API key across all replicas. */
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  STREAMS_PER_KEY?: number;

  /** Status cache freshness; 0 turns the cache off. */
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  STATUS_CACHE_TTL_MS?: number;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(600_000)
  CLIENT_TIMEOUT_MS?: number;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  SHUTDOWN_GRACE_MS?: number;

  /** Comma-separated exact origins; checked one by one in loadConfig. */
  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  @Transform(emptyToUndefined)
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9._~+/-]{16,256}=*$/, {
    message: 'must be 16-256 characters of a bearer token (letters, digits, . _ ~ + / -)',
  })
  METRICS_TOKEN?: string;

  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  AUTH_FAILURES_PER_MINUTE?: number;

  /** Audit entries kept in Redis (oldest dropped first). */
  @Transform(toInt)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  AUDIT_MAX_ENTRIES?: number;

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
  @Min(1)
  @Max(1_000_000)
  MAX_CONNECTIONS?: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates `raw` against one schema class; appends one line per bad variable to `errors`. */
export function validateVariables<T extends object>(schema: new () => T, raw: NodeJS.ProcessEnv, errors: string[]): T {
  const env = plainToInstance(schema, { ...raw }, { excludeExtraneousValues: false });
  // One message per variable, the rule that matters most (PORT=abc: "must be an integer", once).
  for (const e of validateSync(env, { forbidUnknownValues: false })) {
    errors.push(`${e.property}: ${firstBrokenRule(e.constraints)[0] ?? 'invalid value'}`);
  }
  return env;
}

/** A file named by a variable, or undefined with a line in `errors`. */
export function readFileNamed(variable: string, path: string, errors: string[]): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    errors.push(`${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}
