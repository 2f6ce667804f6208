import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUrl, MinLength } from 'class-validator';
import { emptyToUndefined, HTTP_URL } from '../../config/environment';

/** CC-Management's environment variables (X-APP-Key and the AK/SK for tokenByAkSk). */
export class CcManagementEnvironment {
  @Transform(emptyToUndefined) @IsOptional() @IsUrl(HTTP_URL) CEC_BASE_URL?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) CEC_APP_KEY?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) CEC_AK?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) CEC_SK?: string;
}

export interface CcManagementSettings {
  baseUrl: string;
  appKey: string;
  ak: string;
  sk: string;
}

export const CC_MANAGEMENT_SETTINGS = Symbol('CC_MANAGEMENT_SETTINGS');

export function ccManagementSettings(env: CcManagementEnvironment): CcManagementSettings {
  return { baseUrl: env.CEC_BASE_URL!, appKey: env.CEC_APP_KEY!, ak: env.CEC_AK!, sk: env.CEC_SK! };
}
