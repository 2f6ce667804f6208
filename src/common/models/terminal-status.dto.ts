import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const REGISTRATION_STATES = ['registered', 'unregistered', 'unknown'] as const;
export const CALL_STATES = ['offline', 'idle', 'in_call', 'not_applicable', 'unknown'] as const;

export class TerminalConnectionDto {
  @ApiProperty({ enum: ['normal', 'fault', 'connecting', 'uninstalled', 'unknown'] }) socket!: string;
  @ApiProperty({ enum: ['connected', 'disconnected', 'uninstalled', 'unknown'] }) tls!: string;
  @ApiProperty({ example: '10.1.2.3:5060' }) address!: string;
  @ApiPropertyOptional({ example: '10.30.0.1:5060' }) roamAddress?: string;
  @ApiProperty({ example: 'IPv4' }) ipType!: string;
  @ApiProperty({ example: 'sip' }) protocol!: string;
  @ApiProperty({ enum: ['started', 'stopped', 'unknown'] }) monitoring!: string;
}

export class UapDto {
  @ApiProperty({ example: '10.10.1.11' }) address!: string;
  @ApiProperty({ example: '1' }) id!: string;
  @ApiProperty({ example: '56' }) ccuModule!: string;
}

/** The normalized status of a Meeting or CC-CMS terminal. */
export class TerminalStatusDto {
  @ApiProperty({ example: '+991116173924', description: 'Meeting number (as requested) or CC-CMS equipmentId' })
  id!: string;

  @ApiProperty({ enum: ['meeting', 'cc-cms'] })
  source!: 'meeting' | 'cc-cms';

  @ApiProperty({ enum: REGISTRATION_STATES })
  registration!: (typeof REGISTRATION_STATES)[number];

  @ApiProperty({
    enum: CALL_STATES,
    description: 'Meeting CallStatus 0-3; CC-CMS terminals report no call state ("unknown")',
  })
  call!: (typeof CALL_STATES)[number];

  @ApiPropertyOptional({ type: TerminalConnectionDto, description: 'cc-cms only' })
  connection?: TerminalConnectionDto;

  @ApiPropertyOptional({ type: UapDto, description: 'cc-cms only' })
  uap?: UapDto;

  @ApiPropertyOptional({ example: 'sip' })
  terminalType?: string;

  @ApiProperty({ example: '2026-11-24T10:00:00.000Z', description: 'When the upstream was asked' })
  observedAt!: string;
}
