import { Injectable } from '@nestjs/common';
import type { RequestScope } from '../../common/request-context';
import { StatusCache } from '../../status-cache/status-cache';
import { CcCmsClient, TerminalQuery } from './cc-cms.client';
import { ContactCenterTerminalList, ContactCenterTerminalQuery } from './cc-cms.dto';
import { mapTerminalPage } from './cc-cms.mapper';

@Injectable()
export class CcCmsService {
  constructor(
    private readonly client: CcCmsClient,
    private readonly cache: StatusCache,
  ) {}

  /** A search, cached per upstream query: nothing matching is an empty page, not a 404. */
  async terminals(
    query: ContactCenterTerminalQuery,
    scope: RequestScope | undefined,
  ): Promise<ContactCenterTerminalList> {
    this.client.assertNarrowPattern(query.eid);
    const upstreamQuery: TerminalQuery = {
      EID: query.eid,
      limit: query.limit,
      offset: query.offset,
      ...(query.callCenterId !== undefined ? { ccId: query.callCenterId } : {}),
    };
    const key = `status:cc-cms:${query.eid}:${query.callCenterId ?? ''}:${query.limit}:${query.offset}`;
    const { items, total } = await this.cache.read(
      'cc-cms.terminals',
      key,
      async () =>
        mapTerminalPage(await this.client.queryTerminalStatus(upstreamQuery, scope), query.offset, new Date(), scope),
      scope,
    );
    return { items, page: { limit: query.limit, offset: query.offset, total } };
  }
}
