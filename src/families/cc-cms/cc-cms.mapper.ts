import { Logger } from '@nestjs/common';
import { TerminalStatusDto } from '../../common/models/terminal-status.dto';
import { pageTotal } from '../../common/paging';
import { requestFields, type RequestScope } from '../../common/request-context';
import type { RawTerminal, TerminalGroups } from './cc-cms.schemas';

const logger = new Logger('CcCmsMapper');

const REGISTRATION: Record<string, TerminalStatusDto['registration']> = {
  registered: 'registered',
  'not register': 'unregistered',
};
const SOCKET: Record<string, string> = {
  normal: 'normal',
  fault: 'fault',
  connecting: 'connecting',
  uninstall: 'uninstalled',
};
const TLS: Record<string, string> = { connect: 'connected', unconnect: 'disconnected', uninstall: 'uninstalled' };
const MONITOR: Record<string, string> = { started: 'started', unstarted: 'stopped' };

export interface TerminalPage {
  items: TerminalStatusDto[];
  total: number;
}

/**
 * Flattens the "ip#uapId" groups into TerminalStatus items. The total is the AICC nesting's
 * overall count, or the sum of the grouped nesting's per-group counts; never below what this
 * page proves exists (`offset + items.length`). `scope` only names the request in the warning
 * about an unknown value.
 */
export function mapTerminalPage(
  parsed: TerminalGroups,
  offset: number,
  observedAt: Date,
  scope?: RequestScope,
): TerminalPage {
  const lookup = (table: Record<string, string>, value: unknown, field: string) => mapped(table, value, field, scope);
  const items = parsed.groups.flatMap((group) =>
    group.terminals.map((t) => mapTerminal(t, group.uapAddress, group.uapId, observedAt, lookup)),
  );
  const groupCounts = parsed.groups.map((g) => g.count);
  const reported =
    parsed.overallCount ??
    (groupCounts.every((c) => c !== undefined) ? groupCounts.reduce((a, b) => a + b, 0) : undefined);
  return { items, total: pageTotal(reported, offset, items.length) };
}

type Lookup = (table: Record<string, string>, value: unknown, field: string) => string;

function mapTerminal(
  t: RawTerminal,
  uapAddress: string,
  uapId: string,
  observedAt: Date,
  lookup: Lookup,
): TerminalStatusDto {
  const roam = str(t.roamIpAndPort);
  const terminalType = str(t.terminationType);
  return {
    id: t.equipmentId,
    source: 'cc-cms',
    registration: lookup(REGISTRATION, t.registerStatus, 'registerStatus') as TerminalStatusDto['registration'],
    call: 'unknown',
    connection: {
      socket: lookup(SOCKET, t.socketStatus, 'socketStatus'),
      tls: lookup(TLS, t.tlsStatus, 'tlsStatus'),
      address: str(t.ipAndPort) ?? '',
      ...(roam ? { roamAddress: roam } : {}),
      ipType: str(t.ipType) ?? 'unknown',
      protocol: str(t.protocolType)?.toLowerCase() ?? 'unknown',
      monitoring: lookup(MONITOR, t.monitorFlag, 'monitorFlag'),
    },
    uap: { address: uapAddress, id: uapId, ccuModule: str(t.ccuModuleNumber) ?? '' },
    ...(terminalType ? { terminalType: terminalType.toLowerCase() } : {}),
    observedAt: observedAt.toISOString(),
  };
}

function mapped(table: Record<string, string>, value: unknown, field: string, scope: RequestScope | undefined): string {
  const known = typeof value === 'string' ? table[value] : undefined;
  if (known) return known;
  logger.warn({ ...requestFields(scope), field, value }, 'unknown CC-CMS enum value mapped to "unknown"');
  return 'unknown';
}

function str(value: string | number | undefined): string | undefined {
  if (typeof value === 'number') return String(value);
  return value ? value : undefined;
}
