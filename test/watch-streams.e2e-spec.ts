import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { sandboxEnvironment, startUpstreamSandbox, UpstreamSandbox } from '../src/sandbox/upstream-sandbox';
import { dropPrefix, KEYS, startGateway, TestGateway, uniquePrefix } from './support/gateway';
import { GatewayProcess, replicaEnv, startGatewayProcess } from './support/processes';
import { openSse, SseClient, until } from './support/sse';

const INTERVAL_MS = 2000;
const NUMBERS = Array.from({ length: 50 }, (_, i) => `+99111617${3950 + i}`);
const streamPath = `/v1/meeting/terminals/statuses/stream?numbers=${NUMBERS.map(encodeURIComponent).join(',')}`;

/**
 * Watch streams on three real gateway processes sharing one Redis: polling costs depend on what
 * is watched, not on how many watch; changes reach every stream; a killed replica's share is
 * taken over; polling stops when nobody watches.
 */
describe('watch streams over three gateway processes', () => {
  let sandbox: UpstreamSandbox;
  let gateways: GatewayProcess[];
  const prefix = uniquePrefix();
  let streams: SseClient[] = [];

  beforeAll(async () => {
    sandbox = await startUpstreamSandbox({ latencyMs: 0 });
    const env = replicaEnv(sandbox, prefix, {
      RATE_LIMIT_PER_MINUTE: '100000',
      STATUS_POLL_INTERVAL_MS: String(INTERVAL_MS),
      STATUS_CACHE_TTL_MS: '1000',
      STREAMS_PER_KEY: '1000',
    });
    gateways = await Promise.all([1, 2, 3].map(() => startGatewayProcess(env)));
  }, 60000);

  afterAll(async () => {
    for (const s of streams) s.close();
    await Promise.all((gateways ?? []).map((g) => g.stop()));
    await sandbox?.close();
    await dropPrefix(prefix);
  });

  const calls = () => sandbox.meeting.injector.counters.businessCalls;
  const statusesOf = (s: SseClient, id: string) => s.events.filter((e) => e.event === 'status' && e.data.id === id);

  it('serves 300 streams on the same 50 numbers for 10 s with at most (10 s / interval + 1) x 2 upstream calls', async () => {
    const before = calls();
    const started = Date.now();
    streams = await Promise.all(
      Array.from({ length: 300 }, (_, i) => openSse(`${gateways[i % 3]!.url}${streamPath}`, { 'x-api-key': KEYS.all })),
    );
    expect(streams.map((s) => s.status)).toEqual(Array(300).fill(200));
    expect(streams[0]!.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(streams[0]!.headers['cache-control']).toBe('no-store');
    expect(streams[0]!.headers['x-request-id']).toBeTruthy();
    // Every stream gets the first state of every number, in order of arrival, numbered from 1.
    await until(() => streams.every((s) => s.events.length >= 50), 3 * INTERVAL_MS, 'first states');
    expect(new Set(streams[7]!.events.slice(0, 50).map((e) => e.data.id))).toEqual(new Set(NUMBERS));
    expect(streams[7]!.events.slice(0, 50).map((e) => Number(e.id))).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    await sleep(10_000 - (Date.now() - started));
    const budget = (10_000 / INTERVAL_MS + 1) * 2;
    expect(calls() - before).toBeLessThanOrEqual(budget);
    // No state changed, so nothing more than the first states was sent.
    expect(streams.every((s) => s.events.length === 50)).toBe(true);
  }, 30000);

  it('delivers a state change to every stream within two intervals', async () => {
    sandbox.meeting.setTerminal(NUMBERS[3]!, { regStatus: '1', callStatus: '0' });
    const took = await until(
      () => streams.every((s) => statusesOf(s, NUMBERS[3]!).some((e) => e.data.registration === 'unregistered')),
      2 * INTERVAL_MS + 1000,
      'the change on every stream',
    );
    expect(took).toBeLessThanOrEqual(2 * INTERVAL_MS + 1000);
    const event = statusesOf(streams[0]!, NUMBERS[3]!).at(-1)!;
    expect(event.data).toMatchObject({ source: 'meeting', registration: 'unregistered', call: 'offline' });
  });

  it('keeps updating the other replicas after one is killed with SIGKILL', async () => {
    gateways[0]!.child.kill('SIGKILL');
    await new Promise((r) => gateways[0]!.child.once('exit', r));
    sandbox.meeting.setTerminal(NUMBERS[4]!, { regStatus: '1', callStatus: '2' });
    const survivors = streams.filter((_, i) => i % 3 !== 0);
    // The dead replica may hold the lease: it lapses within one interval, then another polls.
    await until(
      () => survivors.every((s) => statusesOf(s, NUMBERS[4]!).some((e) => e.data.call === 'in_call')),
      3 * INTERVAL_MS + 1000,
      'the change on every surviving stream',
    );
  }, 20000);

  it('stops polling within two intervals after the last stream closes', async () => {
    for (const s of streams) s.close();
    streams = [];
    await sleep(2 * INTERVAL_MS + 500);
    const before = calls();
    await sleep(2 * INTERVAL_MS);
    expect(calls()).toBe(before);
  }, 20000);
});

describe('watch streams on one gateway', () => {
  let sandbox: UpstreamSandbox;
  const gws: TestGateway[] = [];
  const prefix = uniquePrefix();

  beforeAll(async () => {
    sandbox = await startUpstreamSandbox({ latencyMs: 0 });
  });
  afterAll(async () => {
    await Promise.all(gws.map((g) => g.close()));
    await sandbox.close();
    await dropPrefix(prefix);
  });

  async function gateway(env: Record<string, string> = {}): Promise<string> {
    const gw = await startGateway({
      ...sandboxEnvironment(sandbox),
      REDIS_KEY_PREFIX: prefix,
      STATUS_POLL_INTERVAL_MS: '1000',
      ...env,
    });
    gws.push(gw);
    await (gw.app as NestFastifyApplication).listen({ port: 0, host: '127.0.0.1' });
    const { port } = gw.app.getHttpServer().address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  it('limits open streams per API key across replicas with 429 RATE_LIMITED', async () => {
    const [a, b] = [await gateway({ STREAMS_PER_KEY: '2' }), await gateway({ STREAMS_PER_KEY: '2' })];
    const path = '/v1/contact-center/calls/645735364434067471/stream';
    const headers = { 'x-api-key': KEYS.all };
    const first = await openSse(`${a}${path}`, headers);
    const second = await openSse(`${b}${path}`, headers);
    const third = await openSse(`${a}${path}`, headers);
    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    await third.ended;
    expect(third.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(third.headers['retry-after']).toBeDefined();
    expect(JSON.parse(third.body!)).toMatchObject({ code: 'RATE_LIMITED', status: 429 });
    first.close();
    await sleep(100);
    const again = await openSse(`${b}${path}`, headers);
    expect(again.status).toBe(200);
    second.close();
    again.close();
  });

  it('answers bad input and a missing scope with ordinary problems before any stream starts', async () => {
    const url = await gateway();
    const rawPlus = await openSse(`${url}/v1/meeting/terminals/statuses/stream?numbers=+991116173901`, {
      'x-api-key': KEYS.all,
    });
    expect(rawPlus.status).toBe(400);
    await rawPlus.ended;
    expect(JSON.parse(rawPlus.body!)).toMatchObject({ code: 'VALIDATION_FAILED' });
    const noScope = await openSse(`${url}/v1/contact-center/terminals/stream?eid=87800001`, {
      'x-api-key': KEYS.meetingRead,
    });
    expect(noScope.status).toBe(403);
    const sweep = await openSse(`${url}/v1/contact-center/terminals/stream?eid=87*`, { 'x-api-key': KEYS.all });
    expect(sweep.status).toBe(400);
  });

  it('ends a call stream after the event that reports ended, and reports missing for an unknown call', async () => {
    const url = await gateway();
    const ended = await openSse(`${url}/v1/contact-center/calls/645735364434067472/stream`, { 'x-api-key': KEYS.all });
    await ended.ended;
    expect(ended.events.map((e) => [e.event, e.data.state])).toEqual([['status', 'ended']]);
    const unknown = await openSse(`${url}/v1/contact-center/calls/123/stream`, { 'x-api-key': KEYS.all });
    await until(() => unknown.events.length > 0, 3000, 'missing');
    expect(unknown.events[0]).toMatchObject({ event: 'missing', data: { id: '123' } });
    unknown.close();
  });

  it('turns a failed poll into a problem event and keeps the stream open', async () => {
    const url = await gateway();
    const stream = await openSse(`${url}/v1/contact-center/terminals/stream?eid=8780000%3F`, { 'x-api-key': KEYS.all });
    await until(() => stream.events.length >= 10, 3000, 'first states');
    expect(stream.events.every((e) => e.event === 'status' && e.data.source === 'cc-cms')).toBe(true);
    sandbox['cc-cms'].injector.inject({ mode: 'status', status: 500, count: 100, target: 'business' });
    await until(() => stream.events.some((e) => e.event === 'problem'), 4000, 'a problem event');
    const problem = stream.events.find((e) => e.event === 'problem')!;
    expect(problem.data).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', status: 502 });
    expect(problem.data.type).toBeTruthy();
    sandbox['cc-cms'].injector.reset();
    const open = await Promise.race([stream.ended.then(() => 'ended'), sleep(1500).then(() => 'open')]);
    expect(open).toBe('open');
    stream.close();
  });

  it('ends open streams cleanly when the gateway shuts down', async () => {
    const gw = await startGateway({ ...sandboxEnvironment(sandbox), REDIS_KEY_PREFIX: prefix });
    await gw.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = gw.app.getHttpServer().address() as AddressInfo;
    const stream = await openSse(`http://127.0.0.1:${port}${streamPath}`, { 'x-api-key': KEYS.all });
    await until(() => stream.events.length >= 50, 3000, 'first states');
    const closing = gw.close();
    await Promise.race([stream.ended, sleep(5000).then(() => Promise.reject(new Error('stream did not end')))]);
    await closing;
  });
});
