import { AppError, AppErrorOptions, UpstreamDetail, UpstreamService } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';

/**
 * An upstream call that failed for reasons of the upstream (5xx, connection, deadline, garbage,
 * a body-level failure code under HTTP 200). `retryable` marks failures a read may safely be
 * retried on; every one of them counts against the upstream's circuit breaker. Outcomes caused
 * by the client's input (not found, bad parameter) are plain AppErrors and never count.
 */
export class UpstreamFailure extends AppError {
  constructor(
    code: ErrorCode.UPSTREAM_UNAVAILABLE | ErrorCode.UPSTREAM_TIMEOUT | ErrorCode.UPSTREAM_REJECTED,
    detail: string,
    readonly retryable: boolean,
    options: AppErrorOptions & { upstream: UpstreamDetail },
  ) {
    super(code, detail, options);
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
