import { NestFactory } from '@nestjs/core';
import type { Span } from '@opentelemetry/api';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyHttpOptions, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, Server } from 'node:http';
import { AppModule } from './app.module';
import { AuthFailures } from './auth/auth-failures.service';
import { registerMetricsToken } from './auth/metrics-token';
import type { AuthenticatedRequest } from './auth/principal';
import { AppError } from './common/errors/app-error';
import { ErrorCode } from './common/errors/error-code';
import { ProblemFilter, sendProblem } from './common/errors/problem.filter';
import { createClientErrorHandler } from './common/http/client-error';
import { registerCors } from './common/http/cors';
import { registerJsonBodyParser } from './common/http/json-body';
import { registerMethodNotAllowed } from './common/http/method-not-allowed';
import { declaredQueryNames, DeclaredQueryNames, namesOf, registerQueryRules } from './common/http/query-rules';
import { pathOf, trackRouteMethods } from './common/http/route-methods';
import { registerSecurityHeaders } from './common/http/security-headers';
import { createLoggers, PinoNestLogger } from './common/logging';
import { parseAcceptLanguage } from './common/request-context';
import { requestIdOf } from './common/request-id';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/app-config';
import { buildOpenApiDocument, setupDocs } from './docs';
import { GracefulShutdown } from './lifecycle/graceful-shutdown';
import { MetricsService } from './metrics/metrics.service';
import { Tracing } from './tracing/tracing';
import { registerStatusReadHeaders, wantsCacheBypass } from './status-cache/status-read.interceptor';

const BODY_LIMIT_BYTES = 64 * 1024;
/** Idle time allowed between two requests on a kept-alive connection. */
const KEEP_ALIVE_TIMEOUT_MS = 5000;
/** Longest path written to the access log. */
const MAX_LOGGED_PATH = 512;

/** Builds the fully configured application without listening (main, tests and scripts share it). */
export interface CreateAppOptions {
  /** Where JSON log lines go; stdout when absent. */
  logStream?: NodeJS.WritableStream;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span (ended with the response). */
    span?: Span;
  }
}

export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const loggers = createLoggers(config, options.logStream);
  const fastifyOptions: FastifyHttpOptions<Server> = {
    genReqId: (req: IncomingMessage) => requestIdOf(req),
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // Client timeouts: headers and body within CLIENT_TIMEOUT_MS (Node answers a late request
    // through clientErrorHandler: 408 problem, connection closed), bounded keep-alive idle time,
    // and a socket without any traffic for long is closed (a safety net for anything else).
    requestTimeout: config.clientTimeoutMs,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionTimeout: idleSocketTimeoutMs(config),
    // Router-level failures (e.g. bad percent-encoding in the path) are problems too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(request, reply, new AppError(ErrorCode.BAD_REQUEST, error.message, { status: 400 })),
    // What Node's HTTP parser rejects never reaches Fastify's routing; it is a problem too.
    clientErrorHandler: createClientErrorHandler(({ requestId, status, code }) =>
      loggers.access.write(
        'warn',
        { requestId, res: { status }, err: { code } },
        'request rejected by the HTTP parser',
      ),
    ),
    http: {
      // Node would answer a missing Host with a bare 400; the onRequest hook below makes it a problem.
      requireHostHeader: false,
      headersTimeout: config.clientTimeoutMs,
      // Node enforces the two timeouts above on this tick (its default is 30 s).
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(config.clientTimeoutMs / 4))),
    },
  };
  const adapter = new FastifyAdapter(fastifyOptions);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(loggers.app),
    // Nest's parsers would add application/x-www-form-urlencoded; registerJsonBodyParser owns parsing.
    bodyParser: false,
  });
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(createValidationPipe());
  // No enableShutdownHooks: main.ts drains connections on SIGTERM first, then closes the app.

  const metrics = app.get(MetricsService);
  const tracing = app.get(Tracing);
  const authFailures = app.get(AuthFailures);
  const fastify = app.getHttpAdapter().getInstance();
  // Past this many open connections new ones are refused, leaving file descriptors for Redis
  // and upstream connections (and for the connections already served).
  fastify.server.maxConnections = config.maxConnections;
  registerJsonBodyParser(fastify, BODY_LIMIT_BYTES);
  registerSecurityHeaders(fastify, '/docs');
  app.get(GracefulShutdown).attach(fastify);
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-request-id', request.id);
    if (request.raw.httpVersion === '1.1' && !request.headers.host) {
      return sendProblem(request, reply, new AppError(ErrorCode.BAD_REQUEST, 'HTTP/1.1 requests need a Host header'));
    }
    request.span = tracing.startRequest(
      `${request.method} ${request.routeOptions.url ?? 'unmatched'}`,
      request.headers,
    );
    // Controllers pass this down to services, the status cache and upstream clients.
    request.scope = {
      requestId: request.id,
      span: request.span,
      acceptLanguage: parseAcceptLanguage(request.headers['accept-language']),
      cacheBypass: wantsCacheBypass(request.headers['cache-control']),
    };
    done();
  });
  // All before Nest registers its routes (at init) and before the docs add theirs. CORS
  // preflights are answered before the 405 rule (which answers other OPTIONS requests).
  const routeMethods = trackRouteMethods(fastify);
  registerCors(fastify, config.corsOrigins, routeMethods);
  registerMethodNotAllowed(fastify, routeMethods);
  const document = buildOpenApiDocument(app);
  const queryNames = declaredQueryNames(document);
  registerQueryRules(fastify, queryNames);
  registerMetricsToken(fastify, config.metricsToken, authFailures);
  registerStatusReadHeaders(fastify);
  // One access line and the request metrics per response.
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.routeOptions.url;
    const status = reply.statusCode;
    if (request.span) tracing.end(request.span, status, status >= 500);
    metrics.recordHttp(request.method, route ?? 'unmatched', status, reply.elapsedTime / 1000);
    if (route === '/health/live' || route === '/metrics') return done();
    const line = {
      requestId: request.id,
      req: { method: request.method, ...loggedTarget(request, queryNames) },
      route,
      res: { status },
      latencyMs: Math.round(reply.elapsedTime * 10) / 10,
    };
    if ((request as AuthenticatedRequest).authFailed) {
      // A flood of bad keys must not become a flood of log lines: aggregated, one line per 10 s.
      authFailures.logFailure(request.ip, status);
      loggers.access.write('debug', line, 'request completed');
    } else {
      loggers.access.write(status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info', line, 'request completed');
    }
    done();
  });
  setupDocs(app, document);
  return app;
}

/**
 * What the access log says of the request target: its path and only the query parameters its
 * route declares, never the raw URL (a key or token put in the query string stays out of the
 * log; an absolute-form target loses its scheme, authority and credentials).
 */
function loggedTarget(request: FastifyRequest, declared: DeclaredQueryNames): { path: string; query?: object } {
  const path = pathOf(request.url).slice(0, MAX_LOGGED_PATH);
  const names = namesOf(declared, request);
  if (!names || names.size === 0 || !request.url.includes('?')) return { path };
  const query = Object.entries((request.query ?? {}) as Record<string, unknown>).filter(([name]) => names.has(name));
  return query.length > 0 ? { path, query: Object.fromEntries(query) } : { path };
}

/**
 * A socket without any traffic in either direction for this long is closed. Above what a
 * request may legitimately take (receiving it, the upstream deadline, a CC-CMS queue wait),
 * so only dead peers and clients that stop reading are cut.
 */
function idleSocketTimeoutMs(config: AppConfig): number {
  return Math.max(60_000, 2 * (config.clientTimeoutMs + config.upstreamTimeoutMs));
}
