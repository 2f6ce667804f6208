import { verifyAuthV2 } from './sandbox/auth-v2.verifier';
import { authV2Authorization, canonicalRequest, normalize } from './auth-v2-signer';

// The computed vector from upstreams.md section 10.
const vector = {
  ak: 'example-ak',
  sk: 'example-sk',
  method: 'POST',
  path: '/rest/cmsapp/v1/openapi/uap/queryterminalstatus',
  headers: { host: '10.22.26.181:28080' },
  body: '{"EID":"8780001","limit":10,"offset":0}',
  date: new Date('2024-01-02T03:04:05Z'),
};

describe('auth-v2 signer', () => {
  it('builds the canonical request of the spec vector', () => {
    expect(canonicalRequest(vector)).toBe(
      'POST\n/rest/cmsapp/v1/openapi/uap/queryterminalstatus\nhost\nhost:10.22.26.181%3A28080\n' +
        '%7B%22EID%22%3A%228780001%22%2C%22limit%22%3A10%2C%22offset%22%3A0%7D',
    );
  });

  it('produces the Authorization of the spec vector', () => {
    expect(authV2Authorization(vector)).toBe(
      'auth-v2/example-ak/2024-01-02T03:04:05Z/host/d9d2583d2b226a77bc1b54fa2f473385ee00f0fd7dad2c539da226735d502d6f',
    );
  });

  it('percent-encodes every byte but the unreserved set, in upper-case hex', () => {
    expect(normalize("a-Z_0.~ !*'()/:é")).toBe('a-Z_0.~%20%21%2A%27%28%29%2F%3A%C3%A9');
  });

  it('adds a sorted query line only when there is a query', () => {
    const withQuery = canonicalRequest({ ...vector, query: { b: '2 3', a: 'x/y' } });
    expect(withQuery.split('\n')[2]).toBe('a=x%2Fy&b=2%203');
  });

  it('ends with a bare newline when the body is empty', () => {
    expect(canonicalRequest({ ...vector, method: 'GET', body: '' })).toMatch(/host:10\.22\.26\.181%3A28080\n$/);
  });
});

describe('sandbox auth-v2 verifier (independent of the signer)', () => {
  const credentials = { 'example-ak': 'example-sk' };
  const now = () => Date.parse('2024-01-02T03:05:00Z');
  const request = (overrides: Partial<{ body: string; url: string; authorization: string; host: string }> = {}) => {
    const authorization = overrides.authorization ?? authV2Authorization(vector);
    return {
      method: 'POST',
      url: overrides.url ?? vector.path,
      headers: { host: overrides.host ?? '10.22.26.181:28080', authorization },
      rawBody: overrides.body ?? vector.body,
    };
  };

  it('accepts the spec vector', () => {
    expect(verifyAuthV2(request(), { credentials, maxSkewSeconds: 900, nowMs: now })).toEqual({
      ok: true,
      ak: 'example-ak',
    });
  });

  it('accepts a non-ASCII body and a query string signed by the signer', () => {
    const body = '{"EID":"8780*","note":"终端 ü"}';
    const authorization = authV2Authorization({ ...vector, body, query: { a: '1', b: 'x y' } });
    const verdict = verifyAuthV2(request({ body, authorization, url: `${vector.path}?b=x%20y&a=1` }), {
      credentials,
      maxSkewSeconds: 900,
      nowMs: now,
    });
    expect(verdict.ok).toBe(true);
  });

  it('rejects a tampered body, a wrong host, a wrong key and an expired timestamp', () => {
    const options = { credentials, maxSkewSeconds: 900, nowMs: now };
    expect(verifyAuthV2(request({ body: vector.body.replace('10', '11') }), options)).toEqual({
      ok: false,
      reason: 'signature mismatch',
    });
    expect(verifyAuthV2(request({ host: '10.22.26.181:28081' }), options).ok).toBe(false);
    const wrongKey = authV2Authorization({ ...vector, sk: 'other' });
    expect(verifyAuthV2(request({ authorization: wrongKey }), options).ok).toBe(false);
    expect(verifyAuthV2(request(), { ...options, nowMs: () => Date.parse('2024-01-02T04:00:00Z') })).toEqual({
      ok: false,
      reason: 'timestamp outside the allowed clock skew',
    });
  });
});
