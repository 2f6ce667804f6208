import { request } from 'undici';
import { appIdAuthorization, appIdNonce } from '../src/families/meeting/app-id-signer';
import { CC_MANAGEMENT_SANDBOX_CREDENTIALS } from '../src/families/cc-management/cc-management.family';
import { MEETING_SANDBOX_CREDENTIALS } from '../src/families/meeting/meeting.family';
import { startUpstreamSandbox, UpstreamSandbox } from '../src/sandbox/upstream-sandbox';

/** The sandbox over real HTTP, as the benchmark and manual users see it. */
describe('upstream sandbox', () => {
  let sandbox: UpstreamSandbox;
  beforeAll(async () => {
    sandbox = await startUpstreamSandbox({ latencyMs: 0 });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  const post = async (base: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
    const res = await request(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.statusCode, text: await res.body.text() };
  };

  const appAuth = (overrides: { appKey?: string; expireTime?: number; body?: Record<string, unknown> } = {}) => {
    const { appId, appKey } = MEETING_SANDBOX_CREDENTIALS;
    const expireTime = overrides.expireTime ?? Math.floor(Date.now() / 1000) + 600;
    const nonce = appIdNonce();
    const authorization = appIdAuthorization({ appId, appKey: overrides.appKey ?? appKey, expireTime, nonce });
    return post(
      sandbox.urls.meeting,
      '/v2/usg/acs/auth/appauth',
      { appId, clientType: 72, expireTime, nonce, ...overrides.body },
      {
        authorization,
        'x-token-type': 'LongTicket',
      },
    );
  };

  describe('Meeting App ID verifier over HTTP', () => {
    it('issues a token for a correct signature', async () => {
      const res = await appAuth();
      expect(res.status).toBe(200);
      expect(JSON.parse(res.text)).toMatchObject({
        accessToken: expect.stringMatching(/^cnr/),
        validPeriod: 43200,
        clientType: 72,
      });
    });

    it('rejects a wrong signature, an expired one and a tampered body with 401 and a USG code', async () => {
      for (const res of [
        await appAuth({ appKey: 'wrong' }),
        await appAuth({ expireTime: Math.floor(Date.now() / 1000) - 5 }),
        await appAuth({ body: { userId: 'tampered' } }),
      ]) {
        expect(res.status).toBe(401);
        expect(JSON.parse(res.text)).toMatchObject({
          error_code: expect.stringMatching(/^USG\./),
          error_msg: expect.any(String),
        });
      }
      expect(sandbox.meeting.injector.counters.rejectedSignatures).toBe(3);
    });

    it('answers userstatus with tel: numbers and string enums, and USG.000000004 for a bad token', async () => {
      const { accessToken } = JSON.parse((await appAuth()).text) as { accessToken: string };
      const ok = await post(sandbox.urls.meeting, '/v1/usg/acs/ap/userstatus', ['+991116173902'], {
        'x-access-token': accessToken,
      });
      expect(JSON.parse(ok.text)).toEqual([{ Number: 'tel:+991116173902', RegStatus: '0', CallStatus: '2' }]);
      const bad = await post(sandbox.urls.meeting, '/v1/usg/acs/ap/userstatus', ['+991116173902'], {
        'x-access-token': 'nope',
      });
      expect(bad.status).toBe(401);
      expect(JSON.parse(bad.text)).toMatchObject({ error_code: 'USG.000000004' });
    });

    it('refreshes with the refresh token', async () => {
      const { refreshToken } = JSON.parse((await appAuth()).text) as { refreshToken: string };
      const res = await request(`${sandbox.urls.meeting}/v1/usg/acs/token`, {
        method: 'PUT',
        headers: { 'x-access-token': refreshToken },
      });
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(await res.body.text())).toMatchObject({ accessToken: expect.any(String) });
    });
  });

  describe('CC-CMS and CC-Management auth', () => {
    it('rejects an unsigned CC-CMS query with 401', async () => {
      const res = await post(sandbox.urls['cc-cms'], '/rest/cmsapp/v1/openapi/uap/queryterminalstatus', {
        EID: '87800001',
      });
      expect(res.status).toBe(401);
      expect(sandbox['cc-cms'].injector.counters.rejectedSignatures).toBe(1);
    });

    it('issues tokenByAkSk tokens with string fields, capped at 3600 s, and rejects a wrong secret', async () => {
      const { appKey, appSecret } = CC_MANAGEMENT_SANDBOX_CREDENTIALS;
      const ok = await post(
        sandbox.urls['cc-management'],
        '/apigovernance/api/oauth/tokenByAkSk',
        { app_key: appKey, app_secret: appSecret },
        { 'x-token-expire': '7200' },
      );
      expect(JSON.parse(ok.text)).toMatchObject({
        ApplyType: 'Bearer',
        Expires: '3600',
        CreateTime: expect.stringMatching(/^\d+$/),
      });
      const bad = await post(sandbox.urls['cc-management'], '/apigovernance/api/oauth/tokenByAkSk', {
        app_key: appKey,
        app_secret: 'x',
      });
      expect(bad.status).toBe(401);
      const noToken = await post(
        sandbox.urls['cc-management'],
        '/apiaccess/CC-Management/v1/mobileAgent/queryCallState',
        {
          callSerialNo: '1',
        },
      );
      expect(noToken.status).toBe(401);
    });
  });

  describe('fault injection through the admin routes', () => {
    const cecToken = async () => {
      const { appKey, appSecret } = CC_MANAGEMENT_SANDBOX_CREDENTIALS;
      const res = await post(sandbox.urls['cc-management'], '/apigovernance/api/oauth/tokenByAkSk', {
        app_key: appKey,
        app_secret: appSecret,
      });
      return (JSON.parse(res.text) as { AccessToken: string }).AccessToken;
    };
    const callState = (token: string, signal?: AbortSignal) =>
      request(`${sandbox.urls['cc-management']}/apiaccess/CC-Management/v1/mobileAgent/queryCallState`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ callSerialNo: '645735364434067472' }),
        signal,
      });
    const fault = (body: unknown) => post(sandbox.urls['cc-management'], '/__sandbox/faults', body);

    it('status: the next N answers fail with that status, then normal service resumes', async () => {
      const token = await cecToken();
      await fault({ mode: 'status', status: 503, count: 2 });
      expect((await callState(token)).statusCode).toBe(503);
      expect((await callState(token)).statusCode).toBe(503);
      expect((await callState(token)).statusCode).toBe(200);
    });

    it('delay: the answer comes late', async () => {
      const token = await cecToken();
      await fault({ mode: 'delay', delayMs: 200 });
      const started = Date.now();
      expect((await callState(token)).statusCode).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    });

    it('hang: no answer until the client gives up', async () => {
      const token = await cecToken();
      await fault({ mode: 'hang' });
      await expect(callState(token, AbortSignal.timeout(200))).rejects.toThrow();
    });

    it('malformed: a 200 whose body is not JSON', async () => {
      const token = await cecToken();
      await fault({ mode: 'malformed' });
      const res = await callState(token);
      expect(res.statusCode).toBe(200);
      const text = await res.body.text();
      expect(text.length).toBeGreaterThan(0);
      expect(() => JSON.parse(text)).toThrow();
    });

    it('revoke-tokens: issued tokens stop working; counters and latency are readable and settable', async () => {
      const token = await cecToken();
      await post(sandbox.urls['cc-management'], '/__sandbox/revoke-tokens', {});
      expect((await callState(token)).statusCode).toBe(401);
      const latency = await post(sandbox.urls['cc-management'], '/__sandbox/latency', { latencyMs: 0 });
      expect(JSON.parse(latency.text)).toEqual({ latencyMs: 0 });
      const counters = JSON.parse(
        await (await request(`${sandbox.urls['cc-management']}/__sandbox/counters`)).body.text(),
      );
      expect(counters).toMatchObject({ authCalls: 1, businessCalls: 1, maxInFlight: expect.any(Number) });
    });

    it('auth-targeted faults hit only the auth endpoint', async () => {
      await fault({ mode: 'status', status: 500, target: 'auth' });
      const { appKey, appSecret } = CC_MANAGEMENT_SANDBOX_CREDENTIALS;
      const res = await post(sandbox.urls['cc-management'], '/apigovernance/api/oauth/tokenByAkSk', {
        app_key: appKey,
        app_secret: appSecret,
      });
      expect(res.status).toBe(500);
    });
  });
});
