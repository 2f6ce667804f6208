import { AppError, UpstreamDetail } from '../../common/errors/app-error';
import { ErrorCode } from '../../common/errors/error-code';
import { upstreamBodyFailure } from '../../upstream/upstream-failure';
import type { AiccEnvelope } from './cc-management.schemas';

/**
 * Body-level outcomes of CC-Management's retCodes, checked inside the resilience boundary.
 * Outcomes caused by the request are AppErrors; the rest are upstream failures that count
 * toward the circuit breaker.
 */
function upstreamOf(envelope: AiccEnvelope): UpstreamDetail {
  return { service: 'cc-management', status: 200, code: envelope.retCode, message: envelope.retMsg };
}

/** queryPhone: 0 ok, 2 no mobile agents (an empty list: returns false), 4 paging rejected (400). */
export function phoneOutcome(envelope: AiccEnvelope): boolean {
  if (envelope.retCode === '0') return true;
  if (envelope.retCode === '2') return false;
  if (envelope.retCode === '4') {
    throw new AppError(ErrorCode.BAD_REQUEST, 'CC-Management rejected the paging parameters.', {
      upstream: upstreamOf(envelope),
    });
  }
  throw upstreamBodyFailure(`CC-Management queryPhone failed (retCode ${envelope.retCode}).`, upstreamOf(envelope));
}

/**
 * queryCallState: 0 ok, 3 malformed call SN (400), 1 "query failed" (404: the upstream has no
 * other code for a call it does not know, and a well-formed SN is what the gateway sends).
 */
export function callOutcome(envelope: AiccEnvelope, callId: string): void {
  if (envelope.retCode === '0') return;
  if (envelope.retCode === '3') {
    throw new AppError(ErrorCode.BAD_REQUEST, 'CC-Management says the call serial number is malformed.', {
      upstream: upstreamOf(envelope),
    });
  }
  if (envelope.retCode === '1') {
    throw new AppError(ErrorCode.NOT_FOUND, `CC-Management knows no call ${callId}.`, {
      upstream: upstreamOf(envelope),
    });
  }
  throw upstreamBodyFailure(
    `CC-Management could not query the call (retCode ${envelope.retCode}).`,
    upstreamOf(envelope),
  );
}
