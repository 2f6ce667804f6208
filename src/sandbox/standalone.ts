import { FAMILIES } from '../families/registry';
import { startUpstreamSandbox } from './upstream-sandbox';

/**
 * `npm run sandbox:upstreams`: the simulated upstreams alone, for benchmarks and manual use.
 * Ports: SANDBOX_PORT_BASE + the family's index in the registry (4101, 4102, ...).
 */
async function main(): Promise<void> {
  const base = Number(process.env.SANDBOX_PORT_BASE ?? 4101);
  const sandbox = await startUpstreamSandbox({
    host: process.env.SANDBOX_HOST ?? '127.0.0.1',
    latencyMs: Number(process.env.SANDBOX_LATENCY_MS ?? 5),
    ports: Object.fromEntries(FAMILIES.map((family, i) => [family.id, base + i])),
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
