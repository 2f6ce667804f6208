import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export const REGISTRATION_STATES = ['registered', 'unregistered', 'unknown'] as const;
export const CALL_STATES = ['offline', 'idle', 'in_call', 'not_applicable', 'unknown'] as const;
export const TERMINAL_SOURCES = ['meeting', 'cc-cms'] as const;
const SOCKET_STATES = ['normal', 'fault', 'connecting', 'uninstalled', 'unknown'] as const;
const TLS_STATES = ['connected', 'disconnected', 'uninstalled', 'unknown'] as const;
const MONITORING_STATES = ['started', 'stopped', 'unknown'] as const;

export class TerminalConnectionDto {
  @ApiProperty({ enum: SOCKET_STATES, enumName: 'SocketState', description: 'SIP socket state' })
  socket!: string;
  @ApiProperty({ enum: TLS_STATES, enumName: 'TlsState', description: 'TLS link state' })
  tls!: string;
  @ApiProperty({ example: '10.1.2.3:5060', description: 'Registered address and port' }) address!: string;
  @ApiPropertyOptional({ example: '10.30.0.1:5060', description: 'Roaming address and port' }) roamAddress?: string;
  @ApiProperty({ example: 'IPv4', description: 'IPv4, IPv6, or unknown' }) ipType!: string;
  @ApiProperty({ example: 'sip', description: 'Signalling protocol, lower case' }) protocol!: string;
  @ApiProperty({ enum: MONITORING_STATES, enumName: 'Monitoring', description: 'Whether CC-CMS monitors it' })
  monitoring!: string;
}

export class UapDto {
  @ApiProperty({ example: '10.10.1.11', description: 'UAP address' }) address!: string;
  @ApiProperty({ example: '1', description: 'UAP id' }) id!: string;
  @ApiProperty({ example: '56', description: 'CCU module number' }) ccuModule!: string;
}

/** The normalized status of a Meeting or CC-CMS terminal. */
export class TerminalStatusDto {
  @ApiProperty({ example: '+991116173924', description: 'Meeting number (as requested) or CC-CMS equipmentId' })
  id!: string;

  @ApiProperty({ enum: TERMINAL_SOURCES, enumName: 'TerminalSource', description: 'The family that reported it' })
  source!: (typeof TERMINAL_SOURCES)[number];

  @ApiProperty({ enum: REGISTRATION_STATES, enumName: 'Registration', description: 'SIP registration' })
  registration!: (typeof REGISTRATION_STATES)[number];

  @ApiProperty({
    enum: CALL_STATES,
    enumName: 'TerminalCall',
    description: 'Meeting CallStatus 0-3; CC-CMS terminals report no call state ("unknown")',
  })
  call!: (typeof CALL_STATES)[number];

  @ApiPropertyOptional({ type: TerminalConnectionDto, description: 'cc-cms only' })
  connection?: TerminalConnectionDto;

  @ApiPropertyOptional({ type: UapDto, description: 'cc-cms only' })
  uap?: UapDto;

  @ApiPropertyOptional({ example: 'sip', description: 'Terminal type, lower case (cc-cms only)' })
  terminalType?: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-24T10:00:00.000Z', description: 'When the upstream was asked' })
  observedAt!: string;
}
