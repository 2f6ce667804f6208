import { isScope, Scope } from '../auth/scopes';
import { FAMILIES, Family, FamilySettings } from '../families/registry';
import { ConfigError, Environment, readFileNamed, validateVariables } from './environment';

interface ApiKeyRecord {
  name: string;
  sha256: string;
  scopes: Scope[];
}

interface RedisSentinelConfig {
  sentinels: { host: string; port: number }[];
  name: string;
}

export interface AppConfig {
  port: number;
  mode: 'live' | 'sandbox';
  /** Undefined with Sentinel, or in sandbox mode (where an in-process store stands in). */
  redisUrl?: string;
  /** Redis behind Sentinel: the gateway asks them for the master and follows failovers. */
  redisSentinel?: RedisSentinelConfig;
  redisKeyPrefix: string;
  upstreamTimeoutMs: number;
  /** A client must send its whole request (headers and body) within this. */
  clientTimeoutMs: number;
  /** On SIGTERM, how long requests in flight get before every connection is closed. */
  shutdownGraceMs: number;
  /** Exact origins allowed to call the API from a browser; empty: no CORS headers at all. */
  corsOrigins: string[];
  /** When set, GET /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string;
  /** Failed authentications per client address per minute before 429. */
  authFailuresPerMinute: number;
  /** Open client connections one process accepts; beyond, new connections are dropped. */
  maxConnections: number;
  /** Freshness of the shared status cache; 0 = off. */
  statusCacheTtlMs: number;
  /** OTLP/HTTP endpoint for traces; undefined = not exported. */
  otlpEndpoint?: string;
  /** Watch streams: shared poll interval and open streams per API key. */
  statusPollIntervalMs: number;
  streamsPerKey: number;
  logLevel: string;
  rateLimitPerMinute: number;
  /** Audit entries kept in Redis. */
  auditMaxEntries: number;
  circuit: { failureThreshold: number; halfOpenAfterMs: number };
  apiKeys: ApiKeyRecord[];
  tokenEncryptionKey?: Buffer;
  /** Settings of each upstream family; undefined where the family is not configured. */
  families: FamilySettings;
}

/**
 * Reads, validates and resolves the whole configuration. Every missing or malformed variable is
 * collected first and reported together in one ConfigError.
 */
export function loadConfig(raw: NodeJS.ProcessEnv = process.env): AppConfig {
  const errors: string[] = [];
  const env = validateVariables(Environment, raw, errors);
  const mode = env.UPSTREAM_MODE ?? 'live';
  const redisSentinel = parseSentinels(env, errors);
  if (mode === 'live' && !env.REDIS_URL && !redisSentinel) {
    errors.push('REDIS_URL: required unless UPSTREAM_MODE=sandbox or REDIS_SENTINELS is set');
  }
  if (env.REDIS_URL && redisSentinel) errors.push('REDIS_URL: set either REDIS_URL or REDIS_SENTINELS, not both');
  const families = Object.fromEntries(FAMILIES.map((f) => [f.id, familySettings(f, raw, errors)])) as FamilySettings;
  // A value its schema already refused (not base64) is reported once, not again for its length.
  const keyRefused = errors.some((line) => line.startsWith('TOKEN_ENCRYPTION_KEY:'));
  const tokenEncryptionKey = keyRefused ? undefined : parseEncryptionKey(env.TOKEN_ENCRYPTION_KEY, errors);
  const tokenFamilies = FAMILIES.filter((f) => f.cachesTokens && families[f.id]).map((f) => f.title);
  if (!env.TOKEN_ENCRYPTION_KEY && tokenFamilies.length > 0) {
    errors.push(`TOKEN_ENCRYPTION_KEY: required when ${tokenFamilies.join(' or ')} is configured`);
  }
  const apiKeys = parseApiKeys(env, errors);
  const corsOrigins = parseOrigins(env.CORS_ORIGINS, errors);
  if (errors.length > 0) throw new ConfigError(`Invalid configuration:\n  ${errors.join('\n  ')}`);
  return {
    port: env.PORT ?? 3000,
    mode,
    redisUrl: env.REDIS_URL,
    redisSentinel,
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'cgw:',
    upstreamTimeoutMs: env.UPSTREAM_TIMEOUT_MS ?? 10_000,
    clientTimeoutMs: env.CLIENT_TIMEOUT_MS ?? 10_000,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS ?? 10_000,
    corsOrigins,
    metricsToken: env.METRICS_TOKEN,
    authFailuresPerMinute: env.AUTH_FAILURES_PER_MINUTE ?? 60,
    maxConnections: env.MAX_CONNECTIONS ?? 10_000,
    statusCacheTtlMs: env.STATUS_CACHE_TTL_MS ?? 2000,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    statusPollIntervalMs: env.STATUS_POLL_INTERVAL_MS ?? 5000,
    streamsPerKey: env.STREAMS_PER_KEY ?? 20,
    logLevel: env.LOG_LEVEL ?? 'info',
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE ?? 600,
    auditMaxEntries: env.AUDIT_MAX_ENTRIES ?? 100_000,
    circuit: {
      failureThreshold: env.CIRCUIT_FAILURE_THRESHOLD ?? 5,
      halfOpenAfterMs: env.CIRCUIT_HALF_OPEN_AFTER_MS ?? 10_000,
    },
    apiKeys,
    tokenEncryptionKey,
    families,
  };
}

/**
 * A family is either absent (none of its required variables set: its routes answer 503) or
 * complete; half a configuration is an operator mistake and stops start-up.
 */
function familySettings(family: Family, raw: NodeJS.ProcessEnv, errors: string[]): unknown {
  const before = errors.length;
  const schema: new () => object = family.environment;
  const env = validateVariables(schema, raw, errors) as Record<string, unknown>;
  const missing = family.requiredVariables.filter((name) => !env[name]);
  if (missing.length === family.requiredVariables.length) return undefined;
  for (const name of missing) errors.push(`${name}: required when other ${family.title} variables are set`);
  const settings = family.settings(env, errors);
  return errors.length === before ? settings : undefined;
}

/** `https://app.example.com,http://localhost:5173`: exact origins (scheme, host, port; no path). */
function parseOrigins(value: string | undefined, errors: string[]): string[] {
  if (!value) return [];
  const origins: string[] = [];
  for (const item of value.split(',').map((o) => o.trim())) {
    let origin: string | undefined;
    try {
      const url = new URL(item);
      if (url.protocol === 'http:' || url.protocol === 'https:') origin = url.origin;
    } catch {
      // reported below
    }
    if (origin === item) origins.push(origin);
    else errors.push(`CORS_ORIGINS: "${item}" is not an exact origin such as https://app.example.com`);
  }
  return origins;
}

function parseSentinels(env: Environment, errors: string[]): RedisSentinelConfig | undefined {
  if (!env.REDIS_SENTINELS && !env.REDIS_SENTINEL_NAME) return undefined;
  if (!env.REDIS_SENTINELS || !env.REDIS_SENTINEL_NAME) {
    errors.push(`${env.REDIS_SENTINELS ? 'REDIS_SENTINEL_NAME' : 'REDIS_SENTINELS'}: required with the other`);
    return undefined;
  }
  const sentinels = env.REDIS_SENTINELS.split(',').map((hostPort) => {
    const at = hostPort.lastIndexOf(':');
    return { host: hostPort.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(at + 1)) };
  });
  return { sentinels, name: env.REDIS_SENTINEL_NAME };
}

function parseEncryptionKey(value: string | undefined, errors: string[]): Buffer | undefined {
  if (!value) return undefined;
  const key = Buffer.from(value, 'base64');
  if (key.length === 32) return key;
  errors.push('TOKEN_ENCRYPTION_KEY: must be 32 bytes, base64-encoded');
  return undefined;
}

function parseApiKeys(env: Environment, errors: string[]): ApiKeyRecord[] {
  const variable = env.API_KEYS ? 'API_KEYS' : env.API_KEYS_FILE ? 'API_KEYS_FILE' : undefined;
  if (!variable) return [];
  const text = env.API_KEYS ?? readFileNamed('API_KEYS_FILE', env.API_KEYS_FILE!, errors);
  if (text === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    errors.push(`${variable}: not valid JSON`);
    return [];
  }
  if (!Array.isArray(parsed)) {
    errors.push(`${variable}: must be a JSON array`);
    return [];
  }
  const names = new Set<string>();
  const keys: ApiKeyRecord[] = [];
  parsed.forEach((entry: unknown, i) => {
    const e = entry as Partial<ApiKeyRecord> | null;
    const where = `${variable}[${i}]`;
    const before = errors.length;
    if (!e || typeof e.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(e.name)) {
      errors.push(`${where}.name: 1-64 chars of [A-Za-z0-9._-] required`);
    } else if (names.has(e.name)) {
      errors.push(`${where}.name: duplicate name ${e.name}`);
    }
    if (typeof e?.sha256 !== 'string' || !/^[0-9a-fA-F]{64}$/.test(e.sha256)) {
      errors.push(`${where}.sha256: 64 hex chars (SHA-256 of the key) required`);
    }
    if (!Array.isArray(e?.scopes) || !e.scopes.every(isScope)) {
      errors.push(`${where}.scopes: must be a list of known scopes`);
    }
    if (errors.length > before) return;
    names.add(e!.name!);
    keys.push({ name: e!.name!, sha256: e!.sha256!.toLowerCase(), scopes: [...e!.scopes!] });
  });
  return keys;
}

/** What a running but useless configuration lacks (logged at start-up, shown by readiness). */
export function configurationWarnings(config: AppConfig): string[] {
  const warnings: string[] = [];
  if (Object.values(config.families).every((settings) => settings === undefined)) {
    warnings.push('no upstream family is configured: every family route answers 503 UPSTREAM_UNAVAILABLE');
  }
  if (config.apiKeys.length === 0) {
    warnings.push('no API key is configured in API_KEYS or API_KEYS_FILE');
  }
  return warnings;
}
