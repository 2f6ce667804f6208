import { Injectable, OnModuleInit } from '@nestjs/common';
import { problemEvent, WatchHub, WatchRequest } from '../../watch/watch-hub';
import type { ItemResult, WatchSource } from '../../watch/watch-source';
import { MeetingService } from './meeting.service';

/** Watched Meeting numbers, polled together through the cache in batches of the batch route. */
@Injectable()
export class MeetingWatchSource implements WatchSource, OnModuleInit {
  readonly family = 'meeting' as const;

  constructor(
    private readonly meeting: MeetingService,
    private readonly hub: WatchHub,
  ) {}

  onModuleInit(): void {
    this.hub.register(this);
  }

  /** A stream of these numbers: each reports its status, or `missing` when Meeting does not know it. */
  request(numbers: string[]): WatchRequest {
    return { family: this.family, items: numbers, fixedIds: (number) => [number] };
  }

  async poll(numbers: string[]): Promise<Map<string, ItemResult>> {
    try {
      const { items } = await this.meeting.terminalStatuses(numbers, undefined);
      const byId = new Map(items.map((status) => [status.id, status]));
      return new Map(numbers.map((n) => [n, { states: byId.has(n) ? [{ ...byId.get(n)! }] : [] }]));
    } catch (err) {
      const problem = problemEvent(err);
      return new Map(numbers.map((n) => [n, { problem }]));
    }
  }
}
