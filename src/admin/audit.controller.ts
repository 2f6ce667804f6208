import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { Scopes } from '../auth/principal';
import { AuditTrail } from '../audit/audit.service';
import { PageQuery } from '../common/paging';
import { AuditList } from './admin.dto';

@ApiTags('admin')
@ApiSecurity('adminApiKey')
@Controller('v1/admin/audit')
export class AuditController {
  constructor(private readonly audit: AuditTrail) {}

  @Get()
  @Scopes('admin.audit:read')
  @ApiOperation({
    summary: 'The audit trail',
    description:
      'Newest first: key changes, activation-code resets and softphone credential reads, refused attempts ' +
      'included, with the request id, the acting key and the outcome. At most AUDIT_MAX_ENTRIES are kept.',
    operationId: 'listAuditEntries',
  })
  @ApiOkResponse({ type: AuditList, description: 'One page of audit entries' })
  async list(@Query() query: PageQuery): Promise<AuditList> {
    const { items, total } = await this.audit.list(query.offset, query.limit);
    return { items, page: { limit: query.limit, offset: query.offset, total } };
  }
}
