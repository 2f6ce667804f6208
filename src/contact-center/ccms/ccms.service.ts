import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { CcmsClient } from './ccms.client';
import { ContactCenterTerminalList, ContactCenterTerminalQuery } from './ccms.dto';
import { mapTerminalStatus } from './ccms.mapper';

@Injectable()
export class CcmsService {
  private readonly minLiteralPrefix: number;

  constructor(
    private readonly client: CcmsClient,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.minLiteralPrefix = config.ccms?.eidMinLiteralPrefix ?? 4;
  }

  async terminals(query: ContactCenterTerminalQuery): Promise<ContactCenterTerminalList> {
    this.assertNarrowPattern(query.eid);
    const raw = await this.client.queryTerminalStatus({
      EID: query.eid,
      limit: query.limit,
      offset: query.offset,
      ...(query.callCenterId !== undefined ? { ccId: query.callCenterId } : {}),
    });
    const { items, total } = mapTerminalStatus(raw, new Date());
    return { items, page: { limit: query.limit, offset: query.offset, total } };
  }

  /** CC-CMS asks that a match stay under 200 terminals: wildcards need a literal prefix. */
  private assertNarrowPattern(eid: string): void {
    const wildcardAt = eid.search(/[*%?]/);
    if (wildcardAt >= 0 && wildcardAt < this.minLiteralPrefix) {
      const message = `a pattern with a wildcard needs at least ${this.minLiteralPrefix} literal leading digits`;
      throw new AppError(ErrorCode.VALIDATION_FAILED, `eid: ${message}`, { errors: [{ field: 'eid', message }] });
    }
  }
}
