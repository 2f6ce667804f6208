import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Server-side check of Meeting App ID authentication (upstreams.md section 2), written from the
 * spec independently of the gateway's signer so that one mistake cannot hide in both.
 */
export interface AppIdAuthBody {
  appId?: unknown;
  clientType?: unknown;
  expireTime?: unknown;
  nonce?: unknown;
  userId?: unknown;
  corpId?: unknown;
}

export interface AppIdVerifierOptions {
  appId: string;
  appKey: string;
  /** Single-enterprise apps must not send corpId (the real service fails such requests). */
  spMode: boolean;
  nowSeconds?: () => number;
}

export type AppIdVerdict = { ok: true; userId: string } | { ok: false; reason: string };

const HEADER = /^HMAC-SHA256 signature=([0-9A-Fa-f]{64})(?:,access=([A-Za-z0-9+/]+={0,2}))?$/;

export function verifyAppIdAuth(
  authorization: string | undefined,
  body: AppIdAuthBody | undefined,
  options: AppIdVerifierOptions,
): AppIdVerdict {
  if (!authorization) return { ok: false, reason: 'Authorization header missing' };
  const header = HEADER.exec(authorization);
  if (!header) return { ok: false, reason: 'Authorization header malformed' };
  if (!body || typeof body !== 'object') return { ok: false, reason: 'body missing' };
  const { appId, clientType, expireTime, nonce } = body;
  if (typeof appId !== 'string' || appId !== options.appId) return { ok: false, reason: 'unknown appId' };
  // Both header forms exist in the wild: with `,access=base64(appId)` (current docs) and without (SDKs).
  if (header[2] !== undefined && Buffer.from(header[2], 'base64').toString('utf8') !== appId) {
    return { ok: false, reason: 'access does not match appId' };
  }
  if (clientType !== 72) return { ok: false, reason: 'clientType must be 72' };
  if (typeof expireTime !== 'number' || !Number.isInteger(expireTime) || expireTime < 0) {
    return { ok: false, reason: 'expireTime must be a non-negative integer' };
  }
  const now = (options.nowSeconds ?? (() => Math.floor(Date.now() / 1000)))();
  if (expireTime !== 0 && now > expireTime) return { ok: false, reason: 'signature expired' };
  if (typeof nonce !== 'string' || nonce.length < 32 || nonce.length > 64) {
    return { ok: false, reason: 'nonce must be 32-64 characters' };
  }
  const userId = body.userId === undefined || body.userId === null ? '' : body.userId;
  const corpId = body.corpId === undefined || body.corpId === null ? '' : body.corpId;
  if (typeof userId !== 'string' || typeof corpId !== 'string')
    return { ok: false, reason: 'userId/corpId must be strings' };
  if (corpId && !options.spMode) return { ok: false, reason: 'corpId is not allowed for a single-enterprise app' };

  const parts =
    options.spMode && corpId
      ? [appId, corpId, userId, expireTime, nonce]
      : options.spMode
        ? [appId, '', userId, expireTime, nonce]
        : [appId, userId, expireTime, nonce];
  const expected = createHmac('sha256', Buffer.from(options.appKey, 'utf8')).update(parts.join(':'), 'utf8').digest();
  const presented = Buffer.from(header[1]!, 'hex');
  // Hex case is not significant: the official SDK sends upper case, the docs show lower case.
  if (!timingSafeEqual(expected, presented)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true, userId };
}
