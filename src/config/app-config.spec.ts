import { randomBytes } from 'node:crypto';
import { loadConfig } from './app-config';
import { ConfigError } from './environment';

const KEY = randomBytes(32).toString('base64');
const SHA = 'a'.repeat(64);
const base = { REDIS_URL: 'redis://127.0.0.1:6379' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 3000,
      mode: 'live',
      redisKeyPrefix: 'cgw:',
      upstreamTimeoutMs: 10000,
      logLevel: 'info',
      apiKeys: [],
      clientTimeoutMs: 10000,
      shutdownGraceMs: 10000,
      corsOrigins: [],
      metricsToken: undefined,
      authFailuresPerMinute: 60,
      maxConnections: 10000,
    });
    expect(config.families).toEqual({ meeting: undefined, 'cc-cms': undefined, 'cc-management': undefined });
  });

  it.each([
    [{ PORT: 'abc' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL/],
    [{ UPSTREAM_MODE: 'mock' }, /UPSTREAM_MODE/],
    [{ UPSTREAM_TIMEOUT_MS: '10' }, /UPSTREAM_TIMEOUT_MS/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ CLIENT_TIMEOUT_MS: '50' }, /CLIENT_TIMEOUT_MS/],
    [{ SHUTDOWN_GRACE_MS: '-1' }, /SHUTDOWN_GRACE_MS/],
    [{ AUTH_FAILURES_PER_MINUTE: '0' }, /AUTH_FAILURES_PER_MINUTE/],
    [{ MAX_CONNECTIONS: 'many' }, /MAX_CONNECTIONS/],
    [{ METRICS_TOKEN: 'short' }, /METRICS_TOKEN/],
    [{ CORS_ORIGINS: '*' }, /CORS_ORIGINS: "\*"/],
    [{ CORS_ORIGINS: 'https://app.example.com/' }, /CORS_ORIGINS/],
    [{ CORS_ORIGINS: 'https://app.example.com,ftp://files.example.com' }, /CORS_ORIGINS: "ftp/],
    [{ MEETING_BASE_URL: 'not a url' }, /MEETING_BASE_URL/],
    [{ TOKEN_ENCRYPTION_KEY: Buffer.alloc(16).toString('base64') }, /TOKEN_ENCRYPTION_KEY/],
    [{ API_KEYS: '{oops' }, /API_KEYS: not valid JSON/],
    [{ API_KEYS: '{}' }, /API_KEYS: must be a JSON array/],
    [{ API_KEYS: JSON.stringify([{ name: 'a', sha256: 'xyz', scopes: [] }]) }, /API_KEYS\[0\]\.sha256/],
    [{ API_KEYS: JSON.stringify([{ name: 'a', sha256: SHA, scopes: ['root'] }]) }, /API_KEYS\[0\]\.scopes/],
    [{ API_KEYS_FILE: '/nonexistent/keys.json' }, /API_KEYS_FILE/],
    [{ MEETING_BASE_URL: 'https://api.meeting.example', MEETING_APP_ID: 'id' }, /MEETING_APP_KEY/],
    [
      { CCMS_BASE_URL: 'https://10.0.0.1:28443', CCMS_AK: 'ak', CCMS_SK: 'sk', CCMS_CA_FILE: '/nonexistent.pem' },
      /CCMS_CA_FILE/,
    ],
  ])('rejects %j naming the variable', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });

  it('reads the hardening variables', () => {
    const config = loadConfig({
      ...base,
      CLIENT_TIMEOUT_MS: '2500',
      SHUTDOWN_GRACE_MS: '0',
      CORS_ORIGINS: 'https://app.example.com, http://localhost:5173',
      METRICS_TOKEN: 'abcdefghijklmnop0123',
      AUTH_FAILURES_PER_MINUTE: '7',
      MAX_CONNECTIONS: '500',
    });
    expect(config).toMatchObject({
      clientTimeoutMs: 2500,
      shutdownGraceMs: 0,
      corsOrigins: ['https://app.example.com', 'http://localhost:5173'],
      metricsToken: 'abcdefghijklmnop0123',
      authFailuresPerMinute: 7,
      maxConnections: 500,
    });
  });

  it('requires REDIS_URL in live mode only', () => {
    expect(() => loadConfig({})).toThrow(/REDIS_URL/);
    expect(loadConfig({ UPSTREAM_MODE: 'sandbox' }).redisUrl).toBeUndefined();
  });

  it('requires TOKEN_ENCRYPTION_KEY once a token-based family is configured', () => {
    const meeting = { MEETING_BASE_URL: 'https://api.meeting.example', MEETING_APP_ID: 'id', MEETING_APP_KEY: 'k' };
    expect(() => loadConfig({ ...base, ...meeting })).toThrow(/TOKEN_ENCRYPTION_KEY/);
    const config = loadConfig({ ...base, ...meeting, TOKEN_ENCRYPTION_KEY: KEY });
    expect(config.families.meeting).toEqual({ baseUrl: 'https://api.meeting.example', appId: 'id', appKey: 'k' });
    expect(config.tokenEncryptionKey).toHaveLength(32);
  });

  it('reports every bad variable in one error', () => {
    const attempt = () =>
      loadConfig({
        PORT: 'abc',
        LOG_LEVEL: 'loud',
        CCMS_BASE_URL: 'https://10.0.0.1:28443',
        CEC_AK: 'ak',
        API_KEYS: '{}',
      });
    expect(attempt).toThrow(ConfigError);
    const message = (() => {
      try {
        attempt();
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    for (const name of [
      'PORT',
      'LOG_LEVEL',
      'REDIS_URL',
      'CCMS_AK',
      'CCMS_SK',
      'CEC_BASE_URL',
      'CEC_APP_KEY',
      'API_KEYS',
    ]) {
      expect(message).toMatch(new RegExp(`^  ${name}: `, 'm'));
    }
  });

  it('reports one message per bad variable', () => {
    const message = (() => {
      try {
        loadConfig({ ...base, PORT: 'abc', TOKEN_ENCRYPTION_KEY: 'not base64!' });
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    expect(message.match(/^ {2}PORT: /gm)).toHaveLength(1);
    expect(message).toMatch(/^ {2}PORT: .*must be an integer/m);
    expect(message.match(/^ {2}TOKEN_ENCRYPTION_KEY: /gm)).toHaveLength(1);
  });

  it('parses API keys with their scopes', () => {
    const config = loadConfig({
      ...base,
      API_KEYS: JSON.stringify([{ name: 'partner-a', sha256: SHA.toUpperCase(), scopes: ['cc.calls:read'] }]),
    });
    expect(config.apiKeys).toEqual([{ name: 'partner-a', sha256: SHA, scopes: ['cc.calls:read'] }]);
  });
});
