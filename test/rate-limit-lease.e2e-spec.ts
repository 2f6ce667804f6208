import { request } from 'undici';
import { startUpstreamSandbox, UpstreamSandbox } from '../src/sandbox/upstream-sandbox';
import { MAX_LEASE } from '../src/auth/rate-limit.service';
import { dropPrefix, KEYS, uniquePrefix } from './support/gateway';
import { GatewayProcess, replicaEnv, startGatewayProcess } from './support/processes';

const LIMIT = 120;
const REPLICAS = 3;
/** The documented bound: requests that can be refused although the window is under its limit. */
const EARLY_REFUSALS = REPLICAS * (MAX_LEASE - 1);

/**
 * The rate limit as points leased from Redis in batches (src/auth/rate-limit.service.ts): three
 * gateway processes, one Redis; never above the limit, early refusals within the bound.
 */
describe('rate limit leased in batches across three processes', () => {
  let sandbox: UpstreamSandbox;
  let gateways: GatewayProcess[];
  const prefix = uniquePrefix();

  beforeAll(async () => {
    sandbox = await startUpstreamSandbox({ latencyMs: 0 });
    const env = replicaEnv(sandbox, prefix, { RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    gateways = await Promise.all(Array.from({ length: REPLICAS }, () => startGatewayProcess(env)));
  }, 60000);

  afterAll(async () => {
    await Promise.all((gateways ?? []).map((g) => g.stop()));
    await sandbox?.close();
    await dropPrefix(prefix);
  });

  const me = async (replica: number, key: string) => {
    const res = await request(`${gateways[replica]!.url}/v1/me`, { headers: { 'x-api-key': key } });
    await res.body.dump();
    if (res.statusCode === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    return res.statusCode;
  };

  /** `count` requests, `concurrency` at a time, spread round-robin over `replicas`. */
  const load = async (replicas: number[], count: number, key: string, concurrency = 30) => {
    const statuses: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const i = next++;
          statuses.push(await me(replicas[i % replicas.length]!, key));
        }
      }),
    );
    return statuses;
  };

  it(`admits exactly ${LIMIT} of ${4 * LIMIT} requests spread over ${REPLICAS} processes`, async () => {
    const statuses = await load([0, 1, 2], 4 * LIMIT, KEYS.all);
    expect(statuses.filter((s) => s === 200)).toHaveLength(LIMIT);
    expect(statuses.filter((s) => s === 429)).toHaveLength(3 * LIMIT);
  }, 30000);

  it('refuses early only while another process holds leased points, within the bound, and never exceeds the limit', async () => {
    // Replica 0 leases a batch and uses one point of it; replicas 1 and 2 then spend the rest.
    expect(await me(0, KEYS.none)).toBe(200);
    const others = await load([1, 2], 2 * LIMIT, KEYS.none);
    const admitted = 1 + others.filter((s) => s === 200).length;
    expect(admitted).toBeLessThanOrEqual(LIMIT);
    expect(admitted).toBeGreaterThanOrEqual(LIMIT - EARLY_REFUSALS);
    // Replica 0 still holds what it leased: the window's total ends exactly at the limit.
    const rest = await load([0], LIMIT, KEYS.none, 5);
    expect(admitted + rest.filter((s) => s === 200).length).toBe(LIMIT);
  }, 30000);
});
