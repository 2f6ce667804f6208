import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  IPolicy,
  retry,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
  wrap,
} from 'cockatiel';
import type { UpstreamService } from '../common/errors/app-error';
import type { CircuitStateName, MetricsService } from '../metrics/metrics.service';
import { UpstreamFailure, upstreamTimeout } from './upstream-failure';
import { ErrorCode } from '../common/errors/error-code';
import { AppError } from '../common/errors/app-error';

export interface ResilienceOptions {
  service: UpstreamService;
  /** Deadline of one upstream operation, retries included. */
  timeoutMs: number;
  failureThreshold: number;
  halfOpenAfterMs: number;
  /** Extra attempts for idempotent reads on connection errors and 502-504. */
  readRetries?: number;
}

const STATE_NAMES: Record<CircuitState, CircuitStateName> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * cockatiel policies for one upstream: an overall deadline, retries with jittered backoff for
 * reads only, and a circuit breaker (half-open admits a single probe at a time).
 */
export class UpstreamResilience {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly readPolicy: IPolicy;
  private readonly writePolicy: IPolicy;

  constructor(
    private readonly options: ResilienceOptions,
    metrics: MetricsService,
  ) {
    this.breaker = circuitBreaker(
      handleWhen((err) => err instanceof UpstreamFailure),
      { halfOpenAfter: options.halfOpenAfterMs, breaker: new ConsecutiveBreaker(options.failureThreshold) },
    );
    metrics.setCircuitState(options.service, 'closed');
    this.breaker.onStateChange((state) => metrics.setCircuitState(options.service, STATE_NAMES[state]));
    // abortOnReturn: false — a finished call has read its whole body, so there is nothing to
    // abort, and aborting builds a DOMException per call (~4 % CPU in the profile).
    const deadline = timeout(options.timeoutMs, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
    const retries = retry(
      handleWhen((err) => err instanceof UpstreamFailure && err.retryable),
      { maxAttempts: options.readRetries ?? 2, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }) },
    );
    this.readPolicy = wrap(deadline, retries, this.breaker);
    this.writePolicy = wrap(deadline, this.breaker);
  }

  get state(): CircuitStateName {
    return STATE_NAMES[this.breaker.state];
  }

  /** Runs `call` under the policies; `idempotent: false` (e.g. activation-code reset) is never retried. */
  async execute<T>(call: (signal: AbortSignal) => Promise<T>, { idempotent }: { idempotent: boolean }): Promise<T> {
    const policy = idempotent ? this.readPolicy : this.writePolicy;
    try {
      return await policy.execute(({ signal }) => call(signal));
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        throw new AppError(
          ErrorCode.UPSTREAM_UNAVAILABLE,
          `The ${this.options.service} upstream is failing; calls are paused while its circuit is open.`,
          {
            status: 503,
            retryAfterSeconds: this.options.halfOpenAfterMs / 1000,
            upstream: { service: this.options.service },
          },
        );
      }
      if (err instanceof TaskCancelledError) throw upstreamTimeout(this.options.service, this.options.timeoutMs, err);
      throw err;
    }
  }
}
