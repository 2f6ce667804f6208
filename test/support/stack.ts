import Redis from 'ioredis';
import {
  sandboxEnvironment,
  startUpstreamSandbox,
  UpstreamSandbox,
  UpstreamSandboxOptions,
} from '../../src/sandbox/upstream-sandbox';
import { dropPrefix, REDIS_URL, startGateway, TestGateway } from './gateway';

export interface TestStack {
  sandbox: UpstreamSandbox;
  gw: TestGateway;
  close(): Promise<void>;
}

/** The in-process upstream sandbox (zero latency) plus a gateway pointed at it, on the real Redis. */
export async function startStack(
  env: Record<string, string | undefined> = {},
  sandboxOptions: UpstreamSandboxOptions = {},
): Promise<TestStack> {
  const sandbox = await startUpstreamSandbox({ latencyMs: 0, ...sandboxOptions });
  const gw = await startGateway({ ...sandboxEnvironment(sandbox), ...env });
  return {
    sandbox,
    gw,
    close: async () => {
      await gw.close();
      await sandbox.close();
      await dropPrefix(gw.prefix);
    },
  };
}

/** Every value stored under a prefix, for "no secret in Redis" checks. */
export async function redisValues(prefix: string): Promise<string[]> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    const values: string[] = [];
    for (const key of keys) {
      const type = await redis.type(key);
      if (type === 'string') values.push((await redis.get(key)) ?? '');
      else if (type === 'zset') values.push(...(await redis.zrange(key, 0, -1)));
    }
    return values;
  } finally {
    redis.disconnect();
  }
}
