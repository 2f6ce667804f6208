import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageInfo, PageQuery } from '../../common/paging';

export class SoftphoneQuery extends PageQuery {
  // Its enum comes from @IsIn (OpenAPI refiner).
  @ApiPropertyOptional({
    type: String,
    description: 'With scope cc.softphones:credentials, adds each softphone password; otherwise password is absent',
  })
  @IsOptional()
  @IsIn(['credentials'])
  include?: 'credentials';
}

export const SOFTPHONE_REGISTRATIONS = ['registered', 'suspended', 'unknown'] as const;
export const REGISTRATION_SERVER_MODES = ['single', 'pool'] as const;
export const CALL_STATE_VALUES = ['queued', 'ringing', 'connected', 'ended', 'unknown'] as const;

export class SoftphoneDto {
  @ApiProperty({ example: '6400001', description: 'The softphone number' }) id!: string;
  @ApiProperty({ enum: ['cc-management'], description: 'The family that reported it' }) source!: 'cc-management';
  @ApiProperty({ enum: SOFTPHONE_REGISTRATIONS, enumName: 'SoftphoneRegistration', description: 'Registration' })
  registration!: (typeof SOFTPHONE_REGISTRATIONS)[number];
  @ApiPropertyOptional({ example: '1001', description: 'Configuration id' }) configId?: string;
  @ApiPropertyOptional({ example: 'desk 4', description: 'Free text' }) remark?: string;
  @ApiPropertyOptional({ example: '202101110001', description: 'Tenant id' }) tenantId?: string;
  @ApiPropertyOptional({ example: 'P1', description: 'Partition id' }) partitionId?: string;
  @ApiPropertyOptional({
    format: 'password',
    description: 'Only with include=credentials and scope cc.softphones:credentials',
  })
  password?: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-24T10:00:00.000Z', description: 'When the upstream was asked' })
  observedAt!: string;
}

export class RegistrationServerDto {
  @ApiProperty({ enum: REGISTRATION_SERVER_MODES, enumName: 'RegistrationServerMode', description: 'Single or pool' })
  mode!: (typeof REGISTRATION_SERVER_MODES)[number];
  @ApiPropertyOptional({ example: 'node1', description: 'Pool node name (pool mode)' }) node?: string;
  @ApiProperty({ example: '10.40.0.10', description: 'Registration address' }) address!: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 65535, example: 5060, description: 'Registration port' })
  port!: number;
  @ApiPropertyOptional({ example: '10.40.0.11', description: 'SIP service address' }) sipAddress?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: 65535, example: 5061, description: 'SIP port' })
  sipPort?: number;
}

export class SoftphoneList {
  @ApiProperty({ type: [SoftphoneDto], description: 'This page of softphones' }) items!: SoftphoneDto[];
  @ApiProperty({ type: [RegistrationServerDto], description: 'Where softphones register' })
  registrationServers!: RegistrationServerDto[];
  @ApiProperty({ type: PageInfo, description: 'Paging' }) page!: PageInfo;
}

export class CallParams {
  @ApiProperty({ example: '645735364434067472', description: 'The call serial number: 1-50 digits' })
  @Matches(/^\d{1,50}$/, { message: 'must be 1-50 digits' })
  id!: string;
}

export const END_REASON_CATEGORIES = [
  'callee_hung_up',
  'caller_hung_up',
  'caller_unreachable',
  'callee_unreachable',
  'caller_no_answer',
  'callee_no_answer',
  'call_failed',
  'other',
] as const;

export class EndReasonDto {
  @ApiProperty({ type: 'integer', example: 0, description: "The upstream's reason code" }) code!: number;
  @ApiProperty({ enum: END_REASON_CATEGORIES, enumName: 'EndReasonCategory', description: 'Why the call ended' })
  category!: (typeof END_REASON_CATEGORIES)[number];
  @ApiProperty({ example: 'The called party hung up.', description: 'In English' }) description!: string;
}

export class CallStatusDto {
  @ApiProperty({ example: '645735364434067472', description: 'The call serial number' }) id!: string;
  @ApiProperty({ enum: ['cc-management'], description: 'The family that reported it' }) source!: 'cc-management';
  @ApiProperty({ enum: CALL_STATE_VALUES, enumName: 'CallState', description: 'Upstream states 0-3' })
  state!: (typeof CALL_STATE_VALUES)[number];
  @ApiProperty({ example: '88889050', description: 'Calling number' }) caller!: string;
  @ApiProperty({ example: '88889060', description: 'Called number' }) callee!: string;
  @ApiPropertyOptional({ example: '640003', description: 'Number shown to the called party' }) callerDisplay?: string;
  @ApiPropertyOptional({ example: '640060', description: 'Number shown to the agent' }) agentDisplay?: string;
  @ApiPropertyOptional({ example: 'order=1234', description: 'Call data attached by the contact center' })
  callData?: string;
  @ApiPropertyOptional({ format: 'date-time', example: '2021-05-24T02:37:45.000Z', description: 'Call start' })
  startedAt?: string;
  @ApiPropertyOptional({ format: 'date-time', example: '2021-05-24T02:37:52.000Z', description: 'Call end' })
  endedAt?: string;
  @ApiPropertyOptional({ type: 'integer', minimum: 0, example: 7000, description: 'endedAt - startedAt' })
  durationMs?: number;
  @ApiPropertyOptional({ type: EndReasonDto, description: 'Once the call ended' }) endReason?: EndReasonDto;
  @ApiProperty({ format: 'date-time', example: '2026-11-24T10:00:00.000Z', description: 'When the upstream was asked' })
  observedAt!: string;
}
