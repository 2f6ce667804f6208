import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Scopes } from '../../auth/principal';
import { ApiEventStream } from '../../watch/api-event-stream';
import { WatchHub } from '../../watch/watch-hub';
import { StatusRead } from '../../status-cache/status-read.interceptor';
import { ApiProblems, AUTHENTICATED_PROBLEMS } from '../../common/openapi/problem.dto';
import { TerminalStatusDto } from '../../common/models/terminal-status.dto';
import {
  ActivationCodeResetRequest,
  ActivationCodeResetResponse,
  DeviceParams,
  TerminalNumberParams,
  TerminalStatusesRequest,
  TerminalStatusList,
  TerminalStatusStreamQuery,
} from './meeting.dto';
import { MeetingService } from './meeting.service';
import { MeetingWatchSource } from './meeting.watch';

@ApiTags('meeting')
@ApiSecurity('apiKey')
@Controller('v1/meeting')
export class MeetingController {
  constructor(
    private readonly meeting: MeetingService,
    private readonly watch: WatchHub,
    private readonly watched: MeetingWatchSource,
  ) {}

  @Get('terminals/statuses/stream')
  @Scopes('meeting.terminals:read')
  @ApiOperation({
    summary: 'Watch up to 100 terminals (Server-Sent Events)',
    description:
      'A `status` event per terminal, then one whenever its state changes; `missing` for numbers Meeting does not ' +
      'know. All replicas together poll each watched number at most once per STATUS_POLL_INTERVAL_MS. ' +
      'Numbers are comma-separated; send `+` as `%2B`.',
    operationId: 'watchMeetingTerminalStatuses',
  })
  @ApiEventStream()
  @ApiProblems(400, ...AUTHENTICATED_PROBLEMS)
  watchStatuses(
    @Query() query: TerminalStatusStreamQuery,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.watch.open(reply, principal, this.watched.request(query.numbers));
  }

  @Get('terminals/:number/status')
  @Scopes('meeting.terminals:read')
  @StatusRead()
  @ApiOperation({
    summary: 'Status of one professional terminal',
    description:
      'Registration and call state from Meeting userstatus. 404 when Meeting returns no entry for the number.',
    operationId: 'getMeetingTerminalStatus',
  })
  @ApiOkResponse({ type: TerminalStatusDto })
  @ApiProblems(400, ...AUTHENTICATED_PROBLEMS, 404, 422, 502, 503, 504)
  terminalStatus(@Param() params: TerminalNumberParams): Promise<TerminalStatusDto> {
    return this.meeting.terminalStatus(params.number);
  }

  @Post('terminals/statuses')
  @HttpCode(200)
  @Scopes('meeting.terminals:read')
  @StatusRead()
  @ApiOperation({
    summary: 'Statuses of up to 100 terminals',
    description:
      'One item per number Meeting knows and `notFound` for the others, both in request order. ' +
      'Large lists are split into parallel upstream calls.',
    operationId: 'listMeetingTerminalStatuses',
  })
  @ApiOkResponse({ type: TerminalStatusList })
  @ApiProblems(400, ...AUTHENTICATED_PROBLEMS, 422, 502, 503, 504)
  terminalStatuses(@Body() body: TerminalStatusesRequest): Promise<TerminalStatusList> {
    return this.meeting.terminalStatuses(body.numbers);
  }

  @Post('devices/:sn/activation-code/reset')
  @HttpCode(202)
  @Scopes('meeting.devices:manage')
  @ApiOperation({
    summary: "Reset a hard terminal's activation code",
    description:
      'Sends a new activation code by email and/or SMS. At most 5 resets per SN per rolling 24 h across all replicas; ' +
      'the 6th gets 429 QUOTA_EXCEEDED without reaching Meeting. Unknown SN: 404. Never retried automatically.',
    operationId: 'resetMeetingActivationCode',
  })
  @ApiAcceptedResponse({ type: ActivationCodeResetResponse })
  @ApiProblems(400, ...AUTHENTICATED_PROBLEMS, 404, 422, 502, 503, 504)
  resetActivationCode(
    @Param() params: DeviceParams,
    @Body() body: ActivationCodeResetRequest,
  ): Promise<ActivationCodeResetResponse> {
    return this.meeting.resetActivationCode(params.sn, body);
  }
}
