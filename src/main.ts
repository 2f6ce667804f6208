import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from './app.factory';
import { configurationWarnings, loadConfig } from './config/app-config';
import { existsSync } from 'node:fs';
import { ConfigError } from './config/environment';
import { GracefulShutdown } from './lifecycle/graceful-shutdown';
import type { SandboxMode } from './sandbox-mode';

/** After draining, closing the application (Redis, pools) and the sandbox gets this long. */
const CLOSE_TIMEOUT_MS = 5000;

async function main(): Promise<void> {
  // A .env in the working directory fills in what the real environment does not set.
  if (existsSync('.env')) process.loadEnvFile('.env');
  const sandboxMode = process.env.UPSTREAM_MODE === 'sandbox';
  // Sandbox code is loaded only in sandbox mode (a production image may leave it out).
  const prepared = sandboxMode ? await (await import('./sandbox-mode')).prepareSandboxMode(process.env) : undefined;
  const config = loadConfig(prepared?.env ?? process.env);
  const app = await createApp(config);
  await app.listen({ port: config.port, host: '0.0.0.0' });
  for (const warning of configurationWarnings(config)) new Logger('Configuration').warn(warning);

  // SIGTERM/SIGINT: readiness 503 and no new connections at once, requests in flight get
  // SHUTDOWN_GRACE_MS, then the application closes (Redis, upstream pools) and, in sandbox
  // mode, the simulated upstreams and the private redis-server last: exit 0.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const logger = new Logger('Shutdown');
    logger.log({ signal, graceMs: config.shutdownGraceMs }, 'shutdown begins');
    void (async () => {
      await app.get(GracefulShutdown).drain(config.shutdownGraceMs);
      const closed = await Promise.race([
        (async () => {
          await app.close();
          await prepared?.close();
          return true;
        })().catch((err: unknown) => {
          logger.error({ err }, 'error while closing');
          return true;
        }),
        sleep(CLOSE_TIMEOUT_MS, false),
      ]);
      if (!closed) logger.warn({ ms: CLOSE_TIMEOUT_MS }, 'closing took too long; exiting anyway');
      logger.log('shutdown complete');
      process.exit(0);
    })();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  if (prepared) {
    const base = `http://localhost:${config.port}`;
    process.stdout.write(
      `${JSON.stringify({
        msg: 'comms-gateway started in sandbox mode',
        swaggerUi: `${base}/docs`,
        demoApiKey: prepared.demoApiKey,
        upstreams: prepared.sandbox.urls,
        store: storeDescription(prepared),
        try: `curl -H 'X-API-Key: ${prepared.demoApiKey}' ${base}/v1/me`,
      })}\n`,
    );
  }
}

function storeDescription(prepared: SandboxMode): string {
  if (prepared.redis) return `private redis-server (pid ${prepared.redis.pid}, 127.0.0.1:${prepared.redis.port})`;
  if (prepared.env.REDIS_URL) return 'REDIS_URL';
  return 'in-process stand-in (redis-server not found; Lua numbers are 32-bit integers)';
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`Start-up failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
