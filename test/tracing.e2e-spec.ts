import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { startUpstreamSandbox } from '../src/sandbox/upstream-sandbox';
import { dropPrefix, KEYS, uniquePrefix } from './support/gateway';
import { replicaEnv, startGatewayProcess } from './support/processes';
import { startStack } from './support/stack';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;
const STATUS = '/v1/meeting/terminals/%2B991116173901/status';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
}

/** A minimal OTLP/HTTP (JSON) receiver: collects every span posted to /v1/traces. */
async function otlpReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const r of payload.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans };
}

describe('trace context and OpenTelemetry export', () => {
  it('continues an inbound traceparent on every upstream call, with its own span id, export off', async () => {
    const stack = await startStack();
    try {
      const res = await stack.gw.app.inject({
        method: 'GET',
        url: STATUS,
        headers: { 'x-api-key': KEYS.all, traceparent: TRACEPARENT },
      });
      expect(res.statusCode).toBe(200);
      const sent = stack.sandbox.meeting.injector.seen.filter((s) => s.path.includes('userstatus')).at(-1)!;
      const [version, traceId, spanId] = sent.traceparent!.split('-');
      expect(version).toBe('00');
      expect(traceId).toBe(TRACE_ID);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(spanId).not.toBe(CLIENT_SPAN);
      // Without one, a new trace starts; still a valid traceparent upstream.
      await stack.gw.app.inject({ method: 'GET', url: STATUS, headers: { 'x-api-key': KEYS.all } });
      const fresh = stack.sandbox.meeting.injector.seen.at(-1)!.traceparent!;
      expect(fresh).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
      expect(fresh.split('-')[1]).not.toBe(TRACE_ID);
    } finally {
      await stack.close();
    }
  });

  // A real process: the OTLP exporter loads its transport with a dynamic import, which Jest's VM refuses.
  it('exports a server span per request and a client span per upstream call over OTLP/HTTP', async () => {
    const receiver = await otlpReceiver();
    const sandbox = await startUpstreamSandbox({ latencyMs: 0 });
    const prefix = uniquePrefix();
    const gateway = await startGatewayProcess(
      replicaEnv(sandbox, prefix, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      }),
    );
    try {
      const res = await request(`${gateway.url}${STATUS}`, {
        headers: { 'x-api-key': KEYS.all, traceparent: TRACEPARENT },
      });
      await res.body.dump();
      expect(res.statusCode).toBe(200);
    } finally {
      await gateway.stop(); // SIGTERM: the batch is flushed on shutdown
      await sandbox.close();
      await dropPrefix(prefix);
    }
    for (let i = 0; i < 50 && receiver.spans.length < 3; i++) await sleep(50);
    receiver.server.close();
    const ours = receiver.spans.filter((s) => s.traceId === TRACE_ID);
    const server = ours.find((s) => s.name === 'GET /v1/meeting/terminals/:number/status');
    expect(server).toBeDefined();
    expect(server!.parentSpanId).toBe(CLIENT_SPAN);
    expect(server!.kind).toBe(2); // SERVER
    const userstatus = ours.find((s) => s.name === 'meeting userstatus');
    expect(userstatus).toBeDefined();
    expect(userstatus!.parentSpanId).toBe(server!.spanId);
    expect(userstatus!.kind).toBe(3); // CLIENT
    // The token fetch made for this request is a child of it too.
    expect(ours.some((s) => s.name === 'meeting appauth' && s.parentSpanId === server!.spanId)).toBe(true);
  });
});
