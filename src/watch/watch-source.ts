import type { FamilyId } from '../families/registry';

/** A resource's state as a stream sends it: an API model with `id` (and `observedAt`). */
export type WatchedState = { id: string } & Record<string, unknown>;

/** A problem event's body: at least type, title, status, code, detail. */
export type ProblemEvent = Record<string, unknown> & { code: string; status: number };

/** What one poll found for one watched item. */
export type ItemResult = { states: WatchedState[] } | { problem: ProblemEvent };

/**
 * What a family offers watch streams: how to poll a set of watched items at once (Meeting
 * numbers in batches, CC-CMS queries, calls), through the status cache, deadlines and breakers.
 */
export interface WatchSource {
  family: FamilyId;
  /** One result per item, keyed by item; never throws (failures become problems). */
  poll(items: string[]): Promise<Map<string, ItemResult>>;
}
