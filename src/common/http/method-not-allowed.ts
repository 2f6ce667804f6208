import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { sendProblem } from '../errors/problem.filter';
import { pathOf, RouteMethods } from './route-methods';

/**
 * A known path asked with a method it does not serve is a 405 with `Allow`, not a 404. The
 * methods come from Fastify's own route table (trackRouteMethods), so HEAD is listed for GET
 * routes and parameters match as the router matches them.
 */
export function registerMethodNotAllowed(fastify: FastifyInstance, routeMethods: RouteMethods): void {
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (!request.is404) return done();
    const allow = routeMethods(pathOf(request.url));
    // Unknown path, or a route that matched and then called the not-found handler itself
    // (e.g. an empty parameter).
    if (allow.length === 0 || allow.includes(request.method)) return done();
    sendProblem(
      request,
      reply,
      new AppError(ErrorCode.METHOD_NOT_ALLOWED, `${request.method} is not allowed here; use ${allow.join(', ')}`, {
        headers: { allow: allow.join(', ') },
      }),
    );
  });
}
