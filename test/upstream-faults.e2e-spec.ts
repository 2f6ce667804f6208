import type { LightMyRequestResponse } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { FAMILIES } from '../src/families/registry';
import { expectProblem, json, KEYS } from './support/gateway';
import { startStack, TestStack } from './support/stack';

const DEADLINE_MS = 1000;
/** Every family of the registry, probed through its example read route. */
const PROBES = FAMILIES.map((f) => ({ name: f.id, route: f.exampleRead, tokens: f.cachesTokens }));

/**
 * Per family: slow answers, hangs, garbage, 5xx bursts and token revocation give only the
 * contract's 502/503/504 problems, within the deadline, and circuits open and close. Last, every
 * log line and response of the suite is scanned for secrets, tokens and passwords.
 */
describe('upstream faults, family by family', () => {
  let stack: TestStack;
  const responses: LightMyRequestResponse[] = [];

  beforeAll(async () => {
    stack = await startStack({
      UPSTREAM_TIMEOUT_MS: String(DEADLINE_MS),
      CIRCUIT_FAILURE_THRESHOLD: '3',
      CIRCUIT_HALF_OPEN_AFTER_MS: '300',
    });
  });
  afterAll(() => stack.close());

  const get = async (url: string) => {
    const res = await stack.gw.app.inject({ method: 'GET', url, headers: { 'x-api-key': KEYS.all } });
    responses.push(res);
    return res;
  };

  describe.each(PROBES)('$name', ({ name, route, tokens }) => {
    const injector = () => stack.sandbox[name].injector;

    it('answers through a slow upstream within the deadline', async () => {
      injector().inject({ mode: 'delay', delayMs: 200, count: 1, target: 'business' });
      expect((await get(route)).statusCode).toBe(200);
    });

    it('gives 504 for a hang, no later than the deadline', async () => {
      injector().inject({ mode: 'hang', count: 1, target: 'business' });
      const started = Date.now();
      expectProblem(await get(route), 504, 'UPSTREAM_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 500);
      expect((await get(route)).statusCode).toBe(200);
    });

    it('gives 502 for a malformed body', async () => {
      injector().inject({ mode: 'malformed', count: 1, target: 'business' });
      expectProblem(await get(route), 502, 'UPSTREAM_UNAVAILABLE');
      expect((await get(route)).statusCode).toBe(200);
    });

    it('opens the circuit after malformed, wrong-shaped and failed bodies: each counts as a failure', async () => {
      for (const mode of ['malformed', 'wrong-shape', 'failed-body'] as const) {
        injector().inject({ mode, count: 1, target: 'business' });
        const res = await get(route);
        expect(res.statusCode).toBe(502);
        expect(['UPSTREAM_UNAVAILABLE', 'UPSTREAM_REJECTED']).toContain(json(res).code);
      }
      const before = injector().counters.businessCalls;
      expectProblem(await get(route), 503, 'UPSTREAM_UNAVAILABLE');
      expect(injector().counters.businessCalls).toBe(before);
      await sleep(350);
      expect((await get(route)).statusCode).toBe(200);
    });

    it('opens the circuit after a 5xx burst (503, no upstream call) and closes it after a good probe', async () => {
      injector().inject({ mode: 'status', status: 500, count: 3, target: 'business' });
      for (let i = 0; i < 3; i++) expectProblem(await get(route), 502, 'UPSTREAM_UNAVAILABLE');
      const before = injector().counters.businessCalls;
      const open = await get(route);
      expectProblem(open, 503, 'UPSTREAM_UNAVAILABLE');
      expect(open.headers['retry-after']).toBe('1');
      expect(injector().counters.businessCalls).toBe(before);
      await sleep(350);
      expect((await get(route)).statusCode).toBe(200);
      expect((await get(route)).statusCode).toBe(200);
    });

    if (tokens) {
      it('recovers from revoked tokens with exactly one new token', async () => {
        const before = injector().counters.authCalls;
        await stack.sandbox[name].server.inject({ method: 'POST', url: '/__sandbox/revoke-tokens' });
        const statuses = await Promise.all(Array.from({ length: 10 }, () => get(route).then((r) => r.statusCode)));
        expect(statuses).toEqual(Array(10).fill(200));
        expect(injector().counters.authCalls - before).toBe(1);
      });
    }
  });

  it('never shows a secret, token or password in any log line or response of this suite', () => {
    const secrets = [...Object.values(KEYS), ...FAMILIES.flatMap((f) => stack.sandbox[f.id].secrets())];
    expect(stack.sandbox.meeting.issuedTokens().length).toBeGreaterThan(1);
    const haystack = [...stack.gw.logs, ...responses.map((r) => `${JSON.stringify(r.headers)}\n${r.body}`)].join('\n');
    expect(responses.length).toBeGreaterThan(30);
    for (const secret of secrets) expect(haystack).not.toContain(secret);
  });
});
