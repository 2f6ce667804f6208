import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { UpstreamDetail, UpstreamService } from '../common/errors/app-error';
import { APP_CONFIG } from '../config/app-config.token';
import type { AppConfig } from '../config/app-config';
import { MetricsService } from '../metrics/metrics.service';
import { Tracing } from '../tracing/tracing';
import { CircuitRegistry } from './circuit-registry';
import { UpstreamResilience } from './resilience';
import { UpstreamHttpClient } from './upstream-http.client';

export interface UpstreamChannel {
  http: UpstreamHttpClient;
  resilience: UpstreamResilience;
}

/**
 * Builds the HTTP pool and resilience policies of each configured upstream, reports their
 * circuits to readiness, and closes the pools on shutdown.
 */
@Injectable()
export class UpstreamClientFactory implements OnApplicationShutdown {
  private readonly channels: UpstreamChannel[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly circuits: CircuitRegistry,
    private readonly tracing: Tracing,
  ) {}

  /** The pool and policies of one configured family (called once, by the family's client). */
  create(
    service: UpstreamService,
    settings: { baseUrl: string; ca?: string },
    describeError: (json: unknown) => Partial<UpstreamDetail>,
  ): UpstreamChannel {
    const timeoutMs = this.config.upstreamTimeoutMs;
    const http = new UpstreamHttpClient(
      { service, baseUrl: settings.baseUrl, ca: settings.ca, timeoutMs, describeError },
      this.metrics,
      this.tracing,
    );
    const resilience = new UpstreamResilience({ service, timeoutMs, ...this.config.circuit }, this.metrics);
    this.circuits.register(service, () => resilience.state);
    const channel = { http, resilience };
    this.channels.push(channel);
    return channel;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.channels.map((c) => c.http.close()));
  }
}
