import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { Logger } from 'nestjs-pino';
import { AppModule, AppModuleOptions } from './app.module';
import { AppError } from './common/errors/app-error';
import { ErrorCode } from './common/errors/error-code';
import { ProblemFilter, sendProblem } from './common/errors/problem.filter';
import { tagRoute } from './common/logging';
import { parseAcceptLanguage, requestScopeStorage } from './common/request-context';
import { requestIdOf } from './common/request-id';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/app-config';
import { setupDocs } from './docs';
import { MetricsService } from './metrics/metrics.service';

export const BODY_LIMIT_BYTES = 64 * 1024;

/** Builds the fully configured application without listening (main, tests and scripts share it). */
export async function createApp(config: AppConfig, options: AppModuleOptions = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    genReqId: (req: IncomingMessage) => requestIdOf(req),
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    // Router-level failures (e.g. bad percent-encoding in the path) are problems too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) =>
      sendProblem(request, reply, new AppError(ErrorCode.BAD_REQUEST, error.message, { status: 400 })),
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new ProblemFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableShutdownHooks();

  const metrics = app.get(MetricsService);
  const fastify = app.getHttpAdapter().getInstance();
  // JSON is the only request body this API takes; anything else is a 415, not a string DTO.
  fastify.removeContentTypeParser(['text/plain']);
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    reply.header('x-request-id', request.id);
    tagRoute(request.raw, request.routeOptions.url);
    // Everything after this hook (guards, handlers, upstream calls) runs inside the request scope.
    requestScopeStorage.run(
      { requestId: request.id, acceptLanguage: parseAcceptLanguage(request.headers['accept-language']) },
      done,
    );
  });
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const labels = {
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: String(reply.statusCode),
    };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
  });
  setupDocs(app);
  return app;
}
