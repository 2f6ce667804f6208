import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A private `redis-server` child process: loopback only, password, no persistence. */
export interface LocalRedisServer {
  /** `redis://:<password>@127.0.0.1:<port>` */
  url: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface LocalRedisServerOptions {
  /** The redis-server executable (looked up on PATH). */
  command?: string;
  startTimeoutMs?: number;
}

/**
 * Runs redis-server ($0, with the config file $1) in place of this shell, so the child's pid is
 * redis-server's, after starting a guard that kills it and removes its config file and folder
 * once the pipe on fd 0 reaches end-of-file: when stop() closes it, or when the gateway exits in
 * any way, SIGKILL included, so no redis-server outlives the gateway.
 */
const GUARD = [
  'exec 3<&0; pid=$$',
  '(read -r _ <&3; kill "$pid"; rm -f "$1"; rmdir "${1%/*}") >/dev/null 2>&1 &',
  'exec "$0" "$@" 3<&- </dev/null',
].join('\n');

/**
 * Starts a real Redis for sandbox mode without REDIS_URL, so Lua scripts run with Redis's own
 * semantics (Lua 5.1, numbers are doubles), which ioredis-mock's Lua (fengari, 32-bit integers)
 * does not have. Resolves undefined when redis-server is not installed or does not start.
 */
export async function startLocalRedisServer(
  options: LocalRedisServerOptions = {},
): Promise<LocalRedisServer | undefined> {
  const command = options.command ?? 'redis-server';
  const dir = await mkdtemp(join(tmpdir(), 'cgw-redis-'));
  try {
    // A port that was free a moment ago can be taken before redis-server binds it: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const password = randomBytes(18).toString('hex');
      const configFile = join(dir, 'redis.conf');
      const config = [
        `bind 127.0.0.1`,
        `port ${port}`,
        `requirepass ${password}`,
        `save ""`,
        `appendonly no`,
        `dir ${dir}`,
        `loglevel notice`,
      ];
      await writeFile(configFile, `${config.join('\n')}\n`, { mode: 0o600 });
      const started = await launch(command, configFile, options.startTimeoutMs ?? 5000);
      if (started.ok) {
        const child = started.child;
        return {
          url: `redis://:${password}@127.0.0.1:${port}`,
          port,
          pid: child.pid!,
          stop: () => stop(child, dir),
        };
      }
      if (!/address already in use/i.test(started.output)) break;
    }
  } catch {
    // No shell or no redis-server: the caller falls back to the in-process stand-in.
  }
  await rm(dir, { recursive: true, force: true });
  return undefined;
}

type Launched = { ok: true; child: ChildProcess } | { ok: false; output: string };

function launch(command: string, configFile: string, timeoutMs: number): Promise<Launched> {
  return new Promise((resolve) => {
    // Its own process group: a Ctrl-C in the terminal reaches the gateway, which stops it after closing.
    const child = spawn('/bin/sh', ['-c', GUARD, command, configFile], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    let settled = false;
    const settle = (result: Launched) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!result.ok) {
        signalGroup(child, 'SIGKILL');
        child.stdin?.end();
      }
      resolve(result);
    };
    const timer = setTimeout(() => settle({ ok: false, output: `${output}\n(start timed out)` }), timeoutMs);
    const onOutput = (chunk: Buffer) => {
      if (settled) return; // drained and dropped once started
      output = `${output}${chunk.toString('utf8')}`.slice(-4000);
      if (/ready to accept connections/i.test(output)) {
        // Nothing of it may keep the event loop alive: the gateway decides when the process ends.
        child.unref();
        for (const stream of [child.stdin, child.stdout, child.stderr]) {
          (stream as unknown as { unref?: () => void } | null)?.unref?.();
        }
        settle({ ok: true, child });
      }
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    child.once('error', (err) => settle({ ok: false, output: err.message }));
    child.once('exit', (code) => settle({ ok: false, output: `${output}\n(exited with ${code})` }));
  });
}

async function stop(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        signalGroup(child, 'SIGKILL');
        resolve();
      }, 3000);
    });
    signalGroup(child, 'SIGTERM'); // redis-server shuts down at once (nothing to save)
    await Promise.race([exited, killed]);
    clearTimeout(timer);
  } else {
    signalGroup(child, 'SIGTERM'); // the guard, should it still be waiting
  }
  child.stdin?.end();
  await rm(dir, { recursive: true, force: true });
}

/** redis-server and its guard share a process group (detached spawn): signal both at once. */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // Already gone.
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
