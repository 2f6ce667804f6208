import { Logger } from '@nestjs/common';
import { AppError, UpstreamDetail } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { upstreamMalformed } from '../../upstream/upstream-failure';
import type { CecEnvelope } from './cec.client';
import type { CallStatusDto, RegistrationServerDto, SoftphoneDto } from './cec.dto';
import { endReason } from './end-reasons';

const logger = new Logger('CecMapper');

const CALL_STATE: Record<number, string> = { 0: 'queued', 1: 'ringing', 2: 'connected', 3: 'ended' };

function upstreamOf(envelope: CecEnvelope): UpstreamDetail {
  return { service: 'cec', status: 200, code: envelope.retCode, message: envelope.retMsg };
}

/** queryPhone retCodes: 0 ok, 2 no mobile agents (an empty list), 4 paging rejected, else a failure. */
export function assertPhoneEnvelope(envelope: CecEnvelope): void {
  if (envelope.retCode === '0' || envelope.retCode === '2') return;
  if (envelope.retCode === '4') {
    throw new AppError(ErrorCode.BAD_REQUEST, 'CC-Management rejected the paging parameters.', {
      upstream: upstreamOf(envelope),
    });
  }
  throw new AppError(ErrorCode.UPSTREAM_REJECTED, `CC-Management queryPhone failed (retCode ${envelope.retCode}).`, {
    upstream: upstreamOf(envelope),
  });
}

/** queryCallState retCodes: 0 ok, 3 malformed call SN (400), 1 and others a failure (502). */
export function assertCallEnvelope(envelope: CecEnvelope): void {
  if (envelope.retCode === '0') return;
  if (envelope.retCode === '3') {
    throw new AppError(ErrorCode.BAD_REQUEST, 'CC-Management says the call serial number is malformed.', {
      upstream: upstreamOf(envelope),
    });
  }
  throw new AppError(
    ErrorCode.UPSTREAM_REJECTED,
    `CC-Management could not query the call (retCode ${envelope.retCode}).`,
    {
      upstream: upstreamOf(envelope),
    },
  );
}

interface RawServer {
  regIPAddress?: unknown;
  regPort?: unknown;
  sipServiceIp?: unknown;
  sipServicePort?: unknown;
}

interface RawPhone {
  phoneNum?: unknown;
  password?: unknown;
  id?: unknown;
  status?: unknown;
  remark?: unknown;
  tenantId?: unknown;
  partdbId?: unknown;
}

export interface MappedSoftphones {
  items: SoftphoneDto[];
  registrationServers: RegistrationServerDto[];
  total: number;
}

/** queryPhone result (V2 tables, or V1's top-level regIPAddress/regPort) to the API model. */
export function mapSoftphones(result: unknown, includePasswords: boolean): MappedSoftphones {
  if (result === undefined || result === null) return { items: [], registrationServers: [], total: 0 };
  if (typeof result !== 'object') throw upstreamMalformed('cec', 'queryPhone result is not an object');
  const r = result as { total?: unknown; phone?: unknown; singleRegServ?: unknown; poolRegServ?: unknown } & RawServer;
  const servers: RegistrationServerDto[] = [];
  if (Array.isArray(r.singleRegServ)) servers.push(...r.singleRegServ.map((s: RawServer) => server(s, 'single')));
  if (r.poolRegServ && typeof r.poolRegServ === 'object') {
    for (const [node, list] of Object.entries(r.poolRegServ as Record<string, unknown>)) {
      if (Array.isArray(list)) servers.push(...list.map((s: RawServer) => server(s, 'pool', node)));
    }
  }
  if (r.regIPAddress !== undefined) servers.push(server(r, 'single'));
  const phones = Array.isArray(r.phone) ? (r.phone as RawPhone[]) : [];
  const items = phones.map((p) => softphone(p, includePasswords));
  const total = Number(r.total ?? items.length);
  return { items, registrationServers: servers, total: Number.isFinite(total) ? total : items.length };
}

function server(s: RawServer, mode: 'single' | 'pool', node?: string): RegistrationServerDto {
  const address = text(s.regIPAddress);
  const port = Number(s.regPort);
  if (!address || !Number.isInteger(port)) throw upstreamMalformed('cec', 'registration server without address/port');
  const sipPort = Number(s.sipServicePort);
  return {
    mode,
    ...(node ? { node } : {}),
    address,
    port,
    ...(text(s.sipServiceIp) ? { sipAddress: text(s.sipServiceIp) } : {}),
    ...(Number.isInteger(sipPort) && s.sipServicePort !== '' && s.sipServicePort !== undefined ? { sipPort } : {}),
  };
}

function softphone(p: RawPhone, includePassword: boolean): SoftphoneDto {
  const number = text(p.phoneNum);
  if (!number) throw upstreamMalformed('cec', 'softphone without phoneNum');
  const status = Number(p.status);
  const registration = status === 0 ? 'registered' : status === 1 ? 'suspended' : 'unknown';
  if (registration === 'unknown')
    logger.warn({ field: 'status', value: p.status }, 'unknown softphone status mapped to "unknown"');
  return {
    number,
    registration,
    ...optional('configId', p.id),
    ...optional('remark', p.remark),
    ...optional('tenantId', p.tenantId),
    ...optional('partitionId', p.partdbId),
    // Passwords leave the gateway only when asked for with the right scope.
    ...(includePassword ? optional('password', p.password) : {}),
  };
}

/** queryCallState result to CallStatus; ms timestamps may arrive as strings or numbers. */
export function mapCallStatus(callId: string, result: unknown): CallStatusDto {
  if (!result || typeof result !== 'object') throw upstreamMalformed('cec', 'queryCallState without result');
  const r = result as Record<string, unknown>;
  const stateCode = Number(r.state);
  const state = CALL_STATE[stateCode] ?? 'unknown';
  if (state === 'unknown') logger.warn({ field: 'state', value: r.state }, 'unknown call state mapped to "unknown"');
  const startedAt = epochMs(r.startTime);
  const endedAt = epochMs(r.endTime);
  const reasonCode =
    r.reasonCode === undefined || r.reasonCode === null || r.reasonCode === '' ? undefined : Number(r.reasonCode);
  return {
    callId,
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
  };
}

function epochMs(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const ms = Number(value);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function optional<K extends string>(key: K, value: unknown): Partial<Record<K, string>> {
  const t = text(value);
  return t === undefined ? {} : ({ [key]: t } as Record<K, string>);
}
