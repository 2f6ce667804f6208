import { Injectable } from '@nestjs/common';
import type { CircuitStateName } from '../metrics/metrics.service';

export interface UpstreamHealth {
  configured: boolean;
  circuit: CircuitStateName | 'disabled';
}

/** Where each upstream family reports its circuit state, for readiness. */
@Injectable()
export class CircuitRegistry {
  private readonly sources = new Map<string, () => UpstreamHealth>();

  register(service: string, source: () => UpstreamHealth): void {
    this.sources.set(service, source);
  }

  snapshot(): Record<string, UpstreamHealth> {
    return Object.fromEntries([...this.sources].map(([service, source]) => [service, source()]));
  }
}
