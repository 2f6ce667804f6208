import 'reflect-metadata';
import { createApp } from './app.factory';
import { loadConfig } from './config/app-config';
import { ConfigError } from './config/environment';
import { prepareSandboxMode, SANDBOX_DEMO_API_KEY, SandboxMode } from './sandbox-mode';

async function main(): Promise<void> {
  const sandboxMode = process.env.UPSTREAM_MODE === 'sandbox';
  const prepared = sandboxMode ? await prepareSandboxMode(process.env) : undefined;
  const config = loadConfig(prepared?.env ?? process.env);
  const app = await createApp(config);
  await app.listen({ port: config.port, host: '0.0.0.0' });
  if (prepared) {
    const base = `http://localhost:${config.port}`;
    process.stdout.write(
      `${JSON.stringify({
        msg: 'comms-gateway started in sandbox mode',
        swaggerUi: `${base}/docs`,
        demoApiKey: SANDBOX_DEMO_API_KEY,
        upstreams: prepared.sandbox.urls,
        store: storeDescription(prepared),
        try: `curl -H 'X-API-Key: ${SANDBOX_DEMO_API_KEY}' ${base}/v1/me`,
      })}\n`,
    );
    // A private redis-server (REDIS_URL unset) ends with this process, after the app has closed.
    // Fire-and-forget inside a signal handler: Nest's shutdown hook closes the app meanwhile, and a
    // failure to close a simulated upstream must not become an unhandled rejection at exit.
    const stop = () => void prepared.sandbox.close().catch(() => undefined);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
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
