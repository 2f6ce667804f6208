import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Scopes } from '../../auth/principal';
import { ErrorCode } from '../../common/errors/error-code';
import { ApiProblems, ApiUpstream } from '../../common/openapi/problem.dto';
import { StatusRead } from '../../status-cache/status-read.interceptor';
import { ApiEventStream, STREAM_PROBLEMS } from '../../watch/api-event-stream';
import { WatchHub } from '../../watch/watch-hub';
import { CallParams, CallStatusDto, SoftphoneList, SoftphoneQuery } from './cc-management.dto';
import { CcManagementService } from './cc-management.service';
import { CallWatchSource } from './cc-management.watch';
import { CurrentScope, type RequestScope } from '../../common/request-context';

@ApiTags('contact-center')
@ApiSecurity('apiKey')
@ApiUpstream('cc-management')
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
  @ApiProblems(...STREAM_PROBLEMS)
  watchCall(
    @Param() params: CallParams,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.watch.open(reply, principal, this.watchedCalls.request(params.id));
  }

  @Get('softphones')
  @Scopes('cc.softphones:read')
  @StatusRead({ uncachedWhen: 'include=credentials (passwords are never cached)' })
  @ApiOperation({
    summary: 'Allocated softphone numbers and their registration servers',
    description:
      'CC-Management queryPhone. `password` is present only with include=credentials and scope ' +
      'cc.softphones:credentials (403 without it); otherwise it is absent.',
    operationId: 'listSoftphones',
  })
  @ApiOkResponse({ type: SoftphoneList, description: 'One page of softphones' })
  @ApiProblems(
    {
      code: ErrorCode.BAD_REQUEST,
      when: 'CC-Management rejected the paging parameters (retCode 4)',
      detail: 'CC-Management rejected the paging parameters.',
      upstream: { status: 200, code: '4' },
    },
    {
      code: ErrorCode.FORBIDDEN,
      name: 'CREDENTIALS_SCOPE',
      when: 'include=credentials without the scope cc.softphones:credentials',
      detail: 'include=credentials needs the scope cc.softphones:credentials.',
    },
  )
  softphones(
    @Query() query: SoftphoneQuery,
    @CurrentPrincipal() principal: Principal,
    @CurrentScope() scope: RequestScope,
  ): Promise<SoftphoneList> {
    return this.softphonesAndCalls.softphones(query, principal, scope);
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
  @ApiOkResponse({ type: CallStatusDto, description: 'The call state' })
  @ApiProblems(
    {
      code: ErrorCode.BAD_REQUEST,
      when: 'CC-Management says the call serial number is malformed (retCode 3)',
      detail: 'CC-Management says the call serial number is malformed.',
      upstream: { status: 200, code: '3' },
    },
    {
      code: ErrorCode.NOT_FOUND,
      when: 'CC-Management knows no such call (retCode 1)',
      detail: 'CC-Management knows no call 645735364434067472.',
      upstream: { status: 200, code: '1' },
    },
  )
  call(@Param() params: CallParams, @CurrentScope() scope: RequestScope): Promise<CallStatusDto> {
    return this.softphonesAndCalls.call(params.id, scope);
  }
}
