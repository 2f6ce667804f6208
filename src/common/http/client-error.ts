import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { problemBody } from '../errors/problem.filter';
import { pathOf } from './route-methods';

/** What Node passes to 'clientError': llhttp errors carry `code`, `reason` and `rawPacket`. */
type ParserError = Error & { code?: string; reason?: unknown; rawPacket?: unknown };

export interface ClientErrorInfo {
  requestId: string;
  status: number;
  code: string;
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser rejects before any route runs
 * (oversized or invalid headers, a malformed request line, a client too slow to send its
 * request) is answered as problem+json with a new request id, like every other error.
 */
export function createClientErrorHandler(onError?: (info: ClientErrorInfo) => void) {
  return (err: ParserError, socket: Socket): void => {
    // The peer is gone: nothing to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    // A response already started on this connection must not be corrupted (Node does the same).
    const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean; req?: { url?: string } } | null })
      ._httpMessage;
    if (socket.writable && !inFlight?.headersSent) {
      const requestId = randomUUID();
      // A request whose headers arrived (its body did not, in time) has its path parsed already.
      const path = inFlight?.req?.url !== undefined ? pathOf(inFlight.req.url) : requestPath(err.rawPacket);
      const body = JSON.stringify(problemBody(toAppError(err), path, requestId));
      const status = statusOf(err);
      socket.write(
        `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
          'Content-Type: application/problem+json; charset=utf-8\r\n' +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Request-Id: ${requestId}\r\n` +
          'X-Content-Type-Options: nosniff\r\n' +
          (path === '/v1' || path.startsWith('/v1/') ? 'Cache-Control: no-store\r\n' : '') +
          'Connection: close\r\n\r\n' +
          body,
      );
      onError?.({ requestId, status, code: err.code ?? 'unknown' });
    }
    socket.destroy();
  };
}

function statusOf(err: ParserError): number {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    default:
      return 400;
  }
}

function toAppError(err: ParserError): AppError {
  switch (statusOf(err)) {
    case 408:
      return new AppError(ErrorCode.REQUEST_TIMEOUT, 'The request was not received in time');
    case 431:
      return new AppError(ErrorCode.REQUEST_HEADER_FIELDS_TOO_LARGE, 'The request headers are too large');
    case 413:
      return new AppError(ErrorCode.PAYLOAD_TOO_LARGE, 'The chunk extensions are too large');
    default:
      // llhttp's reason ("Invalid header value char", ...) names the problem without internals.
      return new AppError(
        ErrorCode.BAD_REQUEST,
        typeof err.reason === 'string'
          ? `The request is not valid HTTP: ${err.reason}`
          : 'The request is not valid HTTP',
      );
  }
}

/** The path of the request line when the parser got that far and it is printable; else `/`. */
function requestPath(rawPacket: unknown): string {
  if (!Buffer.isBuffer(rawPacket)) return '/';
  const line = rawPacket.subarray(0, 2048).toString('latin1').split('\r\n', 1)[0]!;
  const match = /^[A-Z]+ (\/[\x21-\x7e]*?)(?:\?[\x21-\x7e]*)? HTTP\/1\.[01]$/.exec(line);
  return match ? match[1]! : '/';
}
