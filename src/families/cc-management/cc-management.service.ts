import { Injectable } from '@nestjs/common';
import type { Principal } from '../../auth/principal';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { pageTotal } from '../../common/paging';
import { CcManagementClient } from './cc-management.client';
import { CallStatusDto, SoftphoneList, SoftphoneQuery } from './cc-management.dto';
import { mapCallStatus, mapSoftphones } from './cc-management.mapper';

@Injectable()
export class CcManagementService {
  constructor(private readonly client: CcManagementClient) {}

  async softphones(query: SoftphoneQuery, principal: Principal): Promise<SoftphoneList> {
    const includePasswords = query.include === 'credentials';
    if (includePasswords && !principal.scopes.includes('cc.softphones:credentials')) {
      throw new AppError(ErrorCode.FORBIDDEN, 'include=credentials needs the scope cc.softphones:credentials.');
    }
    const result = await this.client.queryPhone(query.limit, query.offset);
    const mapped = mapSoftphones(result, includePasswords, new Date());
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

  async call(id: string): Promise<CallStatusDto> {
    return mapCallStatus(id, await this.client.queryCallState(id), new Date());
  }
}
