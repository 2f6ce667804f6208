import { Inject, Injectable } from '@nestjs/common';
import { AppError, UpstreamDetail } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { UpstreamChannel, UpstreamClientFactory } from '../../upstream/upstream-client.factory';
import { upstreamBodyFailure } from '../../upstream/upstream-failure';
import { errorFields, UpstreamResponse } from '../../upstream/upstream-http.client';
import { authV2Authorization } from './auth-v2-signer';
import { CcCmsConcurrency } from './cc-cms-concurrency';
import { CC_CMS_SETTINGS, CcCmsSettings } from './cc-cms.config';
import { CC_CMS_SUCCESS, ccCmsEnvelope, terminalGroups, TerminalGroups } from './cc-cms.schemas';
import type { RequestScope } from '../../common/request-context';

const QUERY_PATH = '/rest/cmsapp/v1/openapi/uap/queryterminalstatus';
/** "The queried number does not exist in UAP": a search that matched nothing. */
const NOTHING_MATCHED = '0101002';

export interface TerminalQuery {
  EID: string;
  limit: number;
  offset: number;
  ccId?: number;
}

/** The only code that knows CC-CMS's wire format: auth-v2 signed queryterminalstatus. */
@Injectable()
export class CcCmsClient {
  private readonly channel: UpstreamChannel;

  constructor(
    @Inject(CC_CMS_SETTINGS) private readonly settings: CcCmsSettings,
    factory: UpstreamClientFactory,
    private readonly concurrency: CcCmsConcurrency,
  ) {
    this.channel = factory.create('cc-cms', settings, errorFields('resultCode', 'resultDesc'));
  }

  /** CC-CMS asks that a match stay under 200 terminals: wildcards need a literal prefix. */
  assertNarrowPattern(eid: string): void {
    const min = this.settings.eidMinLiteralPrefix;
    const wildcardAt = eid.search(/[*%?]/);
    if (wildcardAt >= 0 && wildcardAt < min) {
      const message = `a pattern with a wildcard needs at least ${min} literal leading digits`;
      throw new AppError(ErrorCode.VALIDATION_FAILED, `eid: ${message}`, { errors: [{ field: 'eid', message }] });
    }
  }

  /** The matching terminals' groups; no groups when nothing matches. */
  queryTerminalStatus(query: TerminalQuery, scope?: RequestScope): Promise<TerminalGroups> {
    const { http, resilience } = this.channel;
    const { ak, sk } = this.settings;
    const body = JSON.stringify(query);
    return this.concurrency.run(() =>
      resilience.execute(
        async (signal) => {
          // Signed per attempt: the timestamp is part of the signature.
          const headers = { host: http.host };
          const authorization = authV2Authorization({
            ak,
            sk,
            method: 'POST',
            path: QUERY_PATH,
            headers,
            body,
            date: new Date(),
          });
          const response = await http.request({
            operation: 'queryterminalstatus',
            method: 'POST',
            path: QUERY_PATH,
            body,
            signal,
            scope,
            headers: { ...headers, authorization, 'content-type': 'application/json; charset=UTF-8' },
          });
          return this.read(response);
        },
        { idempotent: true },
      ),
    );
  }

  /** Status, result code and body, checked inside the resilience boundary. */
  private read(response: UpstreamResponse): TerminalGroups {
    const { http } = this.channel;
    const upstream = http.detailOf(response);
    if (response.status === 401 || response.status === 403) {
      throw new AppError(ErrorCode.UPSTREAM_AUTH_FAILED, 'CC-CMS rejected the AK/SK signature.', { upstream });
    }
    if (response.status >= 400) {
      throw new AppError(ErrorCode.UPSTREAM_REJECTED, `CC-CMS refused the request with HTTP ${response.status}.`, {
        upstream,
      });
    }
    const envelope = http.read(response, ccCmsEnvelope);
    if (envelope.resultCode === NOTHING_MATCHED) return { groups: [], overallCount: 0 };
    if (envelope.resultCode !== CC_CMS_SUCCESS) throw resultCodeError(upstream);
    return http.parse(envelope.resultDesc, terminalGroups);
  }
}

/** CC-CMS result codes (Error Code Reference) to problems; input problems do not count as failures. */
function resultCodeError(upstream: UpstreamDetail): AppError {
  switch (upstream.code) {
    case '0100002':
      return new AppError(
        ErrorCode.BAD_REQUEST,
        `CC-CMS rejected a parameter: ${upstream.message ?? 'invalid parameter'}.`,
        { upstream },
      );
    case '0101003':
      return new AppError(ErrorCode.UPSTREAM_AUTH_FAILED, 'The CC-CMS credentials lack permission for this query.', {
        upstream,
      });
    default:
      return upstreamBodyFailure(`CC-CMS answered result code ${upstream.code ?? '(none)'}.`, upstream);
  }
}
