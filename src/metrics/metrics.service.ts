import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type CircuitStateName = 'closed' | 'open' | 'half-open';
const CIRCUIT_STATE_VALUE: Record<CircuitStateName, number> = { closed: 0, open: 1, 'half-open': 2 };

/** Owns this process's Prometheus registry and every gateway metric. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'http_requests_total',
    help: 'Requests answered, by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Request latency, by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly upstreamDuration = new Histogram({
    name: 'upstream_request_duration_seconds',
    help: 'Upstream call latency, by service, operation and outcome',
    labelNames: ['service', 'operation', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly tokenFetches = new Counter({
    name: 'upstream_token_fetches_total',
    help: 'Tokens fetched from an upstream auth endpoint',
    labelNames: ['service', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly tokenCacheHits = new Counter({
    name: 'upstream_token_cache_hits_total',
    help: 'Token look-ups served from cache, by tier (memory or redis)',
    labelNames: ['service', 'tier'] as const,
    registers: [this.registry],
  });

  readonly circuitState = new Gauge({
    name: 'upstream_circuit_state',
    help: 'Circuit breaker state per upstream: 0 closed, 1 open, 2 half-open',
    labelNames: ['service'] as const,
    registers: [this.registry],
  });

  readonly statusCache = new Counter({
    name: 'status_cache_requests_total',
    help: 'Status reads by route and how the cache answered: hit, miss, bypass; coalesced waits',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly watchStreams = new Gauge({
    name: 'watch_streams_open',
    help: 'Watch streams open on this replica',
    registers: [this.registry],
  });

  readonly watchItems = new Gauge({
    name: 'watch_items',
    help: 'Distinct items watched by this replica, by family',
    labelNames: ['family'] as const,
    registers: [this.registry],
  });

  readonly watchPolls = new Counter({
    name: 'watch_polls_total',
    help: 'Shared polls this replica made for watch streams, by family and outcome',
    labelNames: ['family', 'outcome'] as const,
    registers: [this.registry],
  });

  /**
   * Label children of the per-request series, looked up once per label set (prom-client's
   * `labels()` validates the labels on every call). Label sets are bounded: route templates,
   * methods and statuses; service, operation and outcome.
   */
  private readonly httpChildren = new Map<
    string,
    [ReturnType<typeof this.httpRequests.labels>, ReturnType<typeof this.httpDuration.labels>]
  >();
  private readonly upstreamChildren = new Map<string, ReturnType<typeof this.upstreamDuration.labels>>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** One answered request: `http_requests_total` and `http_request_duration_seconds`. */
  recordHttp(method: string, route: string, status: number, seconds: number): void {
    const id = `${method} ${status} ${route}`;
    let children = this.httpChildren.get(id);
    if (children === undefined) {
      const labels = { method, route, status: String(status) };
      children = [this.httpRequests.labels(labels), this.httpDuration.labels(labels)];
      this.httpChildren.set(id, children);
    }
    children[0].inc();
    children[1].observe(seconds);
  }

  /** One upstream call: `upstream_request_duration_seconds`. */
  recordUpstream(service: string, operation: string, outcome: string, seconds: number): void {
    const id = `${service} ${outcome} ${operation}`;
    let child = this.upstreamChildren.get(id);
    if (child === undefined) {
      child = this.upstreamDuration.labels({ service, operation, outcome });
      this.upstreamChildren.set(id, child);
    }
    child.observe(seconds);
  }

  setCircuitState(service: string, state: CircuitStateName): void {
    this.circuitState.set({ service }, CIRCUIT_STATE_VALUE[state]);
  }
}
