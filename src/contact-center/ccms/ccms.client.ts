import { Inject, Injectable } from '@nestjs/common';
import { errorFields } from '../../upstream/upstream-http.client';
import { AppError, UpstreamDetail } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig, CcmsConfig } from '../../config/app-config';
import { notConfigured, UpstreamChannel, UpstreamClientFactory } from '../../upstream/upstream-client.factory';
import { authV2Authorization } from './auth-v2-signer';
import { CcmsConcurrency } from './ccms-concurrency';

const QUERY_PATH = '/rest/cmsapp/v1/openapi/uap/queryterminalstatus';
export const CCMS_SUCCESS = '0100000';

export interface TerminalQuery {
  EID: string;
  limit: number;
  offset: number;
  ccId?: number;
}

/** The only code that knows CC-CMS's wire format: auth-v2 signed queryterminalstatus. */
@Injectable()
export class CcmsClient {
  private readonly channel?: UpstreamChannel;
  private readonly settings?: CcmsConfig;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    factory: UpstreamClientFactory,
    private readonly concurrency: CcmsConcurrency,
  ) {
    this.settings = config.ccms;
    this.channel = factory.create('ccms', config.ccms, errorFields('resultCode', 'resultDesc'));
  }

  /** Raw JSON of a successful query (resultCode 0100000); business failures become problems. */
  async queryTerminalStatus(query: TerminalQuery): Promise<unknown> {
    if (!this.channel || !this.settings) throw notConfigured('ccms');
    const { http, resilience } = this.channel;
    const { ak, sk } = this.settings;
    const body = JSON.stringify(query);
    const response = await this.concurrency.run(() =>
      resilience.execute(
        (signal) => {
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
          return http.request({
            operation: 'queryterminalstatus',
            method: 'POST',
            path: QUERY_PATH,
            body,
            signal,
            headers: { ...headers, authorization, 'content-type': 'application/json; charset=UTF-8' },
          });
        },
        { idempotent: true },
      ),
    );
    const upstream = http.detailOf(response);
    if (response.status === 401 || response.status === 403) {
      throw new AppError(ErrorCode.UPSTREAM_AUTH_FAILED, 'CC-CMS rejected the AK/SK signature.', { upstream });
    }
    if (response.status >= 400) {
      throw new AppError(ErrorCode.UPSTREAM_REJECTED, `CC-CMS refused the request with HTTP ${response.status}.`, {
        upstream,
      });
    }
    const json = http.parseJson(response) as { resultCode?: unknown };
    if (json?.resultCode !== CCMS_SUCCESS) throw resultCodeError(upstream);
    return json;
  }
}

/** CC-CMS result codes (Error Code Reference) to problems; success is handled by the caller. */
function resultCodeError(upstream: UpstreamDetail): AppError {
  switch (upstream.code) {
    case '0101002':
      return new AppError(ErrorCode.NOT_FOUND, 'CC-CMS found no terminal matching the query.', { upstream });
    case '0100002':
      return new AppError(
        ErrorCode.BAD_REQUEST,
        `CC-CMS rejected a parameter: ${upstream.message ?? 'invalid parameter'}.`,
        {
          upstream,
        },
      );
    case '0101003':
      return new AppError(ErrorCode.UPSTREAM_AUTH_FAILED, 'The CC-CMS credentials lack permission for this query.', {
        upstream,
      });
    default:
      return new AppError(ErrorCode.UPSTREAM_REJECTED, `CC-CMS answered result code ${upstream.code ?? '(none)'}.`, {
        upstream,
      });
  }
}
