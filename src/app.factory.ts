import { NestFactory } from '@nestjs/core';
import type { Span } from '@opentelemetry/api';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyHttpOptions, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage, Server } from 'node:http';
import { AppModule } from './app.module';
import { AppError } from './common/errors/app-error';
import { ErrorCode } from './common/errors/error-code';
import { ProblemFilter, sendProblem } from './common/errors/problem.filter';
import { createClientErrorHandler } from './common/http/client-error';
import { registerJsonBodyParser } from './common/http/json-body';
import { registerMethodNotAllowed } from './common/http/method-not-allowed';
import { registerQueryRules } from './common/http/query-rules';
import { createLoggers, PinoNestLogger } from './common/logging';
import { parseAcceptLanguage, requestScopeStorage } from './common/request-context';
import { requestIdOf } from './common/request-id';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/app-config';
import { buildOpenApiDocument, setupDocs } from './docs';
import { MetricsService } from './metrics/metrics.service';
import { Tracing } from './tracing/tracing';
import { wantsCacheBypass } from './status-cache/status-read.interceptor';

const BODY_LIMIT_BYTES = 64 * 1024;

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
    // Router-level failures (e.g. bad percent-encoding in the path) are problems too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(request, reply, new AppError(ErrorCode.BAD_REQUEST, error.message, { status: 400 })),
    // What Node's HTTP parser rejects never reaches Fastify's routing; it is a problem too.
    clientErrorHandler: createClientErrorHandler(({ requestId, status, code }) =>
      loggers.access.warn({ requestId, res: { status }, err: { code } }, 'request rejected by the HTTP parser'),
    ),
    // Node would answer a missing Host with a bare 400; the onRequest hook below makes it a problem.
    http: { requireHostHeader: false },
  };
  const adapter = new FastifyAdapter(fastifyOptions);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(loggers.app),
    // Nest's parsers would add application/x-www-form-urlencoded; registerJsonBodyParser owns parsing.
    bodyParser: false,
  });
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const metrics = app.get(MetricsService);
  const tracing = app.get(Tracing);
  const fastify = app.getHttpAdapter().getInstance();
  registerJsonBodyParser(fastify, BODY_LIMIT_BYTES);
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-request-id', request.id);
    if (request.raw.httpVersion === '1.1' && !request.headers.host) {
      return sendProblem(request, reply, new AppError(ErrorCode.BAD_REQUEST, 'HTTP/1.1 requests need a Host header'));
    }
    request.span = tracing.startRequest(
      `${request.method} ${request.routeOptions.url ?? 'unmatched'}`,
      request.headers,
    );
    // Everything after this hook (guards, handlers, upstream calls) runs inside the request scope.
    requestScopeStorage.run(
      {
        requestId: request.id,
        span: request.span,
        acceptLanguage: parseAcceptLanguage(request.headers['accept-language']),
        cacheBypass: wantsCacheBypass(request.headers['cache-control']),
      },
      done,
    );
  });
  // Both before Nest registers its routes (at init) and before the docs add theirs.
  registerMethodNotAllowed(fastify);
  const document = buildOpenApiDocument(app);
  registerQueryRules(fastify, document);
  // One access line and the request metrics per response.
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.routeOptions.url;
    const status = reply.statusCode;
    const labels = { method: request.method, route: route ?? 'unmatched', status: String(status) };
    if (request.span) tracing.end(request.span, status, status >= 500);
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    if (route !== '/health/live' && route !== '/metrics') {
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      loggers.access[level](
        {
          requestId: request.id,
          req: { method: request.method, url: request.url },
          route,
          res: { status },
          latencyMs: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request completed',
      );
    }
    done();
  });
  setupDocs(app, document);
  return app;
}
