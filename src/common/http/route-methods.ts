import type { FastifyInstance, HTTPMethods } from 'fastify';

/** The methods Fastify serves on a concrete path (`/v1/meeting/terminals/123/status`). */
export type RouteMethods = (path: string) => string[];

/**
 * Records every method of Fastify's route table (HEAD included, which Fastify adds for every
 * GET) and answers which of them a path is served with, matched by Fastify's own router,
 * parameters included. Register before the routes: the onRoute hook only sees later routes.
 */
export function trackRouteMethods(fastify: FastifyInstance): RouteMethods {
  const methods = new Set<string>();
  fastify.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method)) methods.add(method.toUpperCase());
  });
  return (path) =>
    [...methods].filter((method) => fastify.findRoute({ method: method as HTTPMethods, url: path }) !== null).sort();
}

/** The path of a request target without its query: origin-form as is, absolute-form reduced to its path. */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  if (url.startsWith('/') && !url.startsWith('//')) {
    const end = url.search(/[?#]/);
    return end === -1 ? url : url.slice(0, end);
  }
  // Absolute-form (`GET http://user:pass@host/x?y HTTP/1.1`) or garbage: never echo the authority.
  try {
    return new URL(url, 'http://invalid').pathname;
  } catch {
    return '/';
  }
}
