import { createHash, randomBytes } from 'node:crypto';
import { SCOPES } from './auth/scopes';
import { sandboxEnvironment, startUpstreamSandbox, UpstreamSandbox } from './sandbox/upstream-sandbox';

/** The demo key sandbox mode accepts (every scope). Sandbox mode only; never configure it live. */
export const SANDBOX_DEMO_API_KEY = 'sandbox-demo-key';

/**
 * Start-up wiring for UPSTREAM_MODE=sandbox: the only place that imports sandbox code. Starts
 * the simulated upstreams in this process and returns the environment that points every family
 * at them, with demo credentials and a demo API key.
 */
export async function prepareSandboxMode(
  env: NodeJS.ProcessEnv,
): Promise<{ env: NodeJS.ProcessEnv; sandbox: UpstreamSandbox }> {
  const sandbox = await startUpstreamSandbox({ latencyMs: Number(env.SANDBOX_LATENCY_MS ?? 5) });
  const demoKey = { name: 'sandbox-demo', sha256: sha256(SANDBOX_DEMO_API_KEY), scopes: [...SCOPES] };
  const configuredKeys = env.API_KEYS ? (JSON.parse(env.API_KEYS) as unknown[]) : [];
  return {
    sandbox,
    env: {
      ...env,
      ...sandboxEnvironment(sandbox),
      API_KEYS: JSON.stringify([...configuredKeys, demoKey]),
      TOKEN_ENCRYPTION_KEY: env.TOKEN_ENCRYPTION_KEY || randomBytes(32).toString('base64'),
    },
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
