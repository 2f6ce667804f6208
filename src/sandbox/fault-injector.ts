/** Run-time fault injection and counters for one simulated upstream family. */

/**
 * `malformed`: HTTP 200 with broken JSON; `wrong-shape`: HTTP 200 with valid JSON the contract
 * does not promise (`{}`); `failed-body`: HTTP 200 carrying the family's own failure body.
 */
export type FaultMode = 'status' | 'delay' | 'hang' | 'malformed' | 'wrong-shape' | 'failed-body';
type FaultTarget = 'business' | 'auth' | 'all';

export interface Fault {
  mode: FaultMode;
  /** How many of the next matching responses this fault applies to. */
  count: number;
  target: FaultTarget;
  status?: number;
  delayMs?: number;
}

export interface FamilyCounters {
  authCalls: number;
  businessCalls: number;
  rejectedSignatures: number;
  inFlight: number;
  maxInFlight: number;
  /** Business calls seen while more than the documented concurrency limit were in flight. */
  overConcurrencyLimit: number;
}

export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'status'; status: number }
  | { kind: 'delay'; delayMs: number }
  | { kind: 'hang' }
  | { kind: 'malformed' | 'wrong-shape' | 'failed-body' };

export class FaultInjector {
  latencyMs: number;
  counters: FamilyCounters = FaultInjector.zero();
  /** Request ids and languages the upstream received, newest last (tests check forwarding). */
  seen: { requestId?: string; acceptLanguage?: string; traceparent?: string; path: string }[] = [];
  private faults: Fault[] = [];

  constructor(latencyMs: number) {
    this.latencyMs = latencyMs;
  }

  private static zero(): FamilyCounters {
    return {
      authCalls: 0,
      businessCalls: 0,
      rejectedSignatures: 0,
      inFlight: 0,
      maxInFlight: 0,
      overConcurrencyLimit: 0,
    };
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  reset(): void {
    this.faults = [];
    this.seen = [];
    this.counters = FaultInjector.zero();
  }

  /** Consumes one pending fault that applies to this kind of call, if any. */
  next(kind: 'business' | 'auth'): FaultDecision {
    const index = this.faults.findIndex((f) => f.target === 'all' || f.target === kind);
    if (index < 0) return { kind: 'none' };
    const fault = this.faults[index]!;
    fault.count -= 1;
    if (fault.count <= 0) this.faults.splice(index, 1);
    switch (fault.mode) {
      case 'status':
        return { kind: 'status', status: fault.status ?? 500 };
      case 'delay':
        return { kind: 'delay', delayMs: fault.delayMs ?? 1000 };
      case 'hang':
        return { kind: 'hang' };
      case 'malformed':
      case 'wrong-shape':
      case 'failed-body':
        return { kind: fault.mode };
    }
  }

  pending(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }
}
