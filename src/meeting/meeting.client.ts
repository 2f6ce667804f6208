import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { APP_CONFIG, AppConfig, MeetingConfig } from '../config/app-config';
import { TokenManager, TokenSource } from '../upstream/token-manager';
import { notConfigured, UpstreamChannel, UpstreamClientFactory } from '../upstream/upstream-client.factory';
import { upstreamMalformed } from '../upstream/upstream-failure';
import { errorFields, UpstreamResponse } from '../upstream/upstream-http.client';
import { appIdAuthorization, appIdNonce } from './app-id-signer';

const SIGNATURE_VALIDITY_S = 600;

/**
 * The only code that knows Meeting's wire format: App ID authentication, userstatus and
 * activecode. Returns raw JSON; MeetingMapper turns it into the API model.
 */
@Injectable()
export class MeetingClient {
  private readonly channel?: UpstreamChannel;
  private readonly settings?: MeetingConfig;
  private readonly tokenSource?: TokenSource;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    factory: UpstreamClientFactory,
    private readonly tokens: TokenManager,
  ) {
    this.settings = config.meeting;
    this.channel = factory.create('meeting', config.meeting, errorFields('error_code', 'error_msg'));
    if (this.settings) {
      const s = this.settings;
      this.tokenSource = {
        service: 'meeting',
        identity: `${s.baseUrl}|${s.appId}|${s.userId ?? ''}|${s.corpId ?? ''}`,
        fetch: () => this.authenticate(),
      };
    }
  }

  /** POST /v1/usg/acs/ap/userstatus with a bare array of numbers; answers a bare array. */
  async queryUserStatus(numbers: string[]): Promise<unknown> {
    const response = await this.authorized(
      'userstatus',
      'POST',
      '/v1/usg/acs/ap/userstatus',
      JSON.stringify(numbers),
      true,
    );
    return this.channelOrFail().http.parseJson(response);
  }

  /** POST /v1/usg/dcs/corp/device/{sn}/activecode. Not idempotent: never retried. */
  async resetActivationCode(
    sn: string,
    body: { country?: string; emailAddr?: string; smsNumber?: string },
  ): Promise<void> {
    await this.authorized(
      'activecode',
      'POST',
      `/v1/usg/dcs/corp/device/${encodeURIComponent(sn)}/activecode`,
      JSON.stringify(body),
      false,
    );
  }

  private channelOrFail(): UpstreamChannel {
    if (!this.channel) throw notConfigured('meeting');
    return this.channel;
  }

  private async authorized(
    operation: string,
    method: 'POST',
    path: string,
    body: string,
    idempotent: boolean,
  ): Promise<UpstreamResponse> {
    const { http, resilience } = this.channelOrFail();
    const response = await this.tokens.withToken(
      this.tokenSource!,
      (token) =>
        resilience.execute(
          (signal) => http.request({ operation, method, path, body, signal, headers: { 'x-access-token': token } }),
          { idempotent },
        ),
      (res) => res.status === 401,
    );
    if (response.status >= 400) throw this.rejection(response);
    return response;
  }

  private async authenticate() {
    const { http, resilience } = this.channelOrFail();
    const s = this.settings!;
    const expireTime = Math.floor(Date.now() / 1000) + SIGNATURE_VALIDITY_S;
    const nonce = appIdNonce();
    const body = JSON.stringify({
      appId: s.appId,
      clientType: 72,
      expireTime,
      nonce,
      ...(s.userId ? { userId: s.userId } : {}),
      ...(s.corpId ? { corpId: s.corpId } : {}),
    });
    const response = await resilience.execute(
      (signal) =>
        http.request({
          operation: 'appauth',
          method: 'POST',
          path: '/v2/usg/acs/auth/appauth',
          body,
          signal,
          headers: {
            authorization: appIdAuthorization({ ...s, expireTime, nonce }),
            'x-token-type': 'LongTicket',
            'content-type': 'application/json; charset=UTF-8',
          },
        }),
      { idempotent: true },
    );
    if (response.status !== 200) {
      throw new AppError(ErrorCode.UPSTREAM_AUTH_FAILED, 'Meeting App ID authentication failed.', {
        upstream: http.detailOf(response),
      });
    }
    const json = http.parseJson(response) as { accessToken?: unknown; validPeriod?: unknown; expireTime?: unknown };
    if (typeof json.accessToken !== 'string' || json.accessToken.length === 0)
      throw upstreamMalformed('meeting', 'no accessToken');
    const lifetimeMs =
      typeof json.validPeriod === 'number' && json.validPeriod > 0
        ? json.validPeriod * 1000
        : typeof json.expireTime === 'number'
          ? json.expireTime * 1000 - Date.now()
          : NaN;
    if (!(lifetimeMs > 0)) throw upstreamMalformed('meeting', 'no token validity');
    return { token: json.accessToken, lifetimeMs };
  }

  /** A 4xx from Meeting after any token retry: what the caller sent was refused. */
  private rejection(response: UpstreamResponse): AppError {
    const upstream = this.channel!.http.detailOf(response);
    switch (response.status) {
      case 401:
        return new AppError(ErrorCode.UPSTREAM_AUTH_FAILED, 'Meeting rejected a freshly issued token.', { upstream });
      case 400:
        return new AppError(
          ErrorCode.UNPROCESSABLE,
          `Meeting refused the request: ${upstream.message ?? 'invalid parameters'}.`,
          {
            upstream,
          },
        );
      default:
        return new AppError(ErrorCode.UPSTREAM_REJECTED, `Meeting refused the request with HTTP ${response.status}.`, {
          upstream,
        });
    }
  }
}
