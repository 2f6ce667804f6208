import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { TokenManager, TokenRejected, TokenSource } from '../../upstream/token-manager';
import { UpstreamChannel, UpstreamClientFactory } from '../../upstream/upstream-client.factory';
import { errorFields } from '../../upstream/upstream-http.client';
import { CC_MANAGEMENT_SETTINGS, CcManagementSettings } from './cc-management.config';
import { callOutcome, phoneOutcome } from './cc-management.outcomes';
import { aiccEnvelope, AiccEnvelope, CallResult, callResult, PhoneResult, phoneResult } from './cc-management.schemas';
import type { RequestScope } from '../../common/request-context';

/** Token lifetime we ask tokenByAkSk for (the documented maximum). */
const TOKEN_EXPIRE_S = 3600;

const tokenResponse = z.object({
  AccessToken: z.string().min(1),
  // Expires is the lifetime in seconds, sent as a string.
  Expires: z.union([z.number(), z.string().regex(/^\d+$/).transform(Number)]).refine((n) => n > 0, 'no Expires'),
});

/**
 * The only code that knows CC-Management's wire format: tokenByAkSk, queryPhone (V2) and
 * queryCallState. Status, retCode and result are checked and parsed inside the resilience
 * boundary; the mapper turns the parsed result into the API model.
 */
@Injectable()
export class CcManagementClient {
  private readonly channel: UpstreamChannel;
  private readonly tokenSource: TokenSource;

  constructor(
    @Inject(CC_MANAGEMENT_SETTINGS) private readonly settings: CcManagementSettings,
    factory: UpstreamClientFactory,
    private readonly tokens: TokenManager,
  ) {
    this.channel = factory.create('cc-management', settings, errorFields('retCode', 'retMsg'));
    this.tokenSource = {
      service: 'cc-management',
      identity: `${settings.baseUrl}|${settings.ak}`,
      fetch: (scope) => this.fetchToken(scope),
    };
  }

  /** One page of softphones; undefined when the upstream has no mobile agents (retCode 2). */
  queryPhone(limit: number, offset: number, scope?: RequestScope): Promise<PhoneResult | undefined> {
    // The upstream takes limit and offset as strings.
    const payload = { limit: String(limit), offset: String(offset) };
    return this.call(
      'queryPhone',
      '/apiaccess/CC-Management/v2/mobileAgent/queryPhone',
      payload,
      (envelope) =>
        phoneOutcome(envelope) ? this.channel.http.parse(envelope.result ?? null, phoneResult) : undefined,
      scope,
    );
  }

  queryCallState(callSerialNo: string, scope?: RequestScope): Promise<CallResult> {
    return this.call(
      'queryCallState',
      '/apiaccess/CC-Management/v1/mobileAgent/queryCallState',
      { callSerialNo },
      (envelope) => {
        callOutcome(envelope, callSerialNo);
        return this.channel.http.parse(envelope.result ?? null, callResult);
      },
      scope,
    );
  }

  private call<T>(
    operation: string,
    path: string,
    payload: object,
    read: (envelope: AiccEnvelope) => T,
    scope: RequestScope | undefined,
  ): Promise<T> {
    const { http, resilience } = this.channel;
    const body = JSON.stringify(payload);
    return this.tokens.withToken(
      this.tokenSource,
      (token) =>
        resilience.execute(
          async (signal) => {
            const response = await http.request({
              operation,
              method: 'POST',
              path,
              body,
              signal,
              scope,
              headers: { authorization: `Bearer ${token}`, 'x-app-key': this.settings.appKey },
            });
            if (response.status === 401) throw new TokenRejected('cc-management', http.detailOf(response));
            if (response.status >= 400) {
              throw new AppError(
                ErrorCode.UPSTREAM_REJECTED,
                `CC-Management refused the request with HTTP ${response.status}.`,
                { upstream: http.detailOf(response) },
              );
            }
            return read(http.read(response, aiccEnvelope));
          },
          { idempotent: true },
        ),
      scope,
    );
  }

  private async fetchToken(scope: RequestScope | undefined) {
    const { http, resilience } = this.channel;
    const { ak, sk } = this.settings;
    const json = await resilience.execute(
      async (signal) => {
        const response = await http.request({
          operation: 'tokenByAkSk',
          method: 'POST',
          path: '/apigovernance/api/oauth/tokenByAkSk',
          body: JSON.stringify({ app_key: ak, app_secret: sk }),
          signal,
          scope,
          headers: { 'x-token-expire': String(TOKEN_EXPIRE_S), 'content-type': 'application/json' },
        });
        if (response.status !== 200) {
          throw new AppError(ErrorCode.UPSTREAM_AUTH_FAILED, 'CC-Management tokenByAkSk failed.', {
            upstream: http.detailOf(response),
          });
        }
        return http.read(response, tokenResponse);
      },
      { idempotent: true },
    );
    return { token: json.AccessToken, lifetimeMs: json.Expires * 1000 };
  }
}
