import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  Context,
  defaultTextMapGetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  Span,
  SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { randomFillSync } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/app-config.token';

const propagator = new W3CTraceContextPropagator();

/**
 * W3C Trace Context and OpenTelemetry spans, without a global context manager: the request's span
 * lives in the request scope and upstream calls name it as their parent explicitly.
 * Export off (no OTEL_EXPORTER_OTLP_ENDPOINT): spans are non-recording, yet each still gets its own
 * span id in the caller's trace, so every upstream call carries a valid `traceparent`.
 * Export on: spans are recorded and sent in batches over OTLP/HTTP.
 *
 * Hot-path bypass (docs/performance.md): with export off, the SDK tracer would only build
 * non-recording spans after running the sampler, a context per span and its id generator, and
 * `traceparent` would go through the propagator (~2 % of a status read's CPU). This class then
 * makes the same non-recording spans itself: the inbound trace id (or a new one), a new span id
 * from a pooled random buffer, flags 00 (what the AlwaysOffSampler gives), the inbound tracestate
 * kept; `traceparent`/`tracestate` are written directly. Nothing outside this class knows.
 */
@Injectable()
export class Tracing implements OnApplicationShutdown {
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;
  /** Export on: spans go through the SDK tracer; off: the cheap non-recording spans below. */
  private readonly recording: boolean;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const endpoint = config.otlpEndpoint;
    this.recording = Boolean(endpoint);
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'comms-gateway' }),
      sampler: endpoint ? new ParentBasedSampler({ root: new AlwaysOnSampler() }) : new AlwaysOffSampler(),
      spanProcessors: endpoint
        ? [
            new BatchSpanProcessor({
              exporter: new OTLPTraceExporter({ url: new URL('v1/traces', withSlash(endpoint)).href }),
              scheduledDelayMillis: 1000,
            }),
          ]
        : [],
    });
    this.tracer = this.provider.getTracer('comms-gateway');
  }

  /** The server span of a request, continuing a valid inbound `traceparent`. */
  startRequest(name: string, headers: IncomingHttpHeaders): Span {
    if (!this.recording) {
      // Only a traceparent header can make extract() find a parent.
      const parent = headers.traceparent
        ? trace.getSpanContext(propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter))
        : undefined;
      return nonRecordingChild(parent);
    }
    const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    return this.tracer.startSpan(name, { kind: SpanKind.SERVER }, parent);
  }

  /** A client span for one upstream call, child of the request's span when there is one. */
  startUpstream(name: string, parent: Span | undefined, attributes: Record<string, string>): Span {
    if (!this.recording) return nonRecordingChild(parent?.spanContext());
    const context: Context = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    return this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, context);
  }

  /** The `traceparent` (and `tracestate`) headers that name `span` as the caller. */
  headersFor(span: Span): Record<string, string> {
    if (!this.recording) {
      // What W3CTraceContextPropagator.inject writes for a valid span context.
      const context = span.spanContext();
      const carrier: Record<string, string> = {
        traceparent: `00-${context.traceId}-${context.spanId}-0${Number(context.traceFlags || TraceFlags.NONE).toString(16)}`,
      };
      if (context.traceState) carrier.tracestate = context.traceState.serialize();
      return carrier;
    }
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, {
      set: (c, key, value) => ((c as Record<string, string>)[key] = value),
    });
    return carrier;
  }

  /** Ends a span with its HTTP status (5xx and failures mark it as an error). */
  end(span: Span, status: number | undefined, failed: boolean): void {
    if (!this.recording) return; // non-recording: nothing to set or end
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }

  /** Sends what is still buffered. */
  async onApplicationShutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

/**
 * A non-recording span as the SDK makes it under the AlwaysOffSampler: in the parent's trace
 * (when valid) with its tracestate, else in a new trace; a new span id; flags 00.
 */
function nonRecordingChild(parent: SpanContext | undefined): Span {
  const valid = parent !== undefined && isSpanContextValid(parent);
  return trace.wrapSpanContext({
    traceId: valid ? parent.traceId : randomHex(16),
    spanId: randomHex(8),
    traceFlags: TraceFlags.NONE,
    traceState: valid ? parent.traceState : undefined,
  });
}

/** Random ids from a pooled buffer: one randomFillSync per 512 ids. */
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;
function randomHex(bytes: number): string {
  if (poolOffset + bytes > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const hex = POOL.toString('hex', poolOffset, poolOffset + bytes);
  poolOffset += bytes;
  // An all-zero id is invalid (W3C): vanishingly rare, but never sent.
  return /^0+$/.test(hex) ? randomHex(bytes) : hex;
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
