import { readFileSync } from 'node:fs';
import { isScope, Scope } from '../auth/scopes';
import { ConfigError, Environment, validateEnvironment } from './environment';

export interface ApiKeyRecord {
  name: string;
  sha256: string;
  scopes: Scope[];
}

export interface MeetingConfig {
  baseUrl: string;
  appId: string;
  appKey: string;
  userId?: string;
  corpId?: string;
}

export interface CcmsConfig {
  baseUrl: string;
  ak: string;
  sk: string;
  /** PEM text of CCMS_CA_FILE, trusted in addition to nothing else (verification stays on). */
  ca?: string;
  eidMinLiteralPrefix: number;
  maxConcurrency: number;
  queueTimeoutMs: number;
}

export interface CecConfig {
  baseUrl: string;
  appKey: string;
  ak: string;
  sk: string;
}

export interface AppConfig {
  port: number;
  mode: 'live' | 'sandbox';
  /** Undefined only in sandbox mode: an in-process store stands in. */
  redisUrl?: string;
  redisKeyPrefix: string;
  upstreamTimeoutMs: number;
  logLevel: string;
  rateLimitPerMinute: number;
  circuit: { failureThreshold: number; halfOpenAfterMs: number };
  apiKeys: ApiKeyRecord[];
  tokenEncryptionKey?: Buffer;
  meeting?: MeetingConfig;
  ccms?: CcmsConfig;
  cec?: CecConfig;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

/** Reads, validates and resolves the whole configuration; throws ConfigError naming the variable. */
export function loadConfig(raw: NodeJS.ProcessEnv = process.env): AppConfig {
  const env = validateEnvironment(raw);
  const mode = env.UPSTREAM_MODE ?? 'live';
  if (mode === 'live' && !env.REDIS_URL) {
    throw new ConfigError('REDIS_URL: required unless UPSTREAM_MODE=sandbox');
  }
  const meeting = family(env, 'MEETING', ['BASE_URL', 'APP_ID', 'APP_KEY'], (v) => ({
    baseUrl: v.BASE_URL!,
    appId: v.APP_ID!,
    appKey: v.APP_KEY!,
    userId: env.MEETING_USER_ID,
    corpId: env.MEETING_CORP_ID,
  }));
  const ccms = family(env, 'CCMS', ['BASE_URL', 'AK', 'SK'], (v) => ({
    baseUrl: v.BASE_URL!,
    ak: v.AK!,
    sk: v.SK!,
    ca: env.CCMS_CA_FILE ? readFileNamed('CCMS_CA_FILE', env.CCMS_CA_FILE) : undefined,
    eidMinLiteralPrefix: env.CCMS_EID_MIN_LITERAL_PREFIX ?? 4,
    maxConcurrency: env.CCMS_MAX_CONCURRENCY ?? 10,
    queueTimeoutMs: env.CCMS_QUEUE_TIMEOUT_MS ?? 2000,
  }));
  const cec = family(env, 'CEC', ['BASE_URL', 'APP_KEY', 'AK', 'SK'], (v) => ({
    baseUrl: v.BASE_URL!,
    appKey: v.APP_KEY!,
    ak: v.AK!,
    sk: v.SK!,
  }));
  const tokenEncryptionKey = parseEncryptionKey(env.TOKEN_ENCRYPTION_KEY);
  if (!tokenEncryptionKey && (meeting || cec)) {
    throw new ConfigError('TOKEN_ENCRYPTION_KEY: required when Meeting or CC-Management is configured');
  }
  return {
    port: env.PORT ?? 3000,
    mode,
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'cgw:',
    upstreamTimeoutMs: env.UPSTREAM_TIMEOUT_MS ?? 10_000,
    logLevel: env.LOG_LEVEL ?? 'info',
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE ?? 600,
    circuit: {
      failureThreshold: env.CIRCUIT_FAILURE_THRESHOLD ?? 5,
      halfOpenAfterMs: env.CIRCUIT_HALF_OPEN_AFTER_MS ?? 10_000,
    },
    apiKeys: parseApiKeys(env),
    tokenEncryptionKey,
    meeting,
    ccms,
    cec,
  };
}

/**
 * An upstream family is either absent (no variable set: its routes answer 503) or complete;
 * half a configuration is an operator mistake and stops start-up.
 */
function family<K extends string, T>(
  env: Environment,
  prefix: string,
  required: K[],
  build: (values: Record<K, string | undefined>) => T,
): T | undefined {
  const values = Object.fromEntries(
    required.map((k) => [k, (env as unknown as Record<string, string | undefined>)[`${prefix}_${k}`]]),
  ) as Record<K, string | undefined>;
  const missing = required.filter((k) => !values[k]);
  if (missing.length === required.length) return undefined;
  if (missing.length > 0) {
    throw new ConfigError(`${prefix}_${missing[0]}: required when other ${prefix}_* variables are set`);
  }
  return build(values);
}

function parseEncryptionKey(value: string | undefined): Buffer | undefined {
  if (!value) return undefined;
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) throw new ConfigError('TOKEN_ENCRYPTION_KEY: must be 32 bytes, base64-encoded');
  return key;
}

function readFileNamed(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function parseApiKeys(env: Environment): ApiKeyRecord[] {
  const variable = env.API_KEYS ? 'API_KEYS' : env.API_KEYS_FILE ? 'API_KEYS_FILE' : undefined;
  if (!variable) return [];
  const text = env.API_KEYS ?? readFileNamed('API_KEYS_FILE', env.API_KEYS_FILE!);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(`${variable}: not valid JSON`);
  }
  if (!Array.isArray(parsed)) throw new ConfigError(`${variable}: must be a JSON array`);
  const names = new Set<string>();
  return parsed.map((entry: unknown, i) => {
    const e = entry as Partial<ApiKeyRecord> | null;
    const where = `${variable}[${i}]`;
    if (!e || typeof e.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(e.name)) {
      throw new ConfigError(`${where}.name: 1-64 chars of [A-Za-z0-9._-] required`);
    }
    if (names.has(e.name)) throw new ConfigError(`${where}.name: duplicate name ${e.name}`);
    names.add(e.name);
    if (typeof e.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(e.sha256)) {
      throw new ConfigError(`${where}.sha256: 64 hex chars (SHA-256 of the key) required`);
    }
    if (!Array.isArray(e.scopes) || !e.scopes.every(isScope)) {
      throw new ConfigError(`${where}.scopes: must be a list of known scopes`);
    }
    return { name: e.name, sha256: e.sha256.toLowerCase(), scopes: [...e.scopes] };
  });
}
