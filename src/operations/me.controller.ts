import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { SCOPES } from '../auth/scopes';
import { ApiProblems, AUTHENTICATED_PROBLEMS } from '../common/openapi/problem.dto';

export class MeResponse {
  @ApiProperty({ example: 'partner-a' }) name!: string;
  @ApiProperty({ enum: SCOPES, isArray: true, example: ['meeting.terminals:read'] }) scopes!: string[];
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
  @ApiOkResponse({ type: MeResponse })
  @ApiProblems(...AUTHENTICATED_PROBLEMS)
  me(@CurrentPrincipal() principal: Principal): MeResponse {
    return { name: principal.name, scopes: principal.scopes };
  }
}
