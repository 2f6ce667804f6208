import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  Context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
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
 */
@Injectable()
export class Tracing implements OnApplicationShutdown {
  private readonly provider: TracerProvider;
  private readonly tracer: Tracer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const endpoint = config.otlpEndpoint;
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
    const parent = propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
    return this.tracer.startSpan(name, { kind: SpanKind.SERVER }, parent);
  }

  /** A client span for one upstream call, child of the request's span when there is one. */
  startUpstream(name: string, parent: Span | undefined, attributes: Record<string, string>): Span {
    const context: Context = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    return this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, context);
  }

  /** The `traceparent` (and `tracestate`) headers that name `span` as the caller. */
  headersFor(span: Span): Record<string, string> {
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, {
      set: (c, key, value) => ((c as Record<string, string>)[key] = value),
    });
    return carrier;
  }

  /** Ends a span with its HTTP status (5xx and failures mark it as an error). */
  end(span: Span, status: number | undefined, failed: boolean): void {
    if (status !== undefined) span.setAttribute('http.response.status_code', status);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  }

  /** Sends what is still buffered. */
  async onApplicationShutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
