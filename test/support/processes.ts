import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { sandboxEnvironment, UpstreamSandbox } from '../../src/sandbox/upstream-sandbox';
import { apiKeysJson, REDIS_URL } from './gateway';

const ROOT = join(__dirname, '..', '..');
const GATEWAY_ENTRY = join(ROOT, 'dist', 'main.js');

/** A port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await request(url);
      await res.body.dump();
      return;
    } catch {
      await sleep(50);
    }
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr. */
  output: string[];
  stop(): Promise<void>;
}

/** A real gateway process (`node dist/main.js`, built by `pretest`). */
export async function startGatewayProcess(
  env: Record<string, string>,
  options: { cwd?: string; entry?: string } = {},
): Promise<GatewayProcess> {
  const entry = options.entry ?? GATEWAY_ENTRY;
  if (!existsSync(entry)) throw new Error('dist/main.js is missing: run `npm run build` (npm test does)');
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port) },
    cwd: options.cwd ?? ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString('utf8')));
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health/live`);
  return {
    url,
    child,
    output,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000, undefined, { ref: false }).then(() => child.kill('SIGKILL'))]);
    },
  };
}

/**
 * The environment of gateway processes on the sandbox and the test Redis: the test keys, one
 * key prefix and one token encryption key (replicas must read each other's tokens), plus `extra`.
 */
export function replicaEnv(
  sandbox: Pick<UpstreamSandbox, 'urls'>,
  prefix: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...sandboxEnvironment(sandbox),
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    API_KEYS: apiKeysJson(),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'warn',
    ...extra,
  };
}
