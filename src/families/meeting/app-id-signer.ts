import { createHmac, randomInt } from 'node:crypto';

export interface AppIdSigningInput {
  appId: string;
  appKey: string;
  userId?: string;
  /** Set only in SP (multi-enterprise) mode. */
  corpId?: string;
  /** Unix seconds after which the signature is refused (0 = never). */
  expireTime: number;
  nonce: string;
}

/**
 * The string Meeting App ID authentication signs (upstreams.md section 2): fields joined by
 * ':' with empty ones keeping their separators; SP mode puts corpId after the appId.
 */
export function appIdStringToSign(input: Omit<AppIdSigningInput, 'appKey'>): string {
  const fields = input.corpId
    ? [input.appId, input.corpId, input.userId ?? '', input.expireTime, input.nonce]
    : [input.appId, input.userId ?? '', input.expireTime, input.nonce];
  return fields.join(':');
}

/** Lower-case hex HMAC-SHA256 keyed with the App Key, as the documentation examples show. */
export function appIdSignature(input: AppIdSigningInput): string {
  return createHmac('sha256', input.appKey).update(appIdStringToSign(input), 'utf8').digest('hex');
}

/** `HMAC-SHA256 signature=<hex>,access=<base64(appId)>`, the currently documented header. */
export function appIdAuthorization(input: AppIdSigningInput): string {
  return `HMAC-SHA256 signature=${appIdSignature(input)},access=${Buffer.from(input.appId, 'utf8').toString('base64')}`;
}

const NONCE_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random nonce of 48 characters (the service takes 32-64). */
export function appIdNonce(length = 48): string {
  let nonce = '';
  for (let i = 0; i < length; i++) nonce += NONCE_ALPHABET[randomInt(NONCE_ALPHABET.length)];
  return nonce;
}
