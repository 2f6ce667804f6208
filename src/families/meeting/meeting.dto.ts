import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsEmail,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { EachMatches } from '../../common/each-matches';
import { UniqueItems } from '../../common/unique-items';
import { TerminalStatusDto } from '../../common/models/terminal-status.dto';

const MEETING_NUMBER_PATTERN = /^[A-Za-z0-9+*#@._:-]{1,64}$/;

export class TerminalNumberParams {
  @ApiProperty({ example: '+991116173924', description: 'Terminal number (1-64 chars)' })
  @Matches(MEETING_NUMBER_PATTERN, { message: 'must be 1-64 characters of letters, digits and + * # @ . _ : -' })
  number!: string;
}

export class TerminalStatusesRequest {
  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: 100,
    uniqueItems: true,
    example: ['+991116173924', '+991116173901'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @UniqueItems(100)
  @EachMatches(MEETING_NUMBER_PATTERN, 'must be 1-64 characters of letters, digits and + * # @ . _ : -')
  numbers!: string[];
}

export class TerminalStatusList {
  @ApiProperty({ type: [TerminalStatusDto], description: 'One item per number Meeting knows, in request order' })
  items!: TerminalStatusDto[];

  @ApiProperty({
    type: [String],
    example: ['+991116179999'],
    description: 'The requested numbers Meeting does not know, in request order',
  })
  notFound!: string[];
}

export class DeviceParams {
  @ApiProperty({ example: 'HWSN0001', description: 'Device serial number: letters, digits, underscore; 1-30' })
  @Matches(/^[A-Za-z0-9_]{1,30}$/, { message: 'must be 1-30 letters, digits or underscores' })
  sn!: string;
}

export class SmsTarget {
  @ApiProperty({ example: '+8613800000000' })
  @Matches(/^\+\d{6,20}$/, { message: 'must be an international number such as +8613800000000' })
  number!: string;

  @ApiPropertyOptional({ example: 'chinaPR', default: 'chinaPR' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  country?: string;
}

export class ActivationCodeResetRequest {
  @ApiPropertyOptional({ example: 'it-admin@example.com', description: 'At least one of email and sms' })
  @ValidateIf((o: ActivationCodeResetRequest) => o.sms === undefined || o.email !== undefined)
  @IsDefined({ message: 'email or sms is required' })
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ type: SmsTarget })
  @IsOptional()
  @ValidateNested()
  @Type(() => SmsTarget)
  sms?: SmsTarget;
}

export class ActivationQuotaDto {
  @ApiProperty({ example: 5 }) limit!: number;
  @ApiProperty({ example: 4 }) remaining!: number;
  @ApiProperty({ example: '2026-11-25T10:00:00.000Z', description: 'When the oldest reset leaves the 24 h window' })
  resetsAt!: string;
}

export class ActivationCodeResetResponse {
  @ApiProperty({ example: 'HWSN0001' }) sn!: string;
  @ApiProperty({ enum: ['email', 'sms'], isArray: true, example: ['email'] }) deliveredTo!: ('email' | 'sms')[];
  @ApiProperty({ type: ActivationQuotaDto }) quota!: ActivationQuotaDto;
}
