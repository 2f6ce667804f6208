import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { Fault, FaultInjector, FaultMode } from './fault-injector';

const FAULT_MODES: FaultMode[] = ['status', 'delay', 'hang', 'malformed', 'wrong-shape', 'failed-body'];

declare module 'fastify' {
  interface FastifyRequest {
    rawBody?: string;
  }
}

export interface FamilyServerOptions {
  name: string;
  injector: FaultInjector;
  /** The family's own error body for an injected HTTP status. */
  errorBody: (status: number, request: FastifyRequest) => unknown;
  /** Extra state reset by POST /__sandbox/reset (quotas, tokens). */
  onReset: () => void;
  /** Revokes every token issued so far (POST /__sandbox/revoke-tokens). */
  onRevokeTokens?: () => void;
}

/**
 * A Fastify server for one simulated family: keeps the raw body (signatures cover it),
 * and serves the admin routes that tests and benchmarks use to inject faults and read counters.
 */
export function createFamilyServer(options: FamilyServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 1024 * 1024 });
  // Replace Fastify's JSON parser: verifiers need the exact bytes that were signed.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(/^application\/json/, { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    if ((body as string).length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      // The real services answer 400 to unparsable JSON; handlers see `undefined`.
      done(null, Symbol.for('sandbox.invalid-json'));
    }
  });

  const { injector } = options;
  app.post<{ Body: Fault }>('/__sandbox/faults', async (request, reply) => {
    const fault = request.body;
    if (!fault || !FAULT_MODES.includes(fault.mode)) {
      return reply.status(400).send({ error: `mode must be ${FAULT_MODES.join('|')}` });
    }
    injector.inject({ ...fault, count: fault.count ?? 1, target: fault.target ?? 'business' });
    return { pending: injector.pending() };
  });
  app.get('/__sandbox/counters', async () => injector.counters);
  app.post<{ Body: { latencyMs?: number } }>('/__sandbox/latency', async (request) => {
    injector.latencyMs = Math.max(0, Number(request.body?.latencyMs ?? 0));
    return { latencyMs: injector.latencyMs };
  });
  app.post('/__sandbox/reset', async () => {
    injector.reset();
    options.onReset();
    return { reset: options.name };
  });
  app.post('/__sandbox/revoke-tokens', async (_request, reply) => {
    if (!options.onRevokeTokens) return reply.status(404).send({ error: 'this family issues no tokens' });
    options.onRevokeTokens();
    return { revoked: options.name };
  });
  return app;
}

export function isInvalidJson(body: unknown): boolean {
  return body === Symbol.for('sandbox.invalid-json');
}

/**
 * Wraps one simulated operation: counts it, tracks concurrency, applies the configured latency
 * and any pending fault, then runs the real handler.
 */
export async function simulate(
  options: FamilyServerOptions,
  kind: 'auth' | 'business',
  request: FastifyRequest,
  reply: FastifyReply,
  handler: () => Promise<unknown> | unknown,
  concurrencyLimit = Infinity,
): Promise<unknown> {
  const { injector } = options;
  const counters = injector.counters;
  const header = (name: string) =>
    typeof request.headers[name] === 'string' ? (request.headers[name] as string) : undefined;
  injector.seen.push({
    requestId: header('x-request-id'),
    acceptLanguage: header('accept-language'),
    traceparent: header('traceparent'),
    path: request.url,
  });
  if (injector.seen.length > 1000) injector.seen.shift();
  if (kind === 'auth') counters.authCalls += 1;
  else counters.businessCalls += 1;
  counters.inFlight += 1;
  counters.maxInFlight = Math.max(counters.maxInFlight, counters.inFlight);
  if (counters.inFlight > concurrencyLimit) counters.overConcurrencyLimit += 1;
  try {
    const fault = injector.next(kind);
    if (injector.latencyMs > 0) await sleep(injector.latencyMs);
    switch (fault.kind) {
      case 'status':
        return reply.status(fault.status).send(options.errorBody(fault.status, request));
      case 'hang':
        // Never answer; the connection is closed when the client gives up or the server stops.
        await new Promise<void>((resolve) => request.raw.socket.once('close', resolve));
        return reply;
      case 'malformed':
        return reply.status(200).header('content-type', 'application/json').send('{"truncated": [1, 2');
      case 'wrong-shape':
        return reply.status(200).send({});
      case 'failed-body':
        return reply.status(200).send(options.errorBody(500, request));
      case 'delay':
        await sleep(fault.delayMs);
        break;
      case 'none':
        break;
    }
    return await handler();
  } finally {
    counters.inFlight -= 1;
  }
}
