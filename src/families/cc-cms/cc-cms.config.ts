import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, IsUrl, Max, Min, MinLength } from 'class-validator';
import { emptyToUndefined, HTTP_URL, readFileNamed, toInt } from '../../config/environment';

/** CC-CMS's environment variables (AK/SK signatures) and tunables. */
export class CcCmsEnvironment {
  @Transform(emptyToUndefined) @IsOptional() @IsUrl(HTTP_URL) CCMS_BASE_URL?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) CCMS_AK?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) CCMS_SK?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() CCMS_CA_FILE?: string;
  /** Literal leading digits a wildcard EID pattern needs (the upstream wants matches under 200). */
  @Transform(toInt) @IsOptional() @IsInt() @Min(0) @Max(31) CCMS_EID_MIN_LITERAL_PREFIX?: number;
  /** Calls in flight to CC-CMS across every replica (the upstream documents 10). */
  @Transform(toInt) @IsOptional() @IsInt() @Min(1) @Max(100) CCMS_MAX_CONCURRENCY?: number;
  /** How long a caller waits for a free slot before 503. */
  @Transform(toInt) @IsOptional() @IsInt() @Min(0) @Max(60_000) CCMS_QUEUE_TIMEOUT_MS?: number;
}

export interface CcCmsSettings {
  baseUrl: string;
  ak: string;
  sk: string;
  /** PEM text of CCMS_CA_FILE, trusted in addition to nothing else (verification stays on). */
  ca?: string;
  eidMinLiteralPrefix: number;
  maxConcurrency: number;
  queueTimeoutMs: number;
}

export const CC_CMS_SETTINGS = Symbol('CC_CMS_SETTINGS');

export function ccCmsSettings(env: CcCmsEnvironment, errors: string[]): CcCmsSettings {
  return {
    baseUrl: env.CCMS_BASE_URL!,
    ak: env.CCMS_AK!,
    sk: env.CCMS_SK!,
    ca: env.CCMS_CA_FILE ? readFileNamed('CCMS_CA_FILE', env.CCMS_CA_FILE, errors) : undefined,
    eidMinLiteralPrefix: env.CCMS_EID_MIN_LITERAL_PREFIX ?? 4,
    maxConcurrency: env.CCMS_MAX_CONCURRENCY ?? 10,
    queueTimeoutMs: env.CCMS_QUEUE_TIMEOUT_MS ?? 2000,
  };
}
