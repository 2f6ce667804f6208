import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module';
import { AppError } from './common/errors/app-error';
import { ErrorCode } from './common/errors/error-code';
import { ProblemFilter, sendProblem } from './common/errors/problem.filter';
import { createLoggers, PinoNestLogger } from './common/logging';
import { parseAcceptLanguage, requestScopeStorage } from './common/request-context';
import { requestIdOf } from './common/request-id';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/app-config';
import { setupDocs } from './docs';
import { MetricsService } from './metrics/metrics.service';

const BODY_LIMIT_BYTES = 64 * 1024;

/** Builds the fully configured application without listening (main, tests and scripts share it). */
export interface CreateAppOptions {
  /** Where JSON log lines go; stdout when absent. */
  logStream?: NodeJS.WritableStream;
}

export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    genReqId: (req: IncomingMessage) => requestIdOf(req),
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // Router-level failures (e.g. bad percent-encoding in the path) are problems too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(request, reply, new AppError(ErrorCode.BAD_REQUEST, error.message, { status: 400 })),
  });
  const loggers = createLoggers(config, options.logStream);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(loggers.app),
  });
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  // JSON is the only request body this API takes; anything else is a 415, not a string DTO.
  fastify.removeContentTypeParser(['text/plain']);
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-request-id', request.id);
    // Everything after this hook (guards, handlers, upstream calls) runs inside the request scope.
    requestScopeStorage.run(
      { requestId: request.id, acceptLanguage: parseAcceptLanguage(request.headers['accept-language']) },
      done,
    );
  });
  // One access line and the request metrics per response.
  fastify.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    const route = request.routeOptions.url;
    const status = reply.statusCode;
    const labels = { method: request.method, route: route ?? 'unmatched', status: String(status) };
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
  setupDocs(app);
  return app;
}
