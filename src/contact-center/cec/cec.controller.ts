import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Scopes } from '../../auth/principal';
import { ApiProblems, AUTHENTICATED_PROBLEMS } from '../../common/openapi/problem.dto';
import { CallParams, CallStatusDto, SoftphoneList, SoftphoneQuery } from './cec.dto';
import { CecService } from './cec.service';

@ApiTags('contact-center')
@ApiSecurity('apiKey')
@Controller('v1/contact-center')
export class CecController {
  constructor(private readonly cec: CecService) {}

  @Get('softphones')
  @Scopes('cc.softphones:read')
  @ApiOperation({
    summary: 'Allocated softphone numbers and their registration servers',
    description:
      'CC-Management queryPhone. `password` is present only with include=credentials and scope ' +
      'cc.softphones:credentials; otherwise it is absent.',
    operationId: 'listSoftphones',
  })
  @ApiOkResponse({ type: SoftphoneList })
  @ApiProblems(400, ...AUTHENTICATED_PROBLEMS, 502, 503, 504)
  softphones(@Query() query: SoftphoneQuery, @CurrentPrincipal() principal: Principal): Promise<SoftphoneList> {
    return this.cec.softphones(query, principal);
  }

  @Get('calls/:callSerialNo')
  @Scopes('cc.calls:read')
  @ApiOperation({
    summary: 'State of one call',
    description: 'CC-Management queryCallState, with times in ISO 8601 and the end reason categorized.',
    operationId: 'getCallStatus',
  })
  @ApiOkResponse({ type: CallStatusDto })
  @ApiProblems(400, ...AUTHENTICATED_PROBLEMS, 502, 503, 504)
  call(@Param() params: CallParams): Promise<CallStatusDto> {
    return this.cec.call(params.callSerialNo);
  }
}
