import { Logger } from '@nestjs/common';
import { TerminalStatusDto } from '../../common/models/terminal-status.dto';
import { upstreamMalformed } from '../../upstream/upstream-failure';

const logger = new Logger('CcmsMapper');

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

interface RawTerminal {
  ccuModuleNumber?: unknown;
  terminationType?: unknown;
  equipmentId?: unknown;
  registerStatus?: unknown;
  socketStatus?: unknown;
  ipAndPort?: unknown;
  monitorFlag?: unknown;
  protocolType?: unknown;
  roamIpAndPort?: unknown;
  tlsStatus?: unknown;
  ipType?: unknown;
}

export interface TerminalPage {
  items: TerminalStatusDto[];
  total: number;
}

const UAP_KEY = /^([^#]+)#(.+)$/;

/**
 * Flattens queryterminalstatus's "ip#uapId" groups into TerminalStatus items. Both documented
 * nestings are accepted: `resultDesc.data["ip#n"] = [..]` with `resultDesc.count`, and
 * `resultDesc["ip#n"] = {data: [..], count}`.
 */
export function mapTerminalStatus(raw: unknown, observedAt: Date): TerminalPage {
  const desc = (raw as { resultDesc?: unknown })?.resultDesc;
  if (!isObject(desc)) throw upstreamMalformed('ccms', 'resultDesc is not an object');
  const groups: [string, unknown][] = [];
  let total: number | undefined;
  if (isObject(desc.data) && !Array.isArray(desc.data)) {
    groups.push(...Object.entries(desc.data));
    total = toCount(desc.count);
  } else {
    const counts: number[] = [];
    for (const [key, group] of Object.entries(desc)) {
      if (!isObject(group)) continue;
      groups.push([key, group.data]);
      counts.push(toCount(group.count) ?? 0);
    }
    // Per-group counts that all agree are the overall total; otherwise they are per UAP.
    total = counts.every((c) => c === counts[0]) ? counts[0] : counts.reduce((a, b) => a + b, 0);
  }
  const items: TerminalStatusDto[] = [];
  for (const [key, list] of groups) {
    const uapKey = UAP_KEY.exec(key);
    if (!uapKey || !Array.isArray(list)) throw upstreamMalformed('ccms', `group ${key} is not "ip#uap": [...]`);
    for (const entry of list as RawTerminal[]) items.push(mapTerminal(entry, uapKey[1]!, uapKey[2]!, observedAt));
  }
  return { items, total: total ?? items.length };
}

function mapTerminal(t: RawTerminal, uapAddress: string, uapId: string, observedAt: Date): TerminalStatusDto {
  if (!isObject(t) || typeof t.equipmentId !== 'string')
    throw upstreamMalformed('ccms', 'terminal without equipmentId');
  const roam = str(t.roamIpAndPort);
  return {
    id: t.equipmentId,
    source: 'contact-center',
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
    ...(str(t.terminationType) ? { terminalType: str(t.terminationType)!.toLowerCase() } : {}),
    observedAt: observedAt.toISOString(),
  };
}

function lookup(table: Record<string, string>, value: unknown, field: string): string {
  const mapped = typeof value === 'string' ? table[value] : undefined;
  if (mapped) return mapped;
  logger.warn({ field, value }, 'unknown CC-CMS enum value mapped to "unknown"');
  return 'unknown';
}

function str(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function toCount(value: unknown): number | undefined {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
