import { Logger } from '@nestjs/common';
import { requestFields, type RequestScope } from '../../common/request-context';
import type { CallStatusDto, RegistrationServerDto, SoftphoneDto } from './cc-management.dto';
import type { CallResult, PhoneResult, RawPhone, RawServer } from './cc-management.schemas';
import { endReason } from './end-reasons';

const logger = new Logger('CcManagementMapper');

const CALL_STATE: Record<number, CallStatusDto['state']> = { 0: 'queued', 1: 'ringing', 2: 'connected', 3: 'ended' };

type Text = string | number | null | undefined;

export interface MappedSoftphones {
  items: SoftphoneDto[];
  registrationServers: RegistrationServerDto[];
  /** What the upstream reports, if it does. */
  total?: number;
}

/**
 * queryPhone result (V2 tables, or V1's top-level regIPAddress/regPort) to the API model.
 * `scope` only names the request in the warning about an unknown value.
 */
export function mapSoftphones(
  result: PhoneResult | undefined,
  includePasswords: boolean,
  observedAt: Date,
  scope?: RequestScope,
): MappedSoftphones {
  if (!result) return { items: [], registrationServers: [], total: 0 };
  const servers: RegistrationServerDto[] = [];
  for (const s of result.singleRegServ ?? []) servers.push(server(s, 'single'));
  for (const [node, list] of Object.entries(result.poolRegServ ?? {})) {
    for (const s of list) servers.push(server(s, 'pool', node));
  }
  if (result.regIPAddress !== undefined) {
    servers.push(server({ regIPAddress: result.regIPAddress, regPort: result.regPort! }, 'single'));
  }
  const items = (result.phone ?? []).map((p) => softphone(p, includePasswords, observedAt, scope));
  return { items, registrationServers: servers, total: result.total };
}

function server(s: RawServer, mode: 'single' | 'pool', node?: string): RegistrationServerDto {
  const sipAddress = text(s.sipServiceIp);
  const sipPort = text(s.sipServicePort);
  return {
    mode,
    ...(node ? { node } : {}),
    address: s.regIPAddress,
    port: s.regPort,
    ...(sipAddress ? { sipAddress } : {}),
    ...(sipPort && /^\d+$/.test(sipPort) ? { sipPort: Number(sipPort) } : {}),
  };
}

function softphone(
  p: RawPhone,
  includePassword: boolean,
  observedAt: Date,
  scope: RequestScope | undefined,
): SoftphoneDto {
  const status = Number(p.status);
  const registration = status === 0 ? 'registered' : status === 1 ? 'suspended' : 'unknown';
  if (registration === 'unknown') {
    logger.warn(
      { ...requestFields(scope), field: 'status', value: p.status },
      'unknown softphone status mapped to "unknown"',
    );
  }
  return {
    id: String(p.phoneNum),
    source: 'cc-management',
    registration,
    ...optional('configId', p.id),
    ...optional('remark', p.remark),
    ...optional('tenantId', p.tenantId),
    ...optional('partitionId', p.partdbId),
    // Passwords leave the gateway only when asked for with the right scope.
    ...(includePassword ? optional('password', p.password) : {}),
    observedAt: observedAt.toISOString(),
  };
}

/**
 * queryCallState result to CallStatus; ms timestamps may arrive as strings or numbers. `scope`
 * only names the request in the warning about an unknown value.
 */
export function mapCallStatus(callId: string, r: CallResult, observedAt: Date, scope?: RequestScope): CallStatusDto {
  const state = CALL_STATE[Number(r.state)] ?? 'unknown';
  if (state === 'unknown') {
    logger.warn({ ...requestFields(scope), field: 'state', value: r.state }, 'unknown call state mapped to "unknown"');
  }
  const startedAt = epochMs(r.startTime);
  const endedAt = epochMs(r.endTime);
  const reasonCode = text(r.reasonCode) === undefined ? undefined : Number(r.reasonCode);
  return {
    id: callId,
    source: 'cc-management',
    state,
    caller: text(r.caller) ?? '',
    callee: text(r.called) ?? '',
    ...optional('callerDisplay', r.callerPresent),
    ...optional('agentDisplay', r.agentPresent),
    ...optional('callData', r.callData),
    ...(startedAt !== undefined ? { startedAt: new Date(startedAt).toISOString() } : {}),
    ...(endedAt !== undefined ? { endedAt: new Date(endedAt).toISOString() } : {}),
    ...(startedAt !== undefined && endedAt !== undefined && endedAt >= startedAt
      ? { durationMs: endedAt - startedAt }
      : {}),
    ...(state === 'ended' && reasonCode !== undefined && Number.isInteger(reasonCode)
      ? { endReason: endReason(reasonCode) }
      : {}),
    observedAt: observedAt.toISOString(),
  };
}

function epochMs(value: Text): number | undefined {
  const t = text(value);
  if (t === undefined) return undefined;
  const ms = Number(t);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function text(value: Text): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function optional<K extends string>(key: K, value: Text): Partial<Record<K, string>> {
  const t = text(value);
  return t === undefined ? {} : ({ [key]: t } as Record<K, string>);
}
