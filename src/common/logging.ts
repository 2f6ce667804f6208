import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import pino from 'pino';
import type { AppConfig } from '../config/app-config';
import { requestIdOf } from './request-id';

const ROUTE = Symbol('route');

/** Fastify knows the matched route; the raw request carries it to the access log. */
export function tagRoute(raw: IncomingMessage, route: string | undefined): void {
  (raw as IncomingMessage & { [ROUTE]?: string })[ROUTE] = route;
}

/** Secrets are never logged; these paths are censored wherever they show up. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-access-token"]',
  'headers.authorization',
  'headers["x-access-token"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.AccessToken',
  '*.app_secret',
  '*.appKey',
  '*.sk',
];

/** JSON lines on stdout (asynchronous writes), one access line per request with its id and route. */
export function loggerParams(config: AppConfig, stream?: NodeJS.WritableStream): Params {
  return {
    pinoHttp: [
      {
        level: config.logLevel,
        genReqId: (req: IncomingMessage) => requestIdOf(req),
        customAttributeKeys: { reqId: 'requestId', responseTime: 'latencyMs' },
        quietReqLogger: true,
        redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
        serializers: {
          req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
          res: (res: { statusCode: number }) => ({ status: res.statusCode }),
        },
        customProps: (req: IncomingMessage) => ({
          route: (req as IncomingMessage & { [ROUTE]?: string })[ROUTE],
        }),
        customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
          err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
        autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health/live' || req.url === '/metrics' },
      },
      stream ?? pino.destination({ dest: 1, sync: false }),
    ],
  };
}
