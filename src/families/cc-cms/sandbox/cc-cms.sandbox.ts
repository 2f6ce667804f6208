import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CCMS_TERMINALS, CcCmsTerminal } from './demo-data';
import { createFamilyServer, FamilyServerOptions, isInvalidJson, simulate } from '../../../sandbox/family-server';
import { FaultInjector } from '../../../sandbox/fault-injector';
import { verifyAuthV2 } from './auth-v2.verifier';

export interface CcCmsSandboxOptions {
  ak: string;
  sk: string;
  latencyMs: number;
  /** `aicc`: resultDesc.data keyed by "ip#uap" plus count; `grouped`: resultDesc["ip#uap"] = {data, count}. */
  resultShape: 'aicc' | 'grouped';
  maxSkewSeconds: number;
}

/** The documented limit: past 10 concurrent calls the real CC-CMS degrades. */
const CCMS_CONCURRENCY_LIMIT = 10;
const SUCCESS = '0100000';

/** AICC CC-CMS (independent deployment): queryterminalstatus with auth-v2 signatures. */
export class CcCmsSandbox {
  readonly injector: FaultInjector;
  readonly server: FastifyInstance;
  /** Queries whose pattern matched 200 or more terminals (the upstream warns this hurts the UAP). */
  sweeps = 0;

  constructor(readonly options: CcCmsSandboxOptions) {
    this.injector = new FaultInjector(options.latencyMs);
    const family: FamilyServerOptions = {
      name: 'cc-cms',
      injector: this.injector,
      errorBody: () => ({ resultCode: '0100999', resultDesc: 'Injected fault' }),
      onReset: () => {
        this.sweeps = 0;
      },
    };
    this.server = createFamilyServer(family);
    this.server.post('/rest/cmsapp/v1/openapi/uap/queryterminalstatus', (req, reply) =>
      simulate(family, 'business', req, reply, () => this.queryTerminalStatus(req, reply), CCMS_CONCURRENCY_LIMIT),
    );
  }

  /** Everything that must never appear in a gateway log line, response or Redis value. */
  secrets(): string[] {
    return [this.options.sk];
  }

  private queryTerminalStatus(request: FastifyRequest, reply: FastifyReply) {
    const verdict = verifyAuthV2(
      { method: request.method, url: request.url, headers: request.headers, rawBody: request.rawBody ?? '' },
      { credentials: { [this.options.ak]: this.options.sk }, maxSkewSeconds: this.options.maxSkewSeconds },
    );
    if (!verdict.ok) {
      this.injector.counters.rejectedSignatures += 1;
      return reply.status(401).send({ resultCode: '0100001', resultDesc: `Authentication failed: ${verdict.reason}` });
    }
    const body = request.body as { EID?: unknown; limit?: unknown; offset?: unknown; ccId?: unknown } | undefined;
    if (!body || isInvalidJson(body) || typeof body !== 'object') return invalid('request body is not JSON');
    const { EID, limit, offset, ccId } = body;
    if (typeof EID !== 'string' || EID.length === 0 || EID.length > 32 || !/^[0-9*%?]+$/.test(EID))
      return invalid('EID');
    if ((limit === undefined) !== (offset === undefined)) return invalid('limit and offset must appear together');
    if (limit !== undefined && (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > 100))
      return invalid('limit');
    if (offset !== undefined && (!Number.isInteger(offset) || (offset as number) < 0)) return invalid('offset');
    if (ccId !== undefined && !Number.isInteger(ccId)) return invalid('ccId');
    if (ccId !== undefined && ccId !== 1)
      return { resultCode: '0101002', resultDesc: 'The queried number does not exist in UAP' };

    const pattern = new RegExp('^' + EID.replace(/[*%]/g, '.*').replace(/\?/g, '.') + '$');
    const matched = CCMS_TERMINALS.filter((t) => pattern.test(t.equipmentId));
    if (matched.length >= 200) this.sweeps += 1;
    if (matched.length === 0) return { resultCode: '0101002', resultDesc: 'The queried number does not exist in UAP' };
    const start = (offset as number | undefined) ?? 0;
    const page = matched.slice(start, start + ((limit as number | undefined) ?? 100));
    return { resultCode: SUCCESS, resultDesc: this.shape(page, matched) };
  }

  /** AICC nesting: one overall count. Grouped nesting: each UAP's count is its own match total. */
  private shape(page: CcCmsTerminal[], matched: CcCmsTerminal[]) {
    const groups: Record<string, Omit<CcCmsTerminal, 'uapKey'>[]> = {};
    for (const { uapKey, ...terminal } of page) (groups[uapKey] ??= []).push(terminal);
    if (this.options.resultShape === 'aicc') return { data: groups, count: matched.length };
    const countOf = (key: string) => matched.filter((t) => t.uapKey === key).length;
    return Object.fromEntries(Object.entries(groups).map(([key, data]) => [key, { data, count: countOf(key) }]));
  }
}

function invalid(what: string) {
  return { resultCode: '0100002', resultDesc: `Invalid parameter: ${what}` };
}
