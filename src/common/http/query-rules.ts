import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, FieldError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-code';
import { sendProblem } from '../errors/problem.filter';

/**
 * Query-string rules no DTO can enforce, checked before any guard or pipe runs:
 * - bad percent-encoding anywhere in the query is a 400 (Fastify's parser keeps it raw);
 * - on every route of the OpenAPI document, a name the route does not declare is a 400, whatever
 *   it is: class-transformer would silently drop `__proto__`, `constructor` or `toString`, and a
 *   route without a query DTO never looks at its query at all;
 * - a declared name given more than once (the parser makes it an array) is a 400 saying so.
 * The names come from the generated document, i.e. from the same DTO metadata that documents
 * them, so what is accepted is exactly what is documented. Routes outside the document (the
 * Swagger UI assets) are not checked.
 */
export function registerQueryRules(fastify: FastifyInstance, declared: DeclaredQueryNames): void {
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const url = request.url;
    const start = url.indexOf('?');
    if (start === -1) return done();
    if (!isWellEncoded(url.slice(start + 1))) {
      return sendProblem(
        request,
        reply,
        new AppError(ErrorCode.BAD_REQUEST, 'The query string has invalid percent-encoding'),
      );
    }
    const names = namesOf(declared, request);
    if (!names) return done();
    const errors: FieldError[] = [];
    for (const [name, value] of Object.entries(request.query as Record<string, unknown>)) {
      if (!names.has(name)) errors.push({ field: name, message: 'is not a query parameter of this route' });
      else if (Array.isArray(value)) errors.push({ field: name, message: 'was given more than once' });
    }
    if (errors.length === 0) return done();
    sendProblem(
      request,
      reply,
      new AppError(ErrorCode.VALIDATION_FAILED, errors.map((e) => `${e.field}: ${e.message}`).join('; '), {
        errors,
      }),
    );
  });
}

/** `GET /v1/x/:id` -> the query parameter names its operation declares. */
export type DeclaredQueryNames = Map<string, Set<string>>;

/** The query parameter names of every operation of the OpenAPI document, by `METHOD /route/:param`. */
export function declaredQueryNames(document: OpenAPIObject): DeclaredQueryNames {
  const declared = new Map<string, Set<string>>();
  for (const [path, item] of Object.entries(document.paths)) {
    const url = path.replace(/\{([^}]+)\}/g, ':$1');
    for (const method of ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const) {
      const operation = item[method];
      if (!operation) continue;
      const names = new Set<string>();
      for (const parameter of operation.parameters ?? []) {
        if ('in' in parameter && parameter.in === 'query') names.add(parameter.name);
      }
      declared.set(`${method.toUpperCase()} ${url}`, names);
    }
  }
  return declared;
}

/** The query names the request's route declares; undefined for routes outside the document. */
export function namesOf(declared: DeclaredQueryNames, request: FastifyRequest): Set<string> | undefined {
  const method = request.routeOptions.method === 'HEAD' ? 'GET' : request.routeOptions.method;
  return declared.get(`${String(method)} ${request.routeOptions.url}`);
}

function isWellEncoded(query: string): boolean {
  if (!query.includes('%')) return true;
  try {
    decodeURIComponent(query);
    return true;
  } catch {
    return false;
  }
}
