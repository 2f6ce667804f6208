import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { sendProblem } from '../errors/problem.filter';

/**
 * A known path asked with a method it does not serve is a 405 with `Allow`, not a 404. The
 * methods come from Fastify's own route table (so HEAD, which Fastify adds for every GET, is
 * listed), and the path is matched by Fastify's router, parameters included. Register before
 * the routes: the onRoute hook only sees routes added after it.
 */
export function registerMethodNotAllowed(fastify: FastifyInstance): void {
  const methods = new Set<string>();
  fastify.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method)) methods.add(method.toUpperCase());
  });
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (!request.is404) return done();
    const url = request.url.split('?')[0]!;
    // A route that matched and then called the not-found handler itself (e.g. an empty parameter).
    if (isServed(request.method, url)) return done();
    const allow = [...methods].filter((method) => isServed(method, url)).sort();
    if (allow.length === 0) return done();
    sendProblem(
      request,
      reply,
      new AppError(ErrorCode.METHOD_NOT_ALLOWED, `${request.method} is not allowed here; use ${allow.join(', ')}`, {
        headers: { allow: allow.join(', ') },
      }),
    );
  });

  function isServed(method: string, url: string): boolean {
    return fastify.findRoute({ method: method as HTTPMethods, url }) !== null;
  }
}
