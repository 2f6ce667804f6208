import { Transform } from 'class-transformer';
import { IsOptional, IsString, IsUrl, MaxLength, MinLength } from 'class-validator';
import { emptyToUndefined, HTTP_URL } from '../../config/environment';

/** Meeting's environment variables (App ID authentication). */
export class MeetingEnvironment {
  @Transform(emptyToUndefined) @IsOptional() @IsUrl(HTTP_URL) MEETING_BASE_URL?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) @MaxLength(128) MEETING_APP_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1) MEETING_APP_KEY?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MaxLength(128) MEETING_USER_ID?: string;
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MaxLength(128) MEETING_CORP_ID?: string;
}

export interface MeetingSettings {
  baseUrl: string;
  appId: string;
  appKey: string;
  userId?: string;
  /** Set only in SP (multi-enterprise) mode. */
  corpId?: string;
}

export const MEETING_SETTINGS = Symbol('MEETING_SETTINGS');

export function meetingSettings(env: MeetingEnvironment): MeetingSettings {
  return {
    baseUrl: env.MEETING_BASE_URL!,
    appId: env.MEETING_APP_ID!,
    appKey: env.MEETING_APP_KEY!,
    userId: env.MEETING_USER_ID,
    corpId: env.MEETING_CORP_ID,
  };
}
