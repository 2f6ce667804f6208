import type { AddressInfo } from 'node:net';
import { createGatewayClient } from '../clients/typescript';
import { KEYS } from './support/gateway';
import { startStack, TestStack } from './support/stack';

/** The generated TypeScript client against a listening gateway: one call per family, typed end to end. */
describe('typed client (clients/typescript, generated from openapi/openapi.json)', () => {
  let stack: TestStack;
  let gateway: ReturnType<typeof createGatewayClient>;

  beforeAll(async () => {
    stack = await startStack();
    await stack.gw.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = stack.gw.app.getHttpServer().address() as AddressInfo;
    gateway = createGatewayClient(`http://127.0.0.1:${port}`, KEYS.all);
  });
  afterAll(() => stack.close());

  it('meeting: reads a terminal status and a typed 404 problem', async () => {
    const { data } = await gateway.GET('/v1/meeting/terminals/{number}/status', {
      params: { path: { number: '+991116173901' } },
    });
    expect(data).toMatchObject({ id: '+991116173901', source: 'meeting', registration: 'registered' });
    const { error, response } = await gateway.GET('/v1/meeting/terminals/{number}/status', {
      params: { path: { number: '+19990000000' } },
    });
    expect(response.status).toBe(404);
    expect(error?.code).toBe('NOT_FOUND');
    const batch = await gateway.POST('/v1/meeting/terminals/statuses', {
      body: { numbers: ['+991116173901', '+19990000000'] },
    });
    expect(batch.data?.notFound).toEqual(['+19990000000']);
  });

  it('cc-cms: lists terminals with typed query parameters', async () => {
    const { data } = await gateway.GET('/v1/contact-center/terminals', {
      params: { query: { eid: '8780*', limit: 5, offset: 0 } },
    });
    expect(data?.items).toHaveLength(5);
    expect(data?.items.every((t) => t.source === 'cc-cms')).toBe(true);
    expect(data?.page).toEqual({ limit: 5, offset: 0, total: 300 });
  });

  it('cc-management: reads a call and a page of softphones', async () => {
    const call = await gateway.GET('/v1/contact-center/calls/{id}', {
      params: { path: { id: '645735364434067472' } },
    });
    expect(call.data).toMatchObject({ id: '645735364434067472', source: 'cc-management', state: 'ended' });
    const phones = await gateway.GET('/v1/contact-center/softphones', { params: { query: { limit: 2 } } });
    expect(phones.data?.items.map((p) => p.id)).toEqual(['6400000', '6400001']);
  });
});
