import { Inject, Injectable } from '@nestjs/common';
import { errorFields } from '../../upstream/upstream-http.client';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { APP_CONFIG, AppConfig, CecConfig } from '../../config/app-config';
import { TokenManager, TokenSource } from '../../upstream/token-manager';
import { notConfigured, UpstreamChannel, UpstreamClientFactory } from '../../upstream/upstream-client.factory';
import { upstreamMalformed } from '../../upstream/upstream-failure';

/** Token lifetime we ask tokenByAkSk for (the documented maximum). */
const TOKEN_EXPIRE_S = 3600;

export interface CecEnvelope {
  retCode: string;
  retMsg?: string;
  result?: unknown;
}

/**
 * The only code that knows CC-Management's wire format: tokenByAkSk, queryPhone (V2) and
 * queryCallState. Returns the raw envelope; the mappers interpret retCode and result.
 */
@Injectable()
export class CecClient {
  private readonly channel?: UpstreamChannel;
  private readonly settings?: CecConfig;
  private readonly tokenSource?: TokenSource;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    factory: UpstreamClientFactory,
    private readonly tokens: TokenManager,
  ) {
    this.settings = config.cec;
    this.channel = factory.create('cec', config.cec, errorFields('retCode', 'retMsg'));
    if (config.cec) {
      this.tokenSource = {
        service: 'cec',
        identity: `${config.cec.baseUrl}|${config.cec.ak}`,
        fetch: () => this.fetchToken(),
      };
    }
  }

  queryPhone(limit: number, offset: number): Promise<CecEnvelope> {
    // The upstream takes limit and offset as strings.
    return this.call('queryPhone', '/apiaccess/CC-Management/v2/mobileAgent/queryPhone', {
      limit: String(limit),
      offset: String(offset),
    });
  }

  queryCallState(callSerialNo: string): Promise<CecEnvelope> {
    return this.call('queryCallState', '/apiaccess/CC-Management/v1/mobileAgent/queryCallState', { callSerialNo });
  }

  private async call(operation: string, path: string, payload: object): Promise<CecEnvelope> {
    if (!this.channel || !this.settings) throw notConfigured('cec');
    const { http, resilience } = this.channel;
    const body = JSON.stringify(payload);
    const response = await this.tokens.withToken(
      this.tokenSource!,
      (token) =>
        resilience.execute(
          (signal) =>
            http.request({
              operation,
              method: 'POST',
              path,
              body,
              signal,
              headers: { authorization: `Bearer ${token}`, 'x-app-key': this.settings!.appKey },
            }),
          { idempotent: true },
        ),
      (res) => res.status === 401,
    );
    const upstream = http.detailOf(response);
    if (response.status === 401) {
      throw new AppError(ErrorCode.UPSTREAM_AUTH_FAILED, 'CC-Management rejected a freshly issued token.', {
        upstream,
      });
    }
    if (response.status >= 400) {
      throw new AppError(
        ErrorCode.UPSTREAM_REJECTED,
        `CC-Management refused the request with HTTP ${response.status}.`,
        { upstream },
      );
    }
    const json = http.parseJson(response) as Partial<CecEnvelope> | null;
    if (!json || typeof json.retCode !== 'string') throw upstreamMalformed('cec', 'no retCode');
    return json as CecEnvelope;
  }

  private async fetchToken() {
    const { http, resilience } = this.channel!;
    const { ak, sk } = this.settings!;
    const response = await resilience.execute(
      (signal) =>
        http.request({
          operation: 'tokenByAkSk',
          method: 'POST',
          path: '/apigovernance/api/oauth/tokenByAkSk',
          body: JSON.stringify({ app_key: ak, app_secret: sk }),
          signal,
          headers: { 'x-token-expire': String(TOKEN_EXPIRE_S), 'content-type': 'application/json' },
        }),
      { idempotent: true },
    );
    if (response.status !== 200) {
      throw new AppError(ErrorCode.UPSTREAM_AUTH_FAILED, 'CC-Management tokenByAkSk failed.', {
        upstream: http.detailOf(response),
      });
    }
    const json = http.parseJson(response) as { AccessToken?: unknown; Expires?: unknown } | null;
    if (typeof json?.AccessToken !== 'string' || json.AccessToken.length === 0)
      throw upstreamMalformed('cec', 'no AccessToken');
    // Expires is the lifetime in seconds, sent as a string.
    const expires = Number(json.Expires);
    if (!Number.isFinite(expires) || expires <= 0) throw upstreamMalformed('cec', 'no Expires');
    return { token: json.AccessToken, lifetimeMs: expires * 1000 };
  }
}
