import type { EndReasonDto } from './cc-management.dto';

/** queryCallState reasonCode 0-6 (the call-end table). */
const CALL_END: Record<number, Omit<EndReasonDto, 'code'>> = {
  0: { category: 'callee_hung_up', description: 'The called party hung up.' },
  1: { category: 'caller_hung_up', description: 'The calling party hung up.' },
  2: { category: 'caller_unreachable', description: 'The outbound call to the calling party failed.' },
  3: { category: 'callee_unreachable', description: 'The called party could not be reached.' },
  4: { category: 'caller_no_answer', description: 'The calling party did not answer.' },
  5: { category: 'callee_no_answer', description: 'The called party did not answer.' },
  6: { category: 'call_failed', description: 'The call could not be initiated.' },
};

/** Reason codes of ITA two-way calls (the page's Table 4) for codes beyond the call-end table. */
const ITA: Record<number, string> = {
  7: 'A channel has been created.',
  8: 'Preemption.',
  9: 'Preemption reservation.',
  16: 'Normal call clearance.',
  17: 'The user is busy.',
  18: 'No answer.',
  19: 'No user answers the call.',
  20: 'The user is unreachable.',
  21: 'Call rejected.',
  22: 'The number has been changed.',
  23: 'Redirection.',
  25: 'The switching route is incorrect.',
  26: 'No user permission.',
  27: 'The target is disordered.',
  28: 'Invalid number format.',
  29: 'Rejected by the device.',
  30: 'Status query.',
  31: 'Normal.',
  34: 'Unreachable route.',
  38: 'Poor network quality.',
  39: 'Service out of connection.',
  40: 'Connecting.',
  41: 'Temporarily failed.',
  42: 'The device is congested.',
  43: 'Discarded information.',
  44: 'The channel cannot be accessed.',
  46: 'Call blocked.',
  47: 'No available resource.',
  49: 'Invalid quality.',
  50: 'The device is not reserved.',
  53: 'Outbound calls barred within the CUG.',
  55: 'Inbound calls barred within the CUG.',
  57: 'No permission for transmission.',
  58: 'Invalid transmission.',
  62: 'The levels are inconsistent.',
  63: 'Invalid service.',
  65: 'Transmission cannot be performed.',
  66: 'The channel cannot be implemented.',
  69: 'Invalid device.',
  70: 'Valid transmission.',
  79: 'The CV service is not configured.',
  81: 'An invalid value is referenced.',
  82: 'The channel does not exist.',
  83: 'The ID does not exist.',
  84: 'The call ID does not exist.',
  85: 'No call is suspended.',
  86: 'Anonymous call.',
  87: 'The CUG has no member.',
  88: 'Incompatible destination.',
  90: 'The CUG does not exist.',
  91: 'Invalid network.',
  95: 'Invalid information.',
  96: 'Not hosting element.',
  97: 'Type not found.',
  98: 'The information is not implemented.',
  99: 'The information element does not exist.',
  100: 'Invalid information element.',
  101: 'Inconsistent call status.',
  102: 'The timer times out.',
  103: 'The parameter does not exist.',
  110: 'The message contains unidentified parameters.',
  111: 'Protocol error.',
  127: 'Unspecified interaction.',
};

/**
 * Codes 0-6 come from the call-end table; the ITA table's codes 1-6 overlap them, so ITA
 * descriptions are used only for codes outside 0-6. Everything else is "other".
 */
export function endReason(code: number): EndReasonDto {
  const known = CALL_END[code];
  if (known) return { code, ...known };
  return { code, category: 'other', description: ITA[code] ?? 'Another exception ended the call.' };
}
