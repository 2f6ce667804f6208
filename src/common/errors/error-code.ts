/** Every problem `code` the gateway can answer with. Stable: clients switch on these. */
export enum ErrorCode {
  BAD_REQUEST = 'BAD_REQUEST',
  VALIDATION_FAILED = 'VALIDATION_FAILED',
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  NOT_FOUND = 'NOT_FOUND',
  METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED',
  CONFLICT = 'CONFLICT',
  REQUEST_TIMEOUT = 'REQUEST_TIMEOUT',
  PAYLOAD_TOO_LARGE = 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE = 'UNSUPPORTED_MEDIA_TYPE',
  UNPROCESSABLE = 'UNPROCESSABLE',
  QUOTA_EXCEEDED = 'QUOTA_EXCEEDED',
  RATE_LIMITED = 'RATE_LIMITED',
  REQUEST_HEADER_FIELDS_TOO_LARGE = 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  UPSTREAM_REJECTED = 'UPSTREAM_REJECTED',
  UPSTREAM_AUTH_FAILED = 'UPSTREAM_AUTH_FAILED',
  UPSTREAM_UNAVAILABLE = 'UPSTREAM_UNAVAILABLE',
  UPSTREAM_TIMEOUT = 'UPSTREAM_TIMEOUT',
  SERVICE_UNAVAILABLE = 'SERVICE_UNAVAILABLE',
  INTERNAL = 'INTERNAL',
}

export interface ErrorShape {
  status: number;
  title: string;
}

/** The one place an error code becomes an HTTP status and title. Exhaustive by type. */
export const ERROR_SHAPES: Record<ErrorCode, ErrorShape> = {
  [ErrorCode.BAD_REQUEST]: { status: 400, title: 'Bad request' },
  [ErrorCode.VALIDATION_FAILED]: { status: 400, title: 'Validation failed' },
  [ErrorCode.UNAUTHENTICATED]: { status: 401, title: 'Unauthenticated' },
  [ErrorCode.FORBIDDEN]: { status: 403, title: 'Forbidden' },
  [ErrorCode.NOT_FOUND]: { status: 404, title: 'Not found' },
  [ErrorCode.METHOD_NOT_ALLOWED]: { status: 405, title: 'Method not allowed' },
  [ErrorCode.CONFLICT]: { status: 409, title: 'Conflict' },
  [ErrorCode.REQUEST_TIMEOUT]: { status: 408, title: 'Request timeout' },
  [ErrorCode.PAYLOAD_TOO_LARGE]: { status: 413, title: 'Payload too large' },
  [ErrorCode.UNSUPPORTED_MEDIA_TYPE]: { status: 415, title: 'Unsupported media type' },
  [ErrorCode.UNPROCESSABLE]: { status: 422, title: 'Unprocessable request' },
  [ErrorCode.QUOTA_EXCEEDED]: { status: 429, title: 'Quota exceeded' },
  [ErrorCode.RATE_LIMITED]: { status: 429, title: 'Too many requests' },
  [ErrorCode.REQUEST_HEADER_FIELDS_TOO_LARGE]: { status: 431, title: 'Request header fields too large' },
  [ErrorCode.UPSTREAM_REJECTED]: { status: 502, title: 'Upstream rejected the request' },
  [ErrorCode.UPSTREAM_AUTH_FAILED]: { status: 502, title: 'Upstream authentication failed' },
  [ErrorCode.UPSTREAM_UNAVAILABLE]: { status: 502, title: 'Upstream unavailable' },
  [ErrorCode.UPSTREAM_TIMEOUT]: { status: 504, title: 'Upstream timed out' },
  [ErrorCode.SERVICE_UNAVAILABLE]: { status: 503, title: 'Service unavailable' },
  [ErrorCode.INTERNAL]: { status: 500, title: 'Internal error' },
};

/** Codes for 4xx statuses produced outside our code (router, body parser). */
export function errorCodeForClientStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return ErrorCode.UNAUTHENTICATED;
    case 403:
      return ErrorCode.FORBIDDEN;
    case 404:
      return ErrorCode.NOT_FOUND;
    case 405:
      return ErrorCode.METHOD_NOT_ALLOWED;
    case 409:
      return ErrorCode.CONFLICT;
    case 408:
      return ErrorCode.REQUEST_TIMEOUT;
    case 413:
      return ErrorCode.PAYLOAD_TOO_LARGE;
    case 415:
      return ErrorCode.UNSUPPORTED_MEDIA_TYPE;
    case 429:
      return ErrorCode.RATE_LIMITED;
    case 431:
      return ErrorCode.REQUEST_HEADER_FIELDS_TOO_LARGE;
    default:
      return ErrorCode.BAD_REQUEST;
  }
}

export function problemType(code: ErrorCode): string {
  return `urn:comms-gateway:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}
