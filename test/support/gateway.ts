import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import Redis from 'ioredis';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createApp } from '../../src/app.factory';
import { SCOPES, Scope } from '../../src/auth/scopes';
import { loadConfig } from '../../src/config/app-config';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** API keys every test gateway accepts. */
export const KEYS = {
  all: 'test-key-all-scopes',
  none: 'test-key-no-scopes',
  meetingRead: 'test-key-meeting-read',
  softphonesRead: 'test-key-softphones-read',
} as const;

const KEY_SCOPES: Record<keyof typeof KEYS, Scope[]> = {
  all: [...SCOPES],
  none: [],
  meetingRead: ['meeting.terminals:read'],
  softphonesRead: ['cc.softphones:read'],
};

export function apiKeysJson(): string {
  return JSON.stringify(
    (Object.keys(KEYS) as (keyof typeof KEYS)[]).map((name) => ({
      name,
      sha256: createHash('sha256').update(KEYS[name]).digest('hex'),
      scopes: KEY_SCOPES[name],
    })),
  );
}

export interface TestGateway {
  app: NestFastifyApplication;
  prefix: string;
  /** Every JSON log line the gateway wrote. */
  logs: string[];
  close(): Promise<void>;
}

export function uniquePrefix(): string {
  return `cgw-test:${randomUUID().slice(0, 8)}:`;
}

/**
 * A gateway on the real Redis with its own key prefix, configured from `env` on top of test
 * defaults. Not listening: tests use Fastify's inject, or `listen()` when they need a socket.
 */
export async function startGateway(env: Record<string, string | undefined> = {}): Promise<TestGateway> {
  const prefix = env.REDIS_KEY_PREFIX ?? uniquePrefix();
  const config = loadConfig({
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    API_KEYS: apiKeysJson(),
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'info',
    // Most suites count upstream calls per request; the status-cache suites turn the cache on.
    STATUS_CACHE_TTL_MS: '0',
    ...env,
  });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const app = await createApp(config, { logStream });
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    prefix,
    logs,
    close: async () => {
      await app.close();
    },
  };
}

/** Deletes every key under a test prefix. */
export async function dropPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
}

export function json<T = Record<string, unknown>>(response: { body: string }): T {
  return JSON.parse(response.body) as T;
}

/** Asserts the RFC 9457 problem shape every error of the gateway has. */
export function expectProblem(
  response: { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
): Record<string, unknown> {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = json(response);
  expect(body).toMatchObject({
    status,
    code,
    type: expect.any(String),
    title: expect.any(String),
    detail: expect.any(String),
  });
  expect(body.instance).toEqual(expect.stringMatching(/^\//));
  expect(body.requestId).toBe(response.headers['x-request-id']);
  return body;
}
