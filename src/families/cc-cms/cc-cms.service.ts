import { Injectable } from '@nestjs/common';
import { CcCmsClient } from './cc-cms.client';
import { ContactCenterTerminalList, ContactCenterTerminalQuery } from './cc-cms.dto';
import { mapTerminalPage } from './cc-cms.mapper';

@Injectable()
export class CcCmsService {
  constructor(private readonly client: CcCmsClient) {}

  /** A search: nothing matching is an empty page, not a 404. */
  async terminals(query: ContactCenterTerminalQuery): Promise<ContactCenterTerminalList> {
    this.client.assertNarrowPattern(query.eid);
    const groups = await this.client.queryTerminalStatus({
      EID: query.eid,
      limit: query.limit,
      offset: query.offset,
      ...(query.callCenterId !== undefined ? { ccId: query.callCenterId } : {}),
    });
    const { items, total } = mapTerminalPage(groups, query.offset, new Date());
    return { items, page: { limit: query.limit, offset: query.offset, total } };
  }
}
