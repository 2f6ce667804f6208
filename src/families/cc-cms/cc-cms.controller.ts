import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Scopes } from '../../auth/principal';
import { StatusRead } from '../../status-cache/status-read.interceptor';
import { ApiProblems, AUTHENTICATED_PROBLEMS } from '../../common/openapi/problem.dto';
import { ContactCenterTerminalList, ContactCenterTerminalQuery } from './cc-cms.dto';
import { CcCmsService } from './cc-cms.service';

@ApiTags('contact-center')
@ApiSecurity('apiKey')
@Controller('v1/contact-center/terminals')
export class CcCmsController {
  constructor(private readonly ccms: CcCmsService) {}

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
