import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Scopes } from '../../auth/principal';
import { StatusRead } from '../../status-cache/status-read.interceptor';
import { ApiProblems, AUTHENTICATED_PROBLEMS } from '../../common/openapi/problem.dto';
import { CallParams, CallStatusDto, SoftphoneList, SoftphoneQuery } from './cc-management.dto';
import { CcManagementService } from './cc-management.service';

@ApiTags('contact-center')
@ApiSecurity('apiKey')
@Controller('v1/contact-center')
export class CcManagementController {
  constructor(private readonly softphonesAndCalls: CcManagementService) {}

  @Get('softphones')
  @Scopes('cc.softphones:read')
  @StatusRead()
  @ApiOperation({
    summary: 'Allocated softphone numbers and their registration servers',
    description:
      'CC-Management queryPhone. `password` is present only with include=credentials and scope ' +
      'cc.softphones:credentials (403 without it); otherwise it is absent.',
    operationId: 'listSoftphones',
  })
  @ApiOkResponse({ type: SoftphoneList })
  @ApiProblems(400, ...AUTHENTICATED_PROBLEMS, 502, 503, 504)
  softphones(@Query() query: SoftphoneQuery, @CurrentPrincipal() principal: Principal): Promise<SoftphoneList> {
    return this.softphonesAndCalls.softphones(query, principal);
  }

  @Get('calls/:id')
  @Scopes('cc.calls:read')
  @StatusRead()
  @ApiOperation({
    summary: 'State of one call',
    description:
      'CC-Management queryCallState, with times in ISO 8601 and the end reason categorized. Unknown call: 404.',
    operationId: 'getCallStatus',
  })
  @ApiOkResponse({ type: CallStatusDto })
  @ApiProblems(400, ...AUTHENTICATED_PROBLEMS, 404, 502, 503, 504)
  call(@Param() params: CallParams): Promise<CallStatusDto> {
    return this.softphonesAndCalls.call(params.id);
  }
}
