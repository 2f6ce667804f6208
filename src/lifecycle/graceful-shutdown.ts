import { Global, Injectable, Logger, Module } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { sendProblem } from '../common/errors/problem.filter';
import { pathOf } from '../common/http/route-methods';

interface Connection {
  /** Requests on this socket whose body has arrived and that are being handled. */
  handling: number;
  /** A request whose headers arrived but whose body has not (yet). */
  receiving: boolean;
}

/**
 * Draining on SIGTERM. From the first moment readiness answers 503 and the listener closes (no
 * new connections); requests that arrive on kept-alive connections get 503 with
 * `Connection: close`; idle sockets and sockets still sending a request (partial headers or
 * body: stalled or not) are closed at once; requests being handled get up to the grace period
 * and their responses close their connection; after it, every remaining socket is destroyed.
 * Only then does the caller close the application (Redis, upstream pools) and the sandbox.
 */
@Injectable()
export class GracefulShutdown {
  private readonly logger = new Logger('Shutdown');
  private readonly connections = new Map<Socket, Connection>();
  private readonly drainListeners: (() => void)[] = [];
  private fastify?: FastifyInstance;
  private onIdle?: () => void;
  draining = false;

  /** Tracks connections and requests; registered before any other hook. */
  attach(fastify: FastifyInstance): void {
    this.fastify = fastify;
    fastify.server.on('connection', (socket: Socket) => {
      this.connections.set(socket, { handling: 0, receiving: false });
      socket.once('close', () => {
        this.connections.delete(socket);
        if (this.connections.size === 0) this.onIdle?.();
      });
    });
    fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const connection = this.connections.get(request.raw.socket);
      if (connection) connection.receiving = true;
      if (!this.draining) return done();
      reply.header('connection', 'close');
      // Health checks still answer (readiness says 503 itself); everything else goes elsewhere.
      if (pathOf(request.url).startsWith('/health/')) return done();
      sendProblem(
        request,
        reply,
        new AppError(ErrorCode.SERVICE_UNAVAILABLE, 'The gateway is shutting down; retry on another instance.', {
          retryAfterSeconds: 1,
        }),
      );
    });
    // After the body: from here on the request is in flight and gets the grace period, until
    // its response is finished or aborted (hijacked replies, i.e. event streams, included).
    fastify.addHook('preValidation', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const socket = request.raw.socket;
      const connection = this.connections.get(socket);
      if (connection) {
        connection.receiving = false;
        connection.handling += 1;
        reply.raw.once('close', () => {
          connection.handling -= 1;
          // Draining: a connection whose last response is done has nothing more to do.
          if (this.draining && connection.handling === 0) socket.end();
        });
      }
      done();
    });
    fastify.addHook('onSend', (_request: FastifyRequest, reply: FastifyReply, _payload: unknown, done: () => void) => {
      if (this.draining) reply.header('connection', 'close');
      done();
    });
    fastify.addHook('onResponse', (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
      const connection = this.connections.get(request.raw.socket);
      if (connection) connection.receiving = false;
      done();
    });
  }

  /** `listener` runs when draining begins (e.g. to end event streams so their clients reconnect elsewhere). */
  onDrain(listener: () => void): void {
    this.drainListeners.push(listener);
  }

  /** Stops accepting, closes what is not in flight, waits for the rest up to `graceMs`. */
  async drain(graceMs: number): Promise<void> {
    if (this.draining || !this.fastify) return;
    this.draining = true;
    const started = Date.now();
    const server = this.fastify.server;
    if (server.listening) server.close(() => undefined);
    for (const listener of this.drainListeners) {
      try {
        listener();
      } catch (err) {
        this.logger.warn({ err }, 'a drain listener failed');
      }
    }
    let idle = 0;
    let receiving = 0;
    for (const [socket, connection] of this.connections) {
      if (connection.handling > 0) continue;
      if (connection.receiving) receiving += 1;
      else idle += 1;
      socket.destroy();
    }
    const inFlight = this.connections.size - idle - receiving;
    this.logger.log(
      { inFlight, closedIdle: idle, closedReceiving: receiving, graceMs },
      'shutting down: draining requests in flight',
    );
    if (this.connections.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.onIdle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const forced = this.connections.size;
    for (const socket of this.connections.keys()) socket.destroy();
    this.logger.log({ forced, ms: Date.now() - started }, 'shutting down: connections closed');
  }
}

@Global()
@Module({ providers: [GracefulShutdown], exports: [GracefulShutdown] })
export class LifecycleModule {}
