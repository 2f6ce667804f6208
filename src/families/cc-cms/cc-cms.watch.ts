import { Injectable, OnModuleInit } from '@nestjs/common';
import { problemEvent, WatchHub, WatchRequest } from '../../watch/watch-hub';
import type { ItemResult, WatchSource } from '../../watch/watch-source';
import { CcCmsClient } from './cc-cms.client';
import type { ContactCenterTerminalFilter } from './cc-cms.dto';
import { CcCmsService } from './cc-cms.service';

/** Terminals a stream reports: the first page (up to 100) of the query's matches. */
const WATCHED_PAGE = { limit: 100, offset: 0 };

/** Watched CC-CMS queries (EID pattern and call center): each polled as one query. */
@Injectable()
export class CcCmsWatchSource implements WatchSource, OnModuleInit {
  readonly family = 'cc-cms' as const;

  constructor(
    private readonly terminals: CcCmsService,
    private readonly client: CcCmsClient,
    private readonly hub: WatchHub,
  ) {}

  onModuleInit(): void {
    this.hub.register(this);
  }

  /** A stream of the query's terminals; a terminal that stops matching is reported `missing`. */
  request(filter: ContactCenterTerminalFilter): WatchRequest {
    this.client.assertNarrowPattern(filter.eid);
    return { family: this.family, items: [`${filter.eid}|${filter.callCenterId ?? ''}`] };
  }

  async poll(items: string[]): Promise<Map<string, ItemResult>> {
    const results = await Promise.all(
      items.map(async (item): Promise<[string, ItemResult]> => {
        const [eid, callCenterId] = item.split('|') as [string, string];
        try {
          const page = await this.terminals.terminals(
            { eid, ...(callCenterId ? { callCenterId: Number(callCenterId) } : {}), ...WATCHED_PAGE },
            undefined,
          );
          return [item, { states: page.items.map((t) => ({ ...t })) }];
        } catch (err) {
          return [item, { problem: problemEvent(err) }];
        }
      }),
    );
    return new Map(results);
  }
}
