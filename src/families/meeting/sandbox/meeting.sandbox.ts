import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { MEETING_DEVICE_SNS, MEETING_TERMINALS, MeetingTerminal } from './demo-data';
import { createFamilyServer, FamilyServerOptions, isInvalidJson, simulate } from '../../../sandbox/family-server';
import { FaultInjector } from '../../../sandbox/fault-injector';
import { verifyAppIdAuth } from './app-id.verifier';

export interface MeetingSandboxOptions {
  appId: string;
  appKey: string;
  latencyMs: number;
  /** Access-token lifetime the sandbox grants (the real service: 12-24 h). */
  tokenTtlSeconds: number;
  /** Largest number list userstatus accepts (undocumented upstream; the sandbox picks 50). */
  maxNumbersPerCall: number;
}

const ACTIVATION_LIMIT = 5;
const DAY_MS = 24 * 60 * 60 * 1000;

interface IssuedToken {
  expiresAtMs: number;
  refreshToken: string;
}

/** Huawei Cloud Meeting: App ID auth, token refresh, terminal status, activation-code reset. */
export class MeetingSandbox {
  readonly injector: FaultInjector;
  readonly server: FastifyInstance;
  private readonly everIssued: string[] = [];
  private tokens = new Map<string, IssuedToken>();
  private refreshTokens = new Map<string, string>();
  private activations = new Map<string, number[]>();
  /** The demo terminals by number; `POST /__sandbox/terminals` changes one (tests, demos of streams). */
  private terminals = new Map(MEETING_TERMINALS.map((t) => [t.number, { ...t }]));
  /** The number lists of recent userstatus calls, newest last. */
  statusQueries: string[][] = [];
  /** Every reset request the sandbox accepted, for assertions. */
  activationCalls: { sn: string; body: unknown }[] = [];

  constructor(private readonly options: MeetingSandboxOptions) {
    this.injector = new FaultInjector(options.latencyMs);
    const family: FamilyServerOptions = {
      name: 'meeting',
      injector: this.injector,
      errorBody: (status, request) =>
        meetingError(status, status === 401 ? 'USG.000000004' : 'USG.000000001', 'Injected fault', request),
      onReset: () => {
        this.terminals = new Map(MEETING_TERMINALS.map((t) => [t.number, { ...t }]));
        this.statusQueries = [];
        this.tokens.clear();
        this.refreshTokens.clear();
        this.activations.clear();
        this.activationCalls = [];
      },
      onRevokeTokens: () => this.revokeTokens(),
    };
    this.server = createFamilyServer(family);
    this.server.post('/v2/usg/acs/auth/appauth', (req, reply) =>
      simulate(family, 'auth', req, reply, () => this.appAuth(req, reply)),
    );
    this.server.put('/v1/usg/acs/token', (req, reply) =>
      simulate(family, 'auth', req, reply, () => this.refresh(req, reply)),
    );
    this.server.post('/v1/usg/acs/ap/userstatus', (req, reply) =>
      simulate(family, 'business', req, reply, () => this.userStatus(req, reply)),
    );
    this.server.post<{ Body: Partial<MeetingTerminal> }>('/__sandbox/terminals', async (request, reply) => {
      const { number, regStatus, callStatus } = request.body ?? {};
      if (typeof number !== 'string') return reply.status(400).send({ error: 'number is required' });
      return this.setTerminal(number, { regStatus, callStatus });
    });
    this.server.post<{ Params: { sn: string } }>('/v1/usg/dcs/corp/device/:sn/activecode', (req, reply) =>
      simulate(family, 'business', req, reply, () => this.resetActivationCode(req, reply)),
    );
  }

  /** Changes (or, with both states, adds) a terminal's state; both undefined removes it. */
  setTerminal(
    number: string,
    state: Partial<Pick<MeetingTerminal, 'regStatus' | 'callStatus'>>,
  ): MeetingTerminal | null {
    const current = this.terminals.get(number);
    if (state.regStatus === undefined && state.callStatus === undefined) {
      this.terminals.delete(number);
      return null;
    }
    const next = { number, regStatus: '0', callStatus: '1', ...current, ...state } as MeetingTerminal;
    this.terminals.set(number, next);
    return next;
  }

  revokeTokens(): void {
    this.tokens.clear();
    this.refreshTokens.clear();
  }

  /** Every access token issued since start, revoked ones included (tests scan Redis and logs for them). */
  issuedTokens(): string[] {
    return [...this.everIssued];
  }

  /** Everything that must never appear in a gateway log line, response or Redis value. */
  secrets(): string[] {
    return [this.options.appKey, ...this.everIssued];
  }

  private appAuth(request: FastifyRequest, reply: FastifyReply) {
    const verdict = verifyAppIdAuth(request.headers.authorization, request.body as object, {
      appId: this.options.appId,
      appKey: this.options.appKey,
      spMode: false,
    });
    if (!verdict.ok) {
      this.injector.counters.rejectedSignatures += 1;
      return reply
        .status(401)
        .send(meetingError(401, 'USG.000000005', `App ID authentication failed: ${verdict.reason}`, request));
    }
    return this.issueToken(verdict.userId);
  }

  private refresh(request: FastifyRequest, reply: FastifyReply) {
    const presented = header(request, 'x-access-token');
    const owner = presented ? this.refreshTokens.get(presented) : undefined;
    if (owner === undefined) {
      return reply.status(401).send(meetingError(401, 'USG.000000004', 'Refresh token invalid or expired', request));
    }
    this.refreshTokens.delete(presented!);
    return this.issueToken(owner);
  }

  private issueToken(userId: string) {
    const now = Date.now();
    const accessToken = 'cnr' + randomBytes(18).toString('hex');
    const refreshToken = 'stb' + randomBytes(18).toString('hex');
    const ttl = this.options.tokenTtlSeconds;
    this.tokens.set(accessToken, { expiresAtMs: now + ttl * 1000, refreshToken });
    this.everIssued.push(accessToken);
    this.refreshTokens.set(refreshToken, userId);
    return {
      accessToken,
      validPeriod: ttl,
      expireTime: Math.floor(now / 1000) + ttl,
      createTime: now,
      refreshToken,
      refreshValidPeriod: 2592000,
      refreshExpireTime: Math.floor(now / 1000) + 2592000,
      refreshCreateTime: now,
      tokenIp: '127.0.0.1',
      tokenType: 0,
      clientType: 72,
      user: { userId: userId || 'admin', appId: this.options.appId, userType: 2, adminType: 1, name: 'Sandbox Admin' },
      firstLogin: false,
      pwdExpired: false,
      daysPwdAvailable: 0,
      forceLoginInd: null,
      delayDelete: false,
      proxyToken: null,
    };
  }

  private authorized(request: FastifyRequest, reply: FastifyReply): boolean {
    const token = header(request, 'x-access-token');
    const issued = token ? this.tokens.get(token) : undefined;
    if (!issued || issued.expiresAtMs < Date.now()) {
      reply.status(401).send(meetingError(401, 'USG.000000004', 'The access token is invalid or has expired', request));
      return false;
    }
    return true;
  }

  private userStatus(request: FastifyRequest, reply: FastifyReply) {
    if (!this.authorized(request, reply)) return reply;
    const numbers = request.body;
    if (
      isInvalidJson(numbers) ||
      !Array.isArray(numbers) ||
      numbers.length === 0 ||
      !numbers.every((n) => typeof n === 'string')
    ) {
      return reply
        .status(400)
        .send(meetingError(400, 'USG.000000001', 'The body must be a non-empty array of terminal numbers', request));
    }
    if (numbers.length > this.options.maxNumbersPerCall) {
      return reply
        .status(400)
        .send(
          meetingError(400, 'USG.000000001', `At most ${this.options.maxNumbersPerCall} numbers per call`, request),
        );
    }
    this.statusQueries.push(numbers as string[]);
    if (this.statusQueries.length > 1000) this.statusQueries.shift();
    return (numbers as string[])
      .map((n) => this.terminals.get(n.replace(/^tel:/, '')))
      .filter((t) => t !== undefined)
      .map((t) => ({ Number: `tel:${t.number}`, RegStatus: t.regStatus, CallStatus: t.callStatus }));
  }

  private resetActivationCode(request: FastifyRequest<{ Params: { sn: string } }>, reply: FastifyReply) {
    if (!this.authorized(request, reply)) return reply;
    const { sn } = request.params;
    const body = (request.body ?? {}) as { country?: unknown; emailAddr?: unknown; smsNumber?: unknown };
    if (!/^[A-Za-z0-9_]{1,30}$/.test(sn) || isInvalidJson(body) || typeof body !== 'object') {
      return reply.status(400).send(meetingError(400, 'USG.000000001', 'Invalid parameter', request));
    }
    if (body.emailAddr === undefined && body.smsNumber === undefined) {
      return reply.status(400).send(meetingError(400, 'USG.000000001', 'smsNumber or emailAddr is required', request));
    }
    if (body.smsNumber !== undefined && typeof body.country !== 'string') {
      return reply.status(400).send(meetingError(400, 'USG.000000001', 'country is required with smsNumber', request));
    }
    if (!MEETING_DEVICE_SNS.has(sn)) {
      return reply.status(400).send(meetingError(400, 'USG.201050001', 'The device does not exist', request));
    }
    const now = Date.now();
    const recent = (this.activations.get(sn) ?? []).filter((t) => t > now - DAY_MS);
    if (recent.length >= ACTIVATION_LIMIT) {
      return reply
        .status(400)
        .send(meetingError(400, 'USG.201050002', 'Activation code reset limit reached (5 per 24 h)', request));
    }
    recent.push(now);
    this.activations.set(sn, recent);
    this.activationCalls.push({ sn, body });
    return reply.status(200).send();
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function meetingError(_status: number, code: string, message: string, request: FastifyRequest) {
  return { error_code: code, error_msg: message, request_id: header(request, 'x-request-id') ?? request.id };
}
