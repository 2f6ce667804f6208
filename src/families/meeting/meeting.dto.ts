import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsEmail,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  ValidateNested,
} from 'class-validator';
import { RequiredUnlessAnyOf } from '../../common/at-least-one-of';
import { EachMatches } from '../../common/each-matches';
import { UniqueItems } from '../../common/unique-items';
import { TerminalStatusDto } from '../../common/models/terminal-status.dto';

const MEETING_NUMBER_PATTERN = /^[A-Za-z0-9+*#@._:-]{1,64}$/;

/** 1-100 unique Meeting numbers (the batch body and the stream query share the rules). */
const TerminalNumbers = () =>
  applyDecorators(
    IsArray(),
    ArrayMinSize(1),
    ArrayMaxSize(100),
    UniqueItems(100),
    EachMatches(MEETING_NUMBER_PATTERN, 'must be 1-64 characters of letters, digits and + * # @ . _ : -'),
  );

export class TerminalNumberParams {
  @ApiProperty({ example: '+991116173924', description: 'Terminal number (1-64 chars)' })
  @Matches(MEETING_NUMBER_PATTERN, { message: 'must be 1-64 characters of letters, digits and + * # @ . _ : -' })
  number!: string;
}

export class TerminalStatusesRequest {
  // minItems/maxItems/uniqueItems and the items' pattern come from the validators (OpenAPI refiner).
  @ApiProperty({
    type: [String],
    example: ['+991116173924', '+991116173901'],
    description: 'Terminal numbers, each at most once',
  })
  @TerminalNumbers()
  numbers!: string[];
}

/** `?numbers=` of the watch stream: comma-separated, the same rules as the batch body. */
export class TerminalStatusStreamQuery {
  @ApiProperty({
    type: [String],
    example: ['+991116173924', '+991116173901'],
    description:
      '1-100 unique terminal numbers, comma-separated. Percent-encode each `+` as `%2B` ' +
      '(a raw `+` in a query string means a space): `?numbers=%2B991116173924,%2B991116173901`.',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @TerminalNumbers()
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
  @ApiProperty({ example: '+8613800000000', description: 'International number: + and 6-20 digits' })
  @Matches(/^\+\d{6,20}$/, { message: 'must be an international number such as +8613800000000' })
  number!: string;

  // The default is stated in words: a schema `default` makes client generators (openapi-typescript)
  // type the field as required in request bodies.
  @ApiPropertyOptional({ example: 'chinaPR', description: 'Country of the number; chinaPR when absent' })
  @IsOptional()
  @IsString()
  @Length(1, 32)
  country?: string;
}

export class ActivationCodeResetRequest {
  @ApiPropertyOptional({ example: 'it-admin@example.com', description: 'At least one of email and sms' })
  @RequiredUnlessAnyOf(['sms'], { message: 'at least one of email and sms is required' })
  @IsEmail()
  @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ type: SmsTarget, description: 'At least one of email and sms' })
  @IsOptional()
  @ValidateNested()
  @Type(() => SmsTarget)
  sms?: SmsTarget;
}

const DELIVERY_CHANNELS = ['email', 'sms'] as const;
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number];

export class ActivationQuotaDto {
  @ApiProperty({ type: 'integer', minimum: 1, example: 5, description: 'Resets allowed per SN per rolling 24 h' })
  limit!: number;
  @ApiProperty({ type: 'integer', minimum: 0, example: 4, description: 'Resets left in the window' })
  remaining!: number;
  @ApiProperty({
    format: 'date-time',
    example: '2026-11-25T10:00:00.000Z',
    description: 'When the oldest reset leaves the 24 h window',
  })
  resetsAt!: string;
}

export class ActivationCodeResetResponse {
  @ApiProperty({ example: 'HWSN0001', description: 'The device serial number' }) sn!: string;
  @ApiProperty({
    enum: DELIVERY_CHANNELS,
    enumName: 'DeliveryChannel',
    isArray: true,
    example: ['email'],
    description: 'Where the new code was sent',
  })
  deliveredTo!: DeliveryChannel[];
  @ApiProperty({ type: ActivationQuotaDto, description: 'The SN quota after this reset' }) quota!: ActivationQuotaDto;
}
