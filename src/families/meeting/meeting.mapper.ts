import { Logger } from '@nestjs/common';
import { TerminalStatusDto } from '../../common/models/terminal-status.dto';
import { requestFields, type RequestScope } from '../../common/request-context';
import type { RawUserStatus } from './meeting.schemas';

const logger = new Logger('MeetingMapper');

const REGISTRATION: Record<string, TerminalStatusDto['registration']> = { '0': 'registered', '1': 'unregistered' };
const CALL: Record<string, TerminalStatusDto['call']> = {
  '0': 'offline',
  '1': 'idle',
  '2': 'in_call',
  '3': 'not_applicable',
};

/** Meeting numbers come back with a `tel:` prefix the client did not send. */
export function stripTel(number: string): string {
  return number.replace(/^tel:/i, '');
}

function mapEnum<T extends string>(
  table: Record<string, T>,
  value: unknown,
  field: string,
  scope: RequestScope | undefined,
): T | 'unknown' {
  const mapped = typeof value === 'string' || typeof value === 'number' ? table[String(value)] : undefined;
  if (mapped) return mapped;
  logger.warn({ ...requestFields(scope), field, value }, 'unknown Meeting enum value mapped to "unknown"');
  return 'unknown';
}

/**
 * Maps parsed userstatus entries to TerminalStatus, keyed by the number without `tel:`.
 * `requested` maps that key back to the id as the client wrote it; other entries are dropped.
 * `scope` only names the request in the warning about an unknown value.
 */
export function mapUserStatuses(
  entries: RawUserStatus[],
  requested: Map<string, string>,
  observedAt: Date,
  scope?: RequestScope,
): Map<string, TerminalStatusDto> {
  const result = new Map<string, TerminalStatusDto>();
  for (const entry of entries) {
    const key = stripTel(entry.Number);
    const id = requested.get(key);
    if (id === undefined) continue;
    result.set(key, {
      id,
      source: 'meeting',
      registration: mapEnum(REGISTRATION, entry.RegStatus, 'RegStatus', scope),
      call: mapEnum(CALL, entry.CallStatus, 'CallStatus', scope),
      observedAt: observedAt.toISOString(),
    });
  }
  return result;
}
