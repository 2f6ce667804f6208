import { Injectable } from '@nestjs/common';
import type { UpstreamService } from '../common/errors/app-error';
import type { CircuitStateName } from '../metrics/metrics.service';

/** Where each configured upstream family reports its circuit state, for readiness. */
@Injectable()
export class CircuitRegistry {
  private readonly sources = new Map<UpstreamService, () => CircuitStateName>();

  register(service: UpstreamService, state: () => CircuitStateName): void {
    this.sources.set(service, state);
  }

  /** The circuit state of a configured family; undefined for one that is not configured. */
  stateOf(service: UpstreamService): CircuitStateName | undefined {
    return this.sources.get(service)?.();
  }
}
