import { Controller, Get, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Scopes } from '../../auth/principal';
import { ApiEventStream } from '../../watch/api-event-stream';
import { WatchHub } from '../../watch/watch-hub';
import { StatusRead } from '../../status-cache/status-read.interceptor';
import { ApiProblems, AUTHENTICATED_PROBLEMS } from '../../common/openapi/problem.dto';
import { ContactCenterTerminalFilter, ContactCenterTerminalList, ContactCenterTerminalQuery } from './cc-cms.dto';
import { CcCmsService } from './cc-cms.service';
import { CcCmsWatchSource } from './cc-cms.watch';

@ApiTags('contact-center')
@ApiSecurity('apiKey')
@Controller('v1/contact-center/terminals')
export class CcCmsController {
  constructor(
    private readonly ccms: CcCmsService,
    private readonly watch: WatchHub,
    private readonly watched: CcCmsWatchSource,
  ) {}

  @Get('stream')
  @Scopes('cc.terminals:read')
  @ApiOperation({
    summary: 'Watch the terminals matching an EID pattern (Server-Sent Events)',
    description:
      'A `status` event per matching terminal (the first 100 matches), then one whenever its state changes; ' +
      '`missing` when a terminal stops matching. All replicas together poll each watched query at most once per ' +
      'STATUS_POLL_INTERVAL_MS, within the CC-CMS concurrency limit.',
    operationId: 'watchContactCenterTerminals',
  })
  @ApiEventStream()
  @ApiProblems(400, ...AUTHENTICATED_PROBLEMS)
  watchTerminals(
    @Query() query: ContactCenterTerminalFilter,
    @CurrentPrincipal() principal: Principal,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return this.watch.open(reply, principal, this.watched.request(query));
  }

  @Get()
  @Scopes('cc.terminals:read')
  @StatusRead()
  @ApiOperation({
    summary: 'Registration status of contact-center terminals',
    description:
      'CC-CMS queryterminalstatus by EID (wildcards allowed with a literal prefix), flattened across UAPs. ' +
      'At most 10 requests are in flight to CC-CMS across all replicas; past that, callers wait briefly, then get 503.',
    operationId: 'listContactCenterTerminals',
  })
  @ApiOkResponse({ type: ContactCenterTerminalList })
  @ApiProblems(400, ...AUTHENTICATED_PROBLEMS, 404, 502, 503, 504)
  terminals(@Query() query: ContactCenterTerminalQuery): Promise<ContactCenterTerminalList> {
    return this.ccms.terminals(query);
  }
}
