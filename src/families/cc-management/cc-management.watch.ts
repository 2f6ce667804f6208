import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { problemEvent, WatchHub, WatchRequest } from '../../watch/watch-hub';
import type { ItemResult, WatchSource } from '../../watch/watch-source';
import { CcManagementService } from './cc-management.service';

/** Watched calls, each polled on its own; a call's stream ends after it reports `ended`. */
@Injectable()
export class CallWatchSource implements WatchSource, OnModuleInit {
  readonly family = 'cc-management' as const;

  constructor(
    private readonly calls: CcManagementService,
    private readonly hub: WatchHub,
  ) {}

  onModuleInit(): void {
    this.hub.register(this);
  }

  request(id: string): WatchRequest {
    return {
      family: this.family,
      items: [id],
      fixedIds: (callId) => [callId],
      endsAfter: (state) => state.state === 'ended',
    };
  }

  async poll(ids: string[]): Promise<Map<string, ItemResult>> {
    const results = await Promise.all(
      ids.map(async (id): Promise<[string, ItemResult]> => {
        try {
          return [id, { states: [{ ...(await this.calls.call(id, undefined)) }] }];
        } catch (err) {
          if (err instanceof AppError && err.code === ErrorCode.NOT_FOUND) return [id, { states: [] }];
          return [id, { problem: problemEvent(err) }];
        }
      }),
    );
    return new Map(results);
  }
}
