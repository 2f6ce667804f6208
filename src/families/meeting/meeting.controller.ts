import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Scopes } from '../../auth/principal';
import { AuditTrail } from '../../audit/audit.service';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { Idempotent } from '../../common/idempotency';
import { ApiProblems, ApiUpstream } from '../../common/openapi/problem.dto';
import { StatusRead } from '../../status-cache/status-read.interceptor';
import { ApiEventStream, STREAM_PROBLEMS } from '../../watch/api-event-stream';
import { WatchHub } from '../../watch/watch-hub';
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
import { CurrentScope, type RequestScope } from '../../common/request-context';

@ApiTags('meeting')
@ApiSecurity('apiKey')
@ApiUpstream('meeting')
@Controller('v1/meeting')
export class MeetingController {
  constructor(
    private readonly meeting: MeetingService,
    private readonly watch: WatchHub,
    private readonly watched: MeetingWatchSource,
    private readonly audit: AuditTrail,
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
  @ApiProblems(...STREAM_PROBLEMS)
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
  @ApiOkResponse({ type: TerminalStatusDto, description: 'The terminal status' })
  @ApiProblems(
    {
      code: ErrorCode.NOT_FOUND,
      when: 'Meeting returns no entry for the number',
      detail: 'Meeting knows no terminal +991116173924.',
    },
    { code: ErrorCode.UNPROCESSABLE, upstream: { status: 400, code: 'USG.000000002' } },
  )
  terminalStatus(
    @Param() params: TerminalNumberParams,
    @CurrentScope() scope: RequestScope,
  ): Promise<TerminalStatusDto> {
    return this.meeting.terminalStatus(params.number, scope);
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
  @ApiOkResponse({ type: TerminalStatusList, description: 'Found terminals and the numbers Meeting does not know' })
  @ApiProblems({ code: ErrorCode.UNPROCESSABLE, upstream: { status: 400, code: 'USG.000000002' } })
  terminalStatuses(
    @Body() body: TerminalStatusesRequest,
    @CurrentScope() scope: RequestScope,
  ): Promise<TerminalStatusList> {
    return this.meeting.terminalStatuses(body.numbers, scope);
  }

  @Post('devices/:sn/activation-code/reset')
  @HttpCode(202)
  @Scopes('meeting.devices:manage')
  @Idempotent()
  @ApiOperation({
    summary: "Reset a hard terminal's activation code",
    description:
      'Sends a new activation code by email and/or SMS. At most 5 resets per SN per rolling 24 h across all replicas; ' +
      'the 6th gets 429 QUOTA_EXCEEDED without reaching Meeting. Unknown SN: 404. Never retried automatically. ' +
      'With an Idempotency-Key, a repeat gets the first success replayed (Idempotent-Replayed: true) without ' +
      'reaching Meeting or taking quota. Every attempt is audited.',
    operationId: 'resetMeetingActivationCode',
  })
  @ApiAcceptedResponse({ type: ActivationCodeResetResponse, description: 'Meeting accepted the reset' })
  @ApiProblems(
    {
      code: ErrorCode.NOT_FOUND,
      when: 'Meeting does not know the SN',
      upstream: { status: 404, code: 'USG.201040000' },
    },
    { code: ErrorCode.UNPROCESSABLE, upstream: { status: 400, code: 'USG.000000002' } },
    {
      code: ErrorCode.UNPROCESSABLE,
      name: 'IDEMPOTENCY_KEY_REUSED',
      when: 'the Idempotency-Key was used with a different request',
      detail: 'This Idempotency-Key was used with a different request; use a new key for a new request.',
    },
    {
      code: ErrorCode.CONFLICT,
      when: 'a request with the same Idempotency-Key is still in flight',
      detail: 'A request with this Idempotency-Key is still in flight; retry later.',
    },
    {
      code: ErrorCode.QUOTA_EXCEEDED,
      when: 'the SN had 5 resets in the last 24 h (no upstream call is made); see Retry-After',
      detail: 'Device HWSN0001 had its activation code reset 5 times in the last 24 hours.',
    },
    {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      when: 'the quota or idempotency store (Redis) is unavailable; see Retry-After',
      detail: 'The quota store is unavailable; try again shortly.',
    },
  )
  async resetActivationCode(
    @Param() params: DeviceParams,
    @Body() body: ActivationCodeResetRequest,
    @CurrentPrincipal() principal: Principal,
    @CurrentScope() scope: RequestScope,
  ): Promise<ActivationCodeResetResponse> {
    try {
      const result = await this.meeting.resetActivationCode(params.sn, body, scope);
      await this.audit.record(principal, 'activation-code.reset', params.sn, 'success', scope);
      return result;
    } catch (err) {
      const refused = err instanceof AppError && err.code === ErrorCode.QUOTA_EXCEEDED;
      await this.audit.record(principal, 'activation-code.reset', params.sn, refused ? 'denied' : 'failed', scope);
      throw err;
    }
  }
}
