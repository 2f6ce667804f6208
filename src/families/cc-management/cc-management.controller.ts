import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Scopes } from '../../auth/principal';
import { StatusRead } from '../../status-cache/status-read.interceptor';
import { ApiEventStream } from '../../watch/api-event-stream';
import { WatchHub } from '../../watch/watch-hub';
import { ApiProblems, AUTHENTICATED_PROBLEMS } from '../../common/openapi/problem.dto';
import { CallParams, CallStatusDto, SoftphoneList, SoftphoneQuery } from './cc-management.dto';
import { CcManagementService } from './cc-management.service';
import { CallWatchSource } from './cc-management.watch';

@ApiTags('contact-center')
@ApiSecurity('apiKey')
@Controller('v1/contact-center')
export class CcManagementController {
  constructor(
    private readonly softphonesAndCalls: CcManagementService,
    private readonly watch: WatchHub,
    private readonly watchedCalls: CallWatchSource,
  ) {}

  @Get('calls/:id/stream')
  @Scopes('cc.calls:read')
  @ApiOperation({
    summary: 'Watch one call (Server-Sent Events)',
    description:
      'A `status` event with the call state, then one whenever it changes; the stream ends after the event that ' +
      'reports `ended`. `missing` while CC-Management does not know the call.',
    operationId: 'watchCallStatus',
  })
  @ApiEventStream()
  @ApiProblems(400, ...AUTHENTICATED_PROBLEMS)
  watchCall(
    @Param() params: CallParams,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.watch.open(reply, principal, this.watchedCalls.request(params.id));
  }

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
