import { createHmac } from 'node:crypto';

/** AICC "C2" auth-v2 request signing (upstreams.md section 10). */
export interface AuthV2SigningInput {
  ak: string;
  sk: string;
  method: string;
  /** Path as sent, without query. */
  path: string;
  query?: Record<string, string>;
  /** Headers to sign, by lower-case name; `host` is always among them. */
  headers: Record<string, string>;
  /** The exact body bytes that will be sent. */
  body: string;
  date: Date;
}

/** Percent-encodes every UTF-8 byte except A-Z a-z 0-9 - . _ ~ (upper-case hex). */
export function normalize(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `yyyy-MM-ddTHH:mm:ssZ` in UTC, without milliseconds (Huawei's demo). */
function authV2Timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function canonicalRequest(input: AuthV2SigningInput): string {
  const names = Object.keys(input.headers)
    .map((n) => n.toLowerCase())
    .sort();
  const lines = [input.method.toUpperCase(), input.path];
  const query = Object.entries(input.query ?? {});
  if (query.length > 0) {
    lines.push(
      query
        .map(([k, v]) => `${normalize(k)}=${normalize(v)}`)
        .sort()
        .join('&'),
    );
  }
  const lowered = Object.fromEntries(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
  lines.push(names.join(';'));
  lines.push(names.map((n) => `${normalize(n)}:${normalize(lowered[n]!.trim())}`).join('\n'));
  return `${lines.join('\n')}\n${input.body ? normalize(input.body) : ''}`;
}

/** The Authorization header value: `auth-v2/{AK}/{timestamp}/{signedHeaders}/{signature}`. */
export function authV2Authorization(input: AuthV2SigningInput): string {
  const signedHeaders = Object.keys(input.headers)
    .map((n) => n.toLowerCase())
    .sort()
    .join(';');
  const prefix = `auth-v2/${input.ak}/${authV2Timestamp(input.date)}/${signedHeaders}`;
  // The signing key is the hex string of the first HMAC, used as the key bytes of the second.
  const signingKey = createHmac('sha256', input.sk).update(prefix, 'utf8').digest('hex');
  const signature = createHmac('sha256', signingKey).update(canonicalRequest(input), 'utf8').digest('hex');
  return `${prefix}/${signature}`;
}
