import { Controller, Get, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Principal, Scopes } from '../../auth/principal';
import { ErrorCode } from '../../common/errors/error-code';
import { ApiProblems, ApiUpstream } from '../../common/openapi/problem.dto';
import { StatusRead } from '../../status-cache/status-read.interceptor';
import { ApiEventStream, STREAM_PROBLEMS } from '../../watch/api-event-stream';
import { WatchHub } from '../../watch/watch-hub';
import { ContactCenterTerminalFilter, ContactCenterTerminalList, ContactCenterTerminalQuery } from './cc-cms.dto';
import { CcCmsService } from './cc-cms.service';
import { CcCmsWatchSource } from './cc-cms.watch';
import { CurrentScope, type RequestScope } from '../../common/request-context';

@ApiTags('contact-center')
@ApiSecurity('apiKey')
@ApiUpstream('cc-cms')
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
  @ApiProblems(...STREAM_PROBLEMS, {
    code: ErrorCode.UPSTREAM_UNAVAILABLE,
    status: 503,
    name: 'NOT_CONFIGURED',
    when: 'CC-CMS is not configured on this gateway (the eid rule is one of its settings); see Retry-After',
    detail: 'The cc-cms upstream is not configured on this gateway.',
    upstream: { service: 'cc-cms' },
  })
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
  @ApiOkResponse({ type: ContactCenterTerminalList, description: 'Matching terminals (none: an empty page)' })
  @ApiProblems(
    {
      code: ErrorCode.VALIDATION_FAILED,
      name: 'WILDCARD_PREFIX',
      when: 'eid has a wildcard before its minimum literal prefix (CCMS_EID_MIN_LITERAL_PREFIX, default 4)',
      detail: 'eid: a pattern with a wildcard needs at least 4 literal leading digits',
    },
    {
      code: ErrorCode.BAD_REQUEST,
      when: 'CC-CMS rejected a parameter (result code 0100002)',
      detail: 'CC-CMS rejected a parameter: invalid parameter.',
      upstream: { status: 200, code: '0100002' },
    },
    {
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
      status: 503,
      name: 'CONCURRENCY_LIMIT',
      when: '10 requests are already in flight to CC-CMS across all replicas and none finished in time; see Retry-After',
      detail: 'CC-CMS is at its limit of 10 concurrent requests; retry shortly.',
      upstream: {},
    },
    {
      code: ErrorCode.SERVICE_UNAVAILABLE,
      when: 'the concurrency store (Redis) is unavailable; see Retry-After',
      detail: 'The concurrency store is unavailable; try again shortly.',
    },
  )
  terminals(
    @Query() query: ContactCenterTerminalQuery,
    @CurrentScope() scope: RequestScope,
  ): Promise<ContactCenterTerminalList> {
    return this.ccms.terminals(query, scope);
  }
}
