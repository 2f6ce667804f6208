import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { CEC_CALLS, CEC_PHONES, CEC_REG_SERVERS } from './demo-data';
import { createFamilyServer, FamilyServerOptions, isInvalidJson, simulate } from '../../../sandbox/family-server';
import { FaultInjector } from '../../../sandbox/fault-injector';

export interface CcManagementSandboxOptions {
  appKey: string;
  appSecret: string;
  latencyMs: number;
  /** Which result shape queryPhone V2 answers with: the V2 tables, or V1's top-level regIPAddress. */
  queryPhoneShape: 'v2' | 'v1';
}

/** AICC CC-Management mobile agent: tokenByAkSk, queryPhone (V1 and V2), queryCallState. */
export class CcManagementSandbox {
  readonly injector: FaultInjector;
  readonly server: FastifyInstance;
  private readonly everIssued: string[] = [];
  private tokens = new Map<string, number>();

  constructor(readonly options: CcManagementSandboxOptions) {
    this.injector = new FaultInjector(options.latencyMs);
    const family: FamilyServerOptions = {
      name: 'cc-management',
      injector: this.injector,
      errorBody: (status) => ({ retCode: String(status), retMsg: 'Injected fault' }),
      onReset: () => this.tokens.clear(),
      onRevokeTokens: () => this.tokens.clear(),
    };
    this.server = createFamilyServer(family);
    this.server.post('/apigovernance/api/oauth/tokenByAkSk', (req, reply) =>
      simulate(family, 'auth', req, reply, () => this.token(req, reply)),
    );
    this.server.post('/apiaccess/CC-Management/v2/mobileAgent/queryPhone', (req, reply) =>
      simulate(family, 'business', req, reply, () => this.queryPhone(req, reply, this.options.queryPhoneShape)),
    );
    this.server.post('/apiaccess/CC-Management/v1/mobileAgent/queryPhone', (req, reply) =>
      simulate(family, 'business', req, reply, () => this.queryPhone(req, reply, 'v1')),
    );
    this.server.post('/apiaccess/CC-Management/v1/mobileAgent/queryCallState', (req, reply) =>
      simulate(family, 'business', req, reply, () => this.queryCallState(req, reply)),
    );
  }

  /** Every access token issued since start, revoked ones included (tests scan Redis and logs for them). */
  issuedTokens(): string[] {
    return [...this.everIssued];
  }

  /** Everything that must never appear in a gateway log line, response or Redis value. */
  secrets(): string[] {
    return [this.options.appSecret, ...this.everIssued, ...CEC_PHONES.map((p) => p.password)];
  }

  private token(request: FastifyRequest, reply: FastifyReply) {
    const body = request.body as { app_key?: unknown; app_secret?: unknown } | undefined;
    if (
      !body ||
      isInvalidJson(body) ||
      body.app_key !== this.options.appKey ||
      body.app_secret !== this.options.appSecret
    ) {
      this.injector.counters.rejectedSignatures += 1;
      return reply.status(401).send({ retCode: '401', retMsg: 'Invalid app_key or app_secret' });
    }
    const requested = Number(request.headers['x-token-expire'] ?? 600);
    // The docs give 3600 as the maximum; larger requests are capped, not refused (undocumented).
    const expires = Number.isInteger(requested) && requested > 0 ? Math.min(requested, 3600) : 600;
    const accessToken = randomBytes(24).toString('hex');
    this.tokens.set(accessToken, Date.now() + expires * 1000);
    this.everIssued.push(accessToken);
    return {
      AccessToken: accessToken,
      ApplyType: 'Bearer',
      CreateTime: String(Math.floor(Date.now() / 1000)),
      Expires: String(expires),
      Scope: 'default',
      AppKey: this.options.appKey,
      UserID: 'Anonymous',
    };
  }

  private authorized(request: FastifyRequest, reply: FastifyReply): boolean {
    const match = /^Bearer (\S+)$/.exec(String(request.headers.authorization ?? ''));
    const expiresAt = match ? this.tokens.get(match[1]!) : undefined;
    if (!expiresAt || expiresAt < Date.now()) {
      reply.status(401).send({ retCode: '401', retMsg: 'Unauthorized: the access token is invalid or expired' });
      return false;
    }
    const appKey = request.headers['x-app-key'];
    if (appKey !== undefined && appKey !== this.options.appKey) {
      reply.status(401).send({ retCode: '401', retMsg: 'Unauthorized: X-APP-Key does not match the token' });
      return false;
    }
    return true;
  }

  private queryPhone(request: FastifyRequest, reply: FastifyReply, shape: 'v1' | 'v2') {
    if (!this.authorized(request, reply)) return reply;
    if (isInvalidJson(request.body)) return reply.status(400).send({ retCode: '1', retMsg: 'Bad request body' });
    const body = (request.body ?? {}) as { limit?: unknown; offset?: unknown };
    if (body.limit === '' || body.offset === '') return { retCode: '4', retMsg: 'limit or offset is empty' };
    const limit = clamp(Number(body.limit ?? '100'), 1, 100);
    const offset = Math.max(0, Number(body.offset ?? '0'));
    if (!Number.isFinite(limit) || !Number.isFinite(offset))
      return { retCode: '1', retMsg: 'Query failed: limit/offset not numeric' };
    const phone = CEC_PHONES.slice(offset, offset + limit);
    if (shape === 'v1') {
      return {
        retCode: '0',
        retMsg: 'success',
        result: {
          total: CEC_PHONES.length,
          regIPAddress: CEC_REG_SERVERS.single[0]!.regIPAddress,
          regPort: CEC_REG_SERVERS.single[0]!.regPort,
          phone,
        },
      };
    }
    return {
      retCode: '0',
      retMsg: 'success',
      result: {
        total: CEC_PHONES.length,
        singleRegServ: CEC_REG_SERVERS.single,
        poolRegServ: CEC_REG_SERVERS.pool,
        phone,
      },
    };
  }

  private queryCallState(request: FastifyRequest, reply: FastifyReply) {
    if (!this.authorized(request, reply)) return reply;
    const body = request.body as { callSerialNo?: unknown } | undefined;
    const serial = body && !isInvalidJson(body) ? body.callSerialNo : undefined;
    if (typeof serial !== 'string' || serial.length === 0 || serial.length > 50) {
      return { retCode: '3', retMsg: 'The format of the call SN is incorrect' };
    }
    const call = CEC_CALLS.find((c) => c.callSerialNo === serial);
    if (!call) return { retCode: '1', retMsg: 'Failed to query the call status' };
    const { callSerialNo: _sn, ...result } = call;
    return { retCode: '0', retMsg: 'Query call state successfully', result };
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
