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
 * One upstream's resilience: an overall deadline, retries with jittered backoff for reads only
 * (cockatiel), and a circuit breaker (cockatiel; half-open admits a single probe at a time).
 *
 * The deadline is hand-written instead of cockatiel's `timeout` policy (the one place this layer
 * is bypassed, see docs/performance.md): the same semantics as `TimeoutStrategy.Aggressive` with
 * `abortOnReturn: false` (at the deadline the signal is aborted and the call rejects with
 * TaskCancelledError at once; a finished call aborts nothing), without the policy's derived
 * AbortController, event emitters and extra promises per call.
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
    const retries = retry(
      handleWhen((err) => err instanceof UpstreamFailure && err.retryable),
      { maxAttempts: options.readRetries ?? 2, backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }) },
    );
    this.readPolicy = wrap(retries, this.breaker);
    this.writePolicy = this.breaker;
  }

  get state(): CircuitStateName {
    return STATE_NAMES[this.breaker.state];
  }

  /** Runs `call` under the policies; `idempotent: false` (e.g. activation-code reset) is never retried. */
  async execute<T>(call: (signal: AbortSignal) => Promise<T>, { idempotent }: { idempotent: boolean }): Promise<T> {
    const policy = idempotent ? this.readPolicy : this.writePolicy;
    try {
      return await this.withDeadline(policy, call);
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

  /**
   * Runs the policy under the deadline: at `timeoutMs` the signal given to the policy (and so to
   * retries and the call) is aborted and the result rejects with TaskCancelledError, whatever the
   * call does afterwards. A call that settles first clears the timer and aborts nothing.
   */
  private withDeadline<T>(policy: IPolicy, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timeoutMs = this.options.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        controller.abort();
        reject(new TaskCancelledError(`Operation timed out after ${timeoutMs}ms`));
      }, timeoutMs);
      policy
        .execute(({ signal }) => call(signal), controller.signal)
        .then(
          (value) => {
            clearTimeout(timer);
            resolve(value);
          },
          (err: unknown) => {
            clearTimeout(timer);
            reject(err);
          },
        );
    });
  }
}
