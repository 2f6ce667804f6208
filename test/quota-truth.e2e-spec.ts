import Redis from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import { MEETING_SANDBOX_CREDENTIALS } from '../src/families/meeting/meeting.family';
import { expectProblem, json, KEYS, REDIS_URL, startGateway } from './support/gateway';
import { startStack, TestStack } from './support/stack';

/**
 * The activation-code quota tells the truth (contract "Meeting devices"): an attempt counts from
 * its start, is given back only when it surely did not happen (never sent, or a 4xx from
 * Meeting), stays counted when the outcome is unknown, and Meeting's own limit error exhausts
 * the SN until its window ends.
 */
describe('activation-code quota truth (real Redis, Meeting sandbox)', () => {
  let stack: TestStack;
  const reset = (sn: string) =>
    stack.gw.app.inject({
      method: 'POST',
      url: `/v1/meeting/devices/${sn}/activation-code/reset`,
      headers: { 'x-api-key': KEYS.all, 'content-type': 'application/json' },
      payload: { email: 'ops@example.com' },
    });
  const meeting = () => stack.sandbox.meeting;
  const appliedFor = (sn: string) => meeting().activationCalls.filter((c) => c.sn === sn).length;
  const remainingOf = (res: { body: string }) => json<{ quota: { remaining: number } }>(res).quota.remaining;

  /** The 429 carries Retry-After and `quota`, both saying when the oldest attempt leaves the window. */
  function expectExhausted(res: Parameters<typeof expectProblem>[0], minRetryAfter = 86_000) {
    const body = expectProblem(res, 429, 'QUOTA_EXCEEDED');
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(minRetryAfter);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    const quota = body.quota as { limit: number; remaining: number; resetsAt: string };
    expect(quota).toEqual({ limit: 5, remaining: 0, resetsAt: expect.any(String) });
    const resetsInS = (Date.parse(quota.resetsAt) - Date.now()) / 1000;
    expect(Math.abs(resetsInS - retryAfter)).toBeLessThan(5);
    return body;
  }

  beforeAll(async () => {
    stack = await startStack({ UPSTREAM_TIMEOUT_MS: '500', CIRCUIT_FAILURE_THRESHOLD: '100' });
  });
  afterAll(() => stack.close());
  afterEach(async () => {
    meeting().injector.latencyMs = 0;
    await stack.sandbox.reset();
  });

  it('a timed-out reset (Meeting slower than UPSTREAM_TIMEOUT_MS) stays counted: 6th -> 429 without an upstream call', async () => {
    const sn = 'HWSN0020';
    meeting().injector.inject({ mode: 'delay', delayMs: 1000, count: 5, target: 'business' });
    for (let i = 0; i < 5; i++) expectProblem(await reset(sn), 504, 'UPSTREAM_TIMEOUT');
    const callsBefore = meeting().injector.counters.businessCalls;
    expectExhausted(await reset(sn));
    expect(meeting().injector.counters.businessCalls).toBe(callsBefore);
    // Meeting did apply the five it received late: the gateway's count was the truth.
    await sleep(1200);
    expect(appliedFor(sn)).toBe(5);
  });

  it('a reset Meeting refuses with a 4xx is given back', async () => {
    const sn = 'HWSN0021';
    meeting().injector.inject({ mode: 'status', status: 400, count: 5, target: 'business' });
    for (let i = 0; i < 5; i++) expectProblem(await reset(sn), 422, 'UNPROCESSABLE');
    const ok = await reset(sn);
    expect(ok.statusCode).toBe(202);
    expect(remainingOf(ok)).toBe(4);
  });

  it('a reset that was never sent (no connection to Meeting) is given back', async () => {
    // A gateway whose Meeting base URL has nothing listening: connection refused.
    const gw = await startGateway({
      MEETING_BASE_URL: 'http://127.0.0.1:1',
      MEETING_APP_ID: MEETING_SANDBOX_CREDENTIALS.appId,
      MEETING_APP_KEY: MEETING_SANDBOX_CREDENTIALS.appKey,
      REDIS_KEY_PREFIX: stack.gw.prefix,
      CIRCUIT_FAILURE_THRESHOLD: '100',
    });
    try {
      const sn = 'HWSN0022';
      for (let i = 0; i < 6; i++) {
        const res = await gw.app.inject({
          method: 'POST',
          url: `/v1/meeting/devices/${sn}/activation-code/reset`,
          headers: { 'x-api-key': KEYS.all, 'content-type': 'application/json' },
          payload: { email: 'ops@example.com' },
        });
        expectProblem(res, 502, 'UPSTREAM_UNAVAILABLE');
      }
      // Six failures and nothing counted: the real gateway still has all five.
      const ok = await reset(sn);
      expect(ok.statusCode).toBe(202);
      expect(remainingOf(ok)).toBe(4);
    } finally {
      await gw.close();
    }
  });

  it('attempts stopped by an open circuit were never sent and are given back; the 5xx that opened it stay counted', async () => {
    const sn = 'HWSN0023';
    const local = await startStack({ CIRCUIT_FAILURE_THRESHOLD: '2', CIRCUIT_HALF_OPEN_AFTER_MS: '60000' });
    try {
      const post = () =>
        local.gw.app.inject({
          method: 'POST',
          url: `/v1/meeting/devices/${sn}/activation-code/reset`,
          headers: { 'x-api-key': KEYS.all, 'content-type': 'application/json' },
          payload: { email: 'ops@example.com' },
        });
      // Two 5xx open the circuit (outcome unknown: both stay counted) ...
      local.sandbox.meeting.injector.inject({ mode: 'status', status: 500, count: 2, target: 'business' });
      expectProblem(await post(), 502, 'UPSTREAM_UNAVAILABLE');
      expectProblem(await post(), 502, 'UPSTREAM_UNAVAILABLE');
      // ... then attempts meet the open circuit, are never sent and are given back.
      for (let i = 0; i < 5; i++) expectProblem(await post(), 503, 'UPSTREAM_UNAVAILABLE');
      const redis = new Redis(REDIS_URL);
      try {
        expect(await redis.zcard(`${local.gw.prefix}quota:activation:${sn}`)).toBe(2);
      } finally {
        redis.disconnect();
      }
    } finally {
      await local.close();
    }
  });

  it("Meeting's own limit error (USG.201050002) exhausts the SN until its window ends", async () => {
    const sn = 'HWSN0024';
    for (let i = 0; i < 5; i++) expect((await reset(sn)).statusCode).toBe(202);
    // The gateway loses its count (say, a Redis without persistence restarted); Meeting has not.
    const redis = new Redis(REDIS_URL);
    try {
      await redis.del(`${stack.gw.prefix}quota:activation:${sn}`);
      const limited = await reset(sn);
      const body = expectExhausted(limited);
      expect(body.upstream).toMatchObject({ service: 'meeting', code: 'USG.201050002' });
      expect(await redis.zcard(`${stack.gw.prefix}quota:activation:${sn}`)).toBe(5);
    } finally {
      redis.disconnect();
    }
    // From now on the gateway refuses by itself, without asking Meeting.
    const callsBefore = meeting().injector.counters.businessCalls;
    expectExhausted(await reset(sn));
    expect(meeting().injector.counters.businessCalls).toBe(callsBefore);
  });

  it('five attempts in flight make a 6th 429; once they are given back the slot is free again', async () => {
    const sn = 'HWSN0025';
    meeting().injector.latencyMs = 300;
    meeting().injector.inject({ mode: 'status', status: 403, count: 5, target: 'business' });
    const inFlight = Array.from({ length: 5 }, () => reset(sn));
    await sleep(100);
    const sixth = await reset(sn);
    const body = expectExhausted(sixth);
    expect(body.detail).toMatch(/in progress count/);
    const settled = await Promise.all(inFlight);
    for (const res of settled) expectProblem(res, 502, 'UPSTREAM_REJECTED');
    meeting().injector.latencyMs = 0;
    const ok = await reset(sn);
    expect(ok.statusCode).toBe(202);
    expect(remainingOf(ok)).toBe(4);
  });

  it('the 202 and the 429 agree on resetsAt: when the oldest counted attempt leaves the window', async () => {
    const sn = 'HWSN0026';
    const first = json<{ quota: { resetsAt: string } }>(await reset(sn)).quota.resetsAt;
    for (let i = 0; i < 4; i++) await reset(sn);
    const body = expectExhausted(await reset(sn));
    expect((body.quota as { resetsAt: string }).resetsAt).toBe(first);
  });
});
