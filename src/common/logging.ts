import type { LoggerService } from '@nestjs/common';
import { hostname } from 'node:os';
import pino, { Logger } from 'pino';
import type { AppConfig } from '../config/app-config';

/** Secrets are never logged; these paths are censored wherever they show up. */
const REDACT_PATHS = [
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

export interface Loggers {
  /** Application logs: redacted; a line written for a request names it (`requestFields(scope)`). */
  app: Logger;
  /**
   * The access line, one per response. Its fields are fixed and built by us (no bodies, no
   * headers), so it skips redaction, which cost ~13 % of CPU per request in the profile.
   */
  access: AccessLog;
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * Writes lines in pino's own format (level, time, pid, hostname, fields, msg) with one
 * JSON.stringify of fields we build ourselves: pino's generic serialisation was ~10 % of the
 * CPU of a cached status read (docs/performance.md). Same destination and level as pino.
 */
class AccessLog {
  private readonly base = `,"pid":${process.pid},"hostname":${JSON.stringify(hostname())}`;
  private readonly threshold: number;

  constructor(
    level: string,
    private readonly destination: { write(line: string): unknown },
  ) {
    this.threshold = pino.levels.values[level] ?? pino.levels.values.info!;
  }

  write(level: Level, fields: object, msg: string): void {
    const value = pino.levels.values[level]!;
    if (value < this.threshold) return;
    const json = JSON.stringify(fields);
    const body = json.length > 2 ? `,${json.slice(1, -1)}` : '';
    this.destination.write(`{"level":${value},"time":${Date.now()}${this.base}${body},"msg":${JSON.stringify(msg)}}\n`);
  }
}

/**
 * JSON lines to stdout with asynchronous writes. One root logger (no child logger per request:
 * per-request children cost ~20 % throughput); both loggers share the one destination.
 */
export function createLoggers(config: Pick<AppConfig, 'logLevel'>, stream?: NodeJS.WritableStream): Loggers {
  const destination = stream ?? pino.destination({ dest: 1, sync: false });
  const app = pino(
    {
      level: config.logLevel,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: { err: pino.stdSerializers.err },
    },
    destination,
  );
  const access = new AccessLog(config.logLevel, destination);
  return { app, access };
}

/**
 * Nest's LoggerService on top of pino. Accepts both Nest's `(message, ...params, context)` and
 * pino's object-first `(fields, message)` as our code uses through `new Logger(context)`.
 */
export class PinoNestLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.write('fatal', message, params);
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const args = [...params];
    // Nest appends the logger's context as the last string argument.
    const context = args.length > 0 && typeof args[args.length - 1] === 'string' ? (args.pop() as string) : undefined;
    if (message instanceof Error) {
      this.pino[level]({ context, err: message }, message.message);
    } else if (typeof message === 'object' && message !== null) {
      const text = typeof args[0] === 'string' ? (args.shift() as string) : undefined;
      this.pino[level]({ context, ...message }, text);
    } else {
      // Nest's error(message, stack, context) form.
      const stack = level === 'error' && typeof args[0] === 'string' ? { stack: args[0] } : {};
      this.pino[level]({ context, ...stack }, String(message));
    }
  }
}
