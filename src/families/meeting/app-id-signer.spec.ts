import { appIdAuthorization, appIdNonce, appIdSignature, appIdStringToSign } from './app-id-signer';
import { verifyAppIdAuth } from './sandbox/app-id.verifier';

// Vectors from upstreams.md section 2 (published access example; signatures computed there from the documented rule).
const APP_ID = 'fdb8e4699586458bbd10c834872dcc62';
const NONCE = 'EycLQsHwxhzK9OW8UEKWNfH2I3CGR2nINuU1EBpv162d42d92s';
const base = { appId: APP_ID, appKey: 'example-app-key', expireTime: 1627722929, nonce: NONCE };

describe('Meeting App ID signer', () => {
  it('matches the computed vector for a user', () => {
    expect(appIdSignature({ ...base, userId: 'testuser@mycorp.com' })).toBe(
      '40d0d297dc16f6750a3a98422c29f83b8c17196f082c34fd9b410935f0863281',
    );
  });

  it('matches the computed vector for the enterprise admin (empty userId keeps its colon)', () => {
    expect(appIdStringToSign(base)).toBe(`${APP_ID}::1627722929:${NONCE}`);
    expect(appIdSignature(base)).toBe('abd27547e269bcf7a0dedc2392a93c4731d8643e8758b7e7f01546e913538bbf');
  });

  it('uses the published base64 of the appId as access', () => {
    expect(appIdAuthorization(base)).toMatch(/,access=ZmRiOGU0Njk5NTg2NDU4YmJkMTBjODM0ODcyZGNjNjI=$/);
  });

  it('puts corpId after the appId in SP mode', () => {
    expect(appIdStringToSign({ ...base, corpId: 'corp1' })).toBe(`${APP_ID}:corp1::1627722929:${NONCE}`);
    expect(appIdStringToSign({ ...base, corpId: 'corp1', userId: 'u' })).toBe(`${APP_ID}:corp1:u:1627722929:${NONCE}`);
  });

  it('makes nonces of 48 random characters', () => {
    const a = appIdNonce();
    expect(a).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(appIdNonce()).not.toBe(a);
  });
});

describe('sandbox App ID verifier (independent of the signer)', () => {
  const options = { appId: APP_ID, appKey: 'example-app-key', spMode: false, nowSeconds: () => 1627722000 };
  const body = { appId: APP_ID, clientType: 72, expireTime: 1627722929, nonce: NONCE, userId: 'testuser@mycorp.com' };
  const good = appIdAuthorization({ ...base, userId: 'testuser@mycorp.com' });

  it('accepts a correct signature in both header forms and either hex case', () => {
    expect(verifyAppIdAuth(good, body, options)).toEqual({ ok: true, userId: 'testuser@mycorp.com' });
    const legacy = `HMAC-SHA256 signature=${appIdSignature({ ...base, userId: 'testuser@mycorp.com' }).toUpperCase()}`;
    expect(verifyAppIdAuth(legacy, body, options).ok).toBe(true);
  });

  it('rejects a wrong signature', () => {
    const wrong = appIdAuthorization({ ...base, appKey: 'other-key', userId: 'testuser@mycorp.com' });
    expect(verifyAppIdAuth(wrong, body, options)).toEqual({ ok: false, reason: 'signature mismatch' });
  });

  it('rejects an expired signature', () => {
    expect(verifyAppIdAuth(good, body, { ...options, nowSeconds: () => 1627722930 })).toEqual({
      ok: false,
      reason: 'signature expired',
    });
  });

  it('rejects a body that differs from what was signed', () => {
    expect(verifyAppIdAuth(good, { ...body, userId: 'someone-else' }, options).ok).toBe(false);
    expect(verifyAppIdAuth(good, { ...body, nonce: NONCE.slice(0, 20) }, options)).toEqual({
      ok: false,
      reason: 'nonce must be 32-64 characters',
    });
  });

  it('rejects an access value that is not the appId, and corpId for a single-enterprise app', () => {
    const badAccess = good.replace(/access=.*$/, `access=${Buffer.from('other').toString('base64')}`);
    expect(verifyAppIdAuth(badAccess, body, options).ok).toBe(false);
    expect(verifyAppIdAuth(good, { ...body, corpId: 'c' }, options).ok).toBe(false);
  });
});
