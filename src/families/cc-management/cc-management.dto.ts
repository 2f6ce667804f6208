import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { PageInfo, PageQuery } from '../../common/paging';

export class SoftphoneQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: ['credentials'],
    description: 'With scope cc.softphones:credentials, adds each softphone password; otherwise password is absent',
  })
  @IsOptional()
  @IsIn(['credentials'])
  include?: 'credentials';
}

export class SoftphoneDto {
  @ApiProperty({ example: '6400001', description: 'The softphone number' }) id!: string;
  @ApiProperty({ enum: ['cc-management'] }) source!: 'cc-management';
  @ApiProperty({ enum: ['registered', 'suspended', 'unknown'] }) registration!: 'registered' | 'suspended' | 'unknown';
  @ApiPropertyOptional({ example: '1001' }) configId?: string;
  @ApiPropertyOptional({ example: 'desk 4' }) remark?: string;
  @ApiPropertyOptional({ example: '202101110001' }) tenantId?: string;
  @ApiPropertyOptional({ example: 'P1' }) partitionId?: string;
  @ApiPropertyOptional({ description: 'Only with include=credentials and scope cc.softphones:credentials' })
  password?: string;
  @ApiProperty({ example: '2026-11-24T10:00:00.000Z', description: 'When the upstream was asked' })
  observedAt!: string;
}

export class RegistrationServerDto {
  @ApiProperty({ enum: ['single', 'pool'] }) mode!: 'single' | 'pool';
  @ApiPropertyOptional({ example: 'node1' }) node?: string;
  @ApiProperty({ example: '10.40.0.10' }) address!: string;
  @ApiProperty({ example: 5060 }) port!: number;
  @ApiPropertyOptional({ example: '10.40.0.11' }) sipAddress?: string;
  @ApiPropertyOptional({ example: 5061 }) sipPort?: number;
}

export class SoftphoneList {
  @ApiProperty({ type: [SoftphoneDto] }) items!: SoftphoneDto[];
  @ApiProperty({ type: [RegistrationServerDto] }) registrationServers!: RegistrationServerDto[];
  @ApiProperty({ type: PageInfo }) page!: PageInfo;
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
  @ApiProperty({ example: 0 }) code!: number;
  @ApiProperty({ enum: END_REASON_CATEGORIES }) category!: (typeof END_REASON_CATEGORIES)[number];
  @ApiProperty({ example: 'The called party hung up.' }) description!: string;
}

export class CallStatusDto {
  @ApiProperty({ example: '645735364434067472', description: 'The call serial number' }) id!: string;
  @ApiProperty({ enum: ['cc-management'] }) source!: 'cc-management';
  @ApiProperty({ enum: ['queued', 'ringing', 'connected', 'ended', 'unknown'] })
  state!: 'queued' | 'ringing' | 'connected' | 'ended' | 'unknown';
  @ApiProperty({ example: '88889050' }) caller!: string;
  @ApiProperty({ example: '88889060' }) callee!: string;
  @ApiPropertyOptional({ example: '640003' }) callerDisplay?: string;
  @ApiPropertyOptional({ example: '640060' }) agentDisplay?: string;
  @ApiPropertyOptional() callData?: string;
  @ApiPropertyOptional({ example: '2021-05-24T02:37:45.000Z' }) startedAt?: string;
  @ApiPropertyOptional({ example: '2021-05-24T02:37:52.000Z' }) endedAt?: string;
  @ApiPropertyOptional({ example: 7000 }) durationMs?: number;
  @ApiPropertyOptional({ type: EndReasonDto }) endReason?: EndReasonDto;
  @ApiProperty({ example: '2026-11-24T10:00:00.000Z', description: 'When the upstream was asked' })
  observedAt!: string;
}
