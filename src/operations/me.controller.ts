import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { SCOPES } from '../auth/scopes';

export class MeResponse {
  @ApiProperty({ example: 'partner-a', description: 'The key name' }) name!: string;
  @ApiProperty({
    enum: SCOPES,
    enumName: 'Scope',
    isArray: true,
    example: ['meeting.terminals:read'],
    description: 'What the key may do',
  })
  scopes!: string[];
}

@ApiTags('operations')
@ApiSecurity('apiKey')
@Controller('v1/me')
export class MeController {
  @Get()
  @ApiOperation({
    summary: 'The API key in use',
    description: 'Lets a client check its key: the key name and its scopes.',
    operationId: 'getMe',
  })
  @ApiOkResponse({ type: MeResponse, description: 'The key in use' })
  me(@CurrentPrincipal() principal: Principal): MeResponse {
    return { name: principal.name, scopes: principal.scopes };
  }
}
