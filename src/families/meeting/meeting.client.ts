import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { TokenManager, TokenRejected, TokenSource } from '../../upstream/token-manager';
import { UpstreamChannel, UpstreamClientFactory } from '../../upstream/upstream-client.factory';
import { UpstreamFailure } from '../../upstream/upstream-failure';
import { errorFields, UpstreamResponse } from '../../upstream/upstream-http.client';
import { appIdAuthorization, appIdNonce } from './app-id-signer';
import { MEETING_SETTINGS, MeetingSettings } from './meeting.config';
import { appAuthResponse, RawUserStatus, userStatusResponse } from './meeting.schemas';
import type { RequestScope } from '../../common/request-context';

const SIGNATURE_VALIDITY_S = 600;

/** Meeting error codes that mean "no such user/device" (public code maps USG.201040000 to 404). */
const NOT_FOUND_CODES = new Set(['USG.201040000', 'USG.201050001']);
/** Meeting's own "5 resets per 24 h reached" (observed from the sandbox; undocumented upstream). */
const MEETING_ACTIVATION_LIMIT_CODE = 'USG.201050002';

/**
 * What a failed activation-code reset did at Meeting: surely nothing (never sent, or refused
 * with a 4xx), nothing because Meeting's own limit for the SN is reached, or unknown (sent, then
 * a timeout, a lost connection or a 5xx).
 */
export type ResetVerdict = 'not-applied' | 'limit-reached' | 'unknown';

/** A failed reset: the error to answer with and what Meeting surely did (or not). */
export class ActivationResetFailed extends Error {
  override name = 'ActivationResetFailed';
  constructor(
    readonly error: unknown,
    readonly verdict: ResetVerdict,
  ) {
    super('activation-code reset failed', { cause: error });
  }
}

/** Watches the activecode attempts of one reset (one, or two after a rejected token). */
interface DispatchTracker {
  /** Attempts that were (or may have been) sent and not surely refused. */
  pending: number;
}

/**
 * The only code that knows Meeting's wire format: App ID authentication, userstatus and
 * activecode. Each call sends, checks and parses inside the resilience boundary and returns the
 * parsed raw data; MeetingMapper turns it into the API model.
 */
@Injectable()
export class MeetingClient {
  private readonly channel: UpstreamChannel;
  private readonly tokenSource: TokenSource;

  constructor(
    @Inject(MEETING_SETTINGS) private readonly settings: MeetingSettings,
    factory: UpstreamClientFactory,
    private readonly tokens: TokenManager,
  ) {
    this.channel = factory.create('meeting', settings, errorFields('error_code', 'error_msg'));
    this.tokenSource = {
      service: 'meeting',
      identity: `${settings.baseUrl}|${settings.appId}|${settings.userId ?? ''}|${settings.corpId ?? ''}`,
      fetch: (scope) => this.authenticate(scope),
    };
  }

  /** POST /v1/usg/acs/ap/userstatus with a bare array of numbers; answers a bare array. */
  queryUserStatus(numbers: string[], scope?: RequestScope): Promise<RawUserStatus[]> {
    return this.authorized(
      'userstatus',
      '/v1/usg/acs/ap/userstatus',
      JSON.stringify(numbers),
      true,
      (response) => this.channel.http.read(response, userStatusResponse),
      scope,
    );
  }

  /**
   * POST /v1/usg/dcs/corp/device/{sn}/activecode. Not idempotent: never retried. Fails with
   * ActivationResetFailed, which says whether Meeting surely did not apply the reset.
   */
  async resetActivationCode(
    sn: string,
    body: { country?: string; emailAddr?: string; smsNumber?: string },
    scope?: RequestScope,
  ): Promise<void> {
    const tracker: DispatchTracker = { pending: 0 };
    try {
      await this.authorized(
        'activecode',
        `/v1/usg/dcs/corp/device/${encodeURIComponent(sn)}/activecode`,
        JSON.stringify(body),
        false,
        () => undefined,
        scope,
        tracker,
      );
    } catch (err) {
      const limit = err instanceof AppError && err.options.upstream?.code === MEETING_ACTIVATION_LIMIT_CODE;
      // Nothing sent (token fetch failed, circuit open, no connection), or every attempt refused.
      throw new ActivationResetFailed(err, limit ? 'limit-reached' : tracker.pending > 0 ? 'unknown' : 'not-applied');
    }
  }

  private authorized<T>(
    operation: string,
    path: string,
    body: string,
    idempotent: boolean,
    read: (response: UpstreamResponse) => T,
    scope: RequestScope | undefined,
    tracker?: DispatchTracker,
  ): Promise<T> {
    const { http, resilience } = this.channel;
    return this.tokens.withToken(
      this.tokenSource,
      (token) =>
        resilience.execute(
          async (signal) => {
            // Counted before sending: when the deadline fires the outcome is unknown.
            if (tracker) tracker.pending += 1;
            let response: UpstreamResponse;
            try {
              response = await http.request({
                operation,
                method: 'POST',
                path,
                body,
                signal,
                scope,
                headers: { 'x-access-token': token },
              });
            } catch (err) {
              if (tracker && err instanceof UpstreamFailure && err.notSent) tracker.pending -= 1;
              throw err;
            }
            // A 4xx (a rejected token included): Meeting refused it, nothing happened.
            if (tracker && response.status >= 400 && response.status < 500) tracker.pending -= 1;
            if (response.status === 401) throw new TokenRejected('meeting', http.detailOf(response));
            if (response.status >= 400) throw this.rejection(response);
            return read(response);
          },
          { idempotent },
        ),
      scope,
    );
  }

  private async authenticate(scope: RequestScope | undefined) {
    const { http, resilience } = this.channel;
    const s = this.settings;
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
    const json = await resilience.execute(
      async (signal) => {
        const response = await http.request({
          operation: 'appauth',
          method: 'POST',
          path: '/v2/usg/acs/auth/appauth',
          body,
          signal,
          scope,
          headers: {
            authorization: appIdAuthorization({ ...s, expireTime, nonce }),
            'x-token-type': 'LongTicket',
            'content-type': 'application/json; charset=UTF-8',
          },
        });
        if (response.status !== 200) {
          throw new AppError(ErrorCode.UPSTREAM_AUTH_FAILED, 'Meeting App ID authentication failed.', {
            upstream: http.detailOf(response),
          });
        }
        return http.read(response, appAuthResponse);
      },
      { idempotent: true },
    );
    const lifetimeMs = json.validPeriod ? json.validPeriod * 1000 : json.expireTime! * 1000 - Date.now();
    return { token: json.accessToken, lifetimeMs };
  }

  /** A 4xx from Meeting other than a token refusal: what the caller sent was refused. */
  private rejection(response: UpstreamResponse): AppError {
    const upstream = this.channel.http.detailOf(response);
    if (response.status === 404 || NOT_FOUND_CODES.has(upstream.code ?? '')) {
      return new AppError(ErrorCode.NOT_FOUND, `Meeting does not know it: ${upstream.message ?? 'not found'}.`, {
        upstream,
      });
    }
    if (upstream.code === MEETING_ACTIVATION_LIMIT_CODE) {
      return new AppError(ErrorCode.QUOTA_EXCEEDED, 'Meeting says the device reached its activation-code limit.', {
        upstream,
      });
    }
    if (response.status === 400) {
      return new AppError(
        ErrorCode.UNPROCESSABLE,
        `Meeting refused the request: ${upstream.message ?? 'invalid parameters'}.`,
        { upstream },
      );
    }
    return new AppError(ErrorCode.UPSTREAM_REJECTED, `Meeting refused the request with HTTP ${response.status}.`, {
      upstream,
    });
  }
}
