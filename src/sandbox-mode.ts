import { createHash, randomBytes } from 'node:crypto';
import { SCOPES } from './auth/scopes';
import { LocalRedisServer, startLocalRedisServer } from './redis/local-redis-server';
import { sandboxEnvironment, startUpstreamSandbox, UpstreamSandbox } from './sandbox/upstream-sandbox';

/** The demo key sandbox mode accepts (every scope). Sandbox mode only; never configure it live. */
export const SANDBOX_DEMO_API_KEY = 'sandbox-demo-key';

export interface SandboxMode {
  env: NodeJS.ProcessEnv;
  /** The demo key this mode accepts (every scope). */
  demoApiKey: string;
  sandbox: UpstreamSandbox;
  /**
   * The private redis-server started because REDIS_URL was unset; undefined when REDIS_URL is
   * set or redis-server is not installed (then the in-process stand-in is used).
   */
  redis?: LocalRedisServer;
  /** Stops the simulated upstreams and the private redis-server (after the app has closed). */
  close(): Promise<void>;
}

/**
 * Start-up wiring for UPSTREAM_MODE=sandbox: the only place that imports sandbox code. Starts
 * the simulated upstreams in this process and returns the environment that points every family
 * at them, with demo credentials and a demo API key. Without REDIS_URL it starts a private
 * redis-server when one is installed (real Redis semantics, Lua included); the in-process
 * stand-in is the last resort.
 */
export async function prepareSandboxMode(env: NodeJS.ProcessEnv): Promise<SandboxMode> {
  const sandbox = await startUpstreamSandbox({ latencyMs: Number(env.SANDBOX_LATENCY_MS ?? 5) });
  const redis = env.REDIS_URL ? undefined : await startLocalRedisServer();
  const demoKey = { name: 'sandbox-demo', sha256: sha256(SANDBOX_DEMO_API_KEY), scopes: [...SCOPES] };
  const configuredKeys = env.API_KEYS ? (JSON.parse(env.API_KEYS) as unknown[]) : [];
  return {
    demoApiKey: SANDBOX_DEMO_API_KEY,
    sandbox,
    redis,
    env: {
      ...env,
      ...sandboxEnvironment(sandbox),
      ...(redis ? { REDIS_URL: redis.url } : {}),
      API_KEYS: JSON.stringify([...configuredKeys, demoKey]),
      TOKEN_ENCRYPTION_KEY: env.TOKEN_ENCRYPTION_KEY || randomBytes(32).toString('base64'),
    },
    close: async () => {
      await sandbox.close();
      await redis?.stop();
    },
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
