import { Injectable } from '@nestjs/common';
import type { Principal } from '../../auth/principal';
import { AuditTrail } from '../../audit/audit.service';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { pageTotal } from '../../common/paging';
import type { RequestScope } from '../../common/request-context';
import { StatusCache } from '../../status-cache/status-cache';
import { CcManagementClient } from './cc-management.client';
import { CallStatusDto, SoftphoneList, SoftphoneQuery } from './cc-management.dto';
import { mapCallStatus, mapSoftphones } from './cc-management.mapper';

@Injectable()
export class CcManagementService {
  constructor(
    private readonly client: CcManagementClient,
    private readonly cache: StatusCache,
    private readonly audit: AuditTrail,
  ) {}

  async softphones(query: SoftphoneQuery, principal: Principal, scope: RequestScope): Promise<SoftphoneList> {
    const includePasswords = query.include === 'credentials';
    if (includePasswords && !principal.scopes.includes('cc.softphones:credentials')) {
      await this.audit.record(principal, 'softphone-credentials.read', 'softphones', 'denied', scope);
      throw new AppError(ErrorCode.FORBIDDEN, 'include=credentials needs the scope cc.softphones:credentials.');
    }
    const fetch = async () =>
      mapSoftphones(
        await this.client.queryPhone(query.limit, query.offset, scope),
        includePasswords,
        new Date(),
        scope,
      );
    // Responses with passwords are never cached anywhere (and every one is audited); the others are status reads.
    const mapped = includePasswords
      ? await this.audited(principal, fetch, scope)
      : await this.cache.read(
          'cc-management.softphones',
          `status:cc-management:softphones:${query.limit}:${query.offset}`,
          fetch,
          scope,
        );
    return {
      items: mapped.items,
      registrationServers: mapped.registrationServers,
      page: {
        limit: query.limit,
        offset: query.offset,
        total: pageTotal(mapped.total, query.offset, mapped.items.length),
      },
    };
  }

  private async audited<T>(principal: Principal, read: () => Promise<T>, scope: RequestScope): Promise<T> {
    try {
      const result = await read();
      await this.audit.record(principal, 'softphone-credentials.read', 'softphones', 'success', scope);
      return result;
    } catch (err) {
      await this.audit.record(principal, 'softphone-credentials.read', 'softphones', 'failed', scope);
      throw err;
    }
  }

  async call(id: string, scope: RequestScope | undefined): Promise<CallStatusDto> {
    return this.cache.read(
      'cc-management.call',
      `status:cc-management:call:${id}`,
      async () => mapCallStatus(id, await this.client.queryCallState(id, scope), new Date(), scope),
      scope,
    );
  }
}
