import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { pathOf } from './route-methods';

/**
 * Swagger UI loads its scripts, styles and images from its own origin (one inline style block)
 * and calls only this origin; it may not be framed by anyone.
 */
const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Headers every response carries, set first thing so that answers from later hooks, guards
 * and the problem filter keep them:
 * - `X-Content-Type-Options: nosniff` everywhere;
 * - `/v1`: `Cache-Control: no-store` as the default. A route that may be cached sets its own
 *   value on the reply (reply.header replaces this one); responses with credentials must not;
 * - `/docs` (Swagger UI): a Content-Security-Policy and no framing.
 */
export function registerSecurityHeaders(fastify: FastifyInstance, docsPrefix: string): void {
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-content-type-options', 'nosniff');
    const path = pathOf(request.url);
    if (path === '/v1' || path.startsWith('/v1/')) {
      reply.header('cache-control', 'no-store');
    } else if (path === docsPrefix || path.startsWith(`${docsPrefix}/`)) {
      reply.header('content-security-policy', DOCS_CSP).header('x-frame-options', 'DENY');
    }
    done();
  });
}
