import { AppError, AppErrorOptions, UpstreamDetail, UpstreamService } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';

/**
 * An upstream call that failed for reasons of the upstream (5xx, connection, deadline, garbage,
 * a body-level failure code under HTTP 200). `retryable` marks failures a read may safely be
 * retried on; every one of them counts against the upstream's circuit breaker. Outcomes caused
 * by the client's input (not found, bad parameter) are plain AppErrors and never count.
 */
export class UpstreamFailure extends AppError {
  /**
   * The request surely never reached the upstream (no connection could be made), so it had no
   * effect there. False means "may have": sent, then timed out, reset or answered 5xx.
   */
  readonly notSent: boolean;

  constructor(
    code: ErrorCode.UPSTREAM_UNAVAILABLE | ErrorCode.UPSTREAM_TIMEOUT | ErrorCode.UPSTREAM_REJECTED,
    detail: string,
    readonly retryable: boolean,
    options: AppErrorOptions & { upstream: UpstreamDetail; notSent?: boolean },
  ) {
    super(code, detail, options);
    this.notSent = options.notSent ?? false;
  }
}

export function upstreamUnavailable(
  service: UpstreamService,
  detail: string,
  retryable: boolean,
  upstream?: Partial<UpstreamDetail>,
  cause?: unknown,
) {
  return new UpstreamFailure(ErrorCode.UPSTREAM_UNAVAILABLE, detail, retryable, {
    upstream: { service, ...upstream },
    cause,
  });
}

/** No connection to the upstream could be made: nothing was sent (retryable, counts for the breaker). */
export function upstreamUnreachable(service: UpstreamService, detail: string, cause: unknown) {
  return new UpstreamFailure(ErrorCode.UPSTREAM_UNAVAILABLE, detail, true, {
    upstream: { service },
    cause,
    notSent: true,
  });
}

export function upstreamTimeout(service: UpstreamService, timeoutMs: number, cause?: unknown) {
  return new UpstreamFailure(
    ErrorCode.UPSTREAM_TIMEOUT,
    `The ${service} upstream did not answer within ${timeoutMs} ms.`,
    false,
    {
      upstream: { service },
      cause,
    },
  );
}

/** The upstream answered but its body is not what its contract promises. */
export function upstreamMalformed(service: UpstreamService, what: string) {
  return upstreamUnavailable(service, `The ${service} upstream returned a malformed response (${what}).`, false);
}

/** The upstream answered with a body-level failure code (AICC retCode, CC-CMS resultCode). */
export function upstreamBodyFailure(detail: string, upstream: UpstreamDetail) {
  return new UpstreamFailure(ErrorCode.UPSTREAM_REJECTED, detail, false, { upstream });
}
