import { startUpstreamSandbox } from './upstream-sandbox';

/** `npm run sandbox:upstreams`: the simulated upstreams alone, for benchmarks and manual use. */
async function main(): Promise<void> {
  const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
  const sandbox = await startUpstreamSandbox({
    host: process.env.SANDBOX_HOST ?? '127.0.0.1',
    latencyMs: Number(process.env.SANDBOX_LATENCY_MS ?? 5),
    ports: {
      meeting: port('SANDBOX_MEETING_PORT', 4101),
      ccms: port('SANDBOX_CCMS_PORT', 4102),
      cec: port('SANDBOX_CEC_PORT', 4103),
    },
  });
  process.stdout.write(`${JSON.stringify({ msg: 'upstream sandbox listening', urls: sandbox.urls })}\n`);
  const stop = () => void sandbox.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`sandbox failed: ${String(err)}\n`);
  process.exit(1);
});
