import 'reflect-metadata';
import { createApp } from './app.factory';
import { loadConfig } from './config/app-config';
import { ConfigError } from './config/environment';
import { prepareSandboxMode, SANDBOX_DEMO_API_KEY } from './sandbox-mode';

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
        try: `curl -H 'X-API-Key: ${SANDBOX_DEMO_API_KEY}' ${base}/v1/me`,
      })}\n`,
    );
    const stop = () => void prepared.sandbox.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`Start-up failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
