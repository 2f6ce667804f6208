import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Scopes } from '../../auth/principal';
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
} from './meeting.dto';
import { MeetingService } from './meeting.service';

@ApiTags('meeting')
@ApiSecurity('apiKey')
@Controller('v1/meeting')
export class MeetingController {
  constructor(private readonly meeting: MeetingService) {}

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
