import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, FieldError, UpstreamDetail } from './app-error';
import { ERROR_SHAPES, ErrorCode, errorCodeForClientStatus, problemType } from './error-code';
import { pathOf } from '../http/route-methods';

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  requestId: string;
  errors?: FieldError[];
  upstream?: UpstreamDetail;
}

/** The RFC 9457 body of an AppError; `instance` is the request path without its query. */
export function problemBody(error: AppError, instance: string, requestId: string): ProblemBody {
  const shape = ERROR_SHAPES[error.code];
  const body: ProblemBody = {
    type: problemType(error.code),
    title: shape.title,
    status: error.options.status ?? shape.status,
    detail: error.detail,
    instance,
    code: error.code,
    requestId,
    ...(error.options.errors ? { errors: error.options.errors } : {}),
    ...(error.options.upstream ? { upstream: error.options.upstream } : {}),
  };
  // Extension members after the standard ones, never replacing one.
  for (const [name, value] of Object.entries(error.options.extensions ?? {})) {
    if (!(name in body)) (body as unknown as Record<string, unknown>)[name] = value;
  }
  return body;
}

function isV1(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/');
}

/** Writes an AppError as problem+json; also used by Fastify hooks that run outside Nest. */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, error: AppError): void {
  const path = pathOf(request.url);
  const body = problemBody(error, path, request.id);
  // Set here too, not only by the onRequest hook: router-level failures (frameworkErrors, e.g.
  // bad percent-encoding in the path) are answered before any hook runs. A problem is never cached.
  reply.header('x-content-type-options', 'nosniff');
  if (isV1(path)) reply.header('cache-control', 'no-store');
  if (error.options.retryAfterSeconds !== undefined) {
    reply.header('retry-after', String(Math.max(1, Math.ceil(error.options.retryAfterSeconds))));
  }
  for (const [name, value] of Object.entries(error.options.headers ?? {})) reply.header(name, value);
  reply
    .status(body.status)
    .header('x-request-id', request.id)
    .header('content-type', 'application/problem+json; charset=utf-8')
    .send(body);
}

/**
 * Renders every error the application can produce as RFC 9457 application/problem+json.
 * Internals (stack, messages of unexpected errors) go to the log, never to the client.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const error = toAppError(exception);
    const status = error.options.status ?? ERROR_SHAPES[error.code].status;
    if (status >= 500) {
      const log = { err: exception, code: error.code, requestId: request.id, upstream: error.options.upstream };
      if (error.code === ErrorCode.INTERNAL) this.logger.error(log, 'unexpected error');
      else this.logger.warn(log, error.detail);
    }
    sendProblem(request, reply, error);
  }
}

/** Any thrown value as the AppError the client sees (unexpected ones: INTERNAL, without internals). */
export function toAppError(exception: unknown): AppError {
  if (exception instanceof AppError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status >= 400 && status < 500) {
      return new AppError(errorCodeForClientStatus(status), clientDetail(exception, status), { status });
    }
  }
  // Errors raised by Fastify itself (body parser, router) carry a 4xx statusCode.
  const statusCode = (exception as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const message = exception instanceof Error ? exception.message : 'Bad request';
    return new AppError(errorCodeForClientStatus(statusCode), message, { status: statusCode });
  }
  return new AppError(ErrorCode.INTERNAL, 'An unexpected error occurred; quote the requestId when reporting it.', {
    cause: exception,
  });
}

function clientDetail(exception: HttpException, status: number): string {
  // Fastify's own 415 says only "Unsupported Media Type"; say what is supported.
  if (status === 415) return 'Request bodies must be application/json';
  const response = exception.getResponse();
  const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  if (typeof message === 'string' && message) return message;
  if (Array.isArray(message)) return message.join('; ');
  return ERROR_SHAPES[errorCodeForClientStatus(status)].title;
}
