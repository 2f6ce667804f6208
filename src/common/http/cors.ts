import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pathOf, RouteMethods } from './route-methods';

/** Request headers the API reads, offered to browsers in every preflight answer. */
const ALLOWED_HEADERS = [
  'X-API-Key',
  'Content-Type',
  'X-Request-Id',
  'Idempotency-Key',
  'If-None-Match',
  'Cache-Control',
  'Last-Event-ID',
  'traceparent',
].join(', ');

/** Response headers a browser script may read. */
const EXPOSED_HEADERS = [
  'X-Request-Id',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'Retry-After',
  'ETag',
  'Age',
  'Cache-Status',
].join(', ');

/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * CORS for an allow-list of exact origins (`CORS_ORIGINS`). A preflight (OPTIONS with Origin
 * and Access-Control-Request-Method) from an allowed origin to a known path is answered 204
 * with the path's own methods, before the 405 rule, authentication and everything else; other
 * requests from an allowed origin get Access-Control-Allow-Origin and the exposed headers. Any
 * other origin gets no Access-Control-* header (its OPTIONS stays a 405). With no origin
 * configured nothing is registered.
 */
export function registerCors(fastify: FastifyInstance, origins: readonly string[], routeMethods: RouteMethods): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    // Answers differ by Origin, so caches must key on it.
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || !allowed.has(origin)) return done();
    reply.header('access-control-allow-origin', origin);
    const requestedMethod = request.headers['access-control-request-method'];
    if (request.method === 'OPTIONS' && typeof requestedMethod === 'string') {
      const methods = routeMethods(pathOf(request.url));
      if (methods.length === 0) return done(); // unknown path: 404 as for anyone
      reply
        .status(204)
        .header('access-control-allow-methods', methods.join(', '))
        .header('access-control-allow-headers', ALLOWED_HEADERS)
        .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_S))
        .send();
      return;
    }
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    done();
  });
}
