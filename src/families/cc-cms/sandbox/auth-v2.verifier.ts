import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Server-side check of the AICC "C2" `auth-v2` request signature (upstreams.md section 10),
 * written from the spec independently of the gateway's signer.
 */
export interface AuthV2Request {
  method: string;
  /** Path and query as received, e.g. `/rest/x?b=2&a=1`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: string;
}

export interface AuthV2VerifierOptions {
  credentials: Record<string, string>;
  maxSkewSeconds: number;
  nowMs?: () => number;
}

export type AuthV2Verdict = { ok: true; ak: string } | { ok: false; reason: string };

const AUTH = /^auth-v2\/([^/]+)\/(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z)\/([a-z0-9;-]+)\/([0-9a-f]{64})$/;

/** RFC 3986 unreserved characters stay; every other UTF-8 byte becomes %XX (upper case). */
function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function hmacHex(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

export function verifyAuthV2(request: AuthV2Request, options: AuthV2VerifierOptions): AuthV2Verdict {
  const header = request.headers['authorization'];
  const match = typeof header === 'string' ? AUTH.exec(header) : null;
  if (!match) return { ok: false, reason: 'Authorization is not an auth-v2 string' };
  const [, ak, timestamp, signedHeaderList, signature] = match as unknown as [string, string, string, string, string];
  const sk = options.credentials[ak];
  if (sk === undefined) return { ok: false, reason: 'unknown access key' };

  const signedAt = Date.parse(timestamp);
  const now = (options.nowMs ?? Date.now)();
  if (Number.isNaN(signedAt) || Math.abs(now - signedAt) > options.maxSkewSeconds * 1000) {
    return { ok: false, reason: 'timestamp outside the allowed clock skew' };
  }
  const names = signedHeaderList.split(';');
  const sorted = [...names].sort();
  if (names.join(';') !== sorted.join(';')) return { ok: false, reason: 'signed headers not sorted' };
  if (!names.includes('host')) return { ok: false, reason: 'host must be signed' };

  const canonicalHeaders: string[] = [];
  for (const name of names) {
    const value = request.headers[name];
    if (typeof value !== 'string') return { ok: false, reason: `signed header ${name} missing` };
    canonicalHeaders.push(`${percentEncode(name)}:${percentEncode(value.trim())}`);
  }
  const queryAt = request.url.indexOf('?');
  const path = queryAt < 0 ? request.url : request.url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : request.url.slice(queryAt + 1);
  const lines = [request.method.toUpperCase(), decodeURIComponent(path)];
  if (query) {
    const pairs = new URLSearchParams(query);
    const canonicalQuery = [...pairs]
      .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`)
      .sort()
      .join('&');
    lines.push(canonicalQuery);
  }
  lines.push(signedHeaderList, canonicalHeaders.sort().join('\n'));
  let canonical = lines.join('\n') + '\n';
  if (request.rawBody.length > 0) canonical += percentEncode(request.rawBody);

  const signingKey = hmacHex(sk, `auth-v2/${ak}/${timestamp}/${signedHeaderList}`);
  const expected = Buffer.from(hmacHex(signingKey, canonical), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return { ok: false, reason: 'signature mismatch' };
  return { ok: true, ak };
}
