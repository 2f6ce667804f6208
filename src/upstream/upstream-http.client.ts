import type { IncomingHttpHeaders } from 'node:http';
import { errors as undiciErrors, Pool } from 'undici';
import type { z } from 'zod';
import { AppError, UpstreamDetail, UpstreamService } from '../common/errors/app-error';
import type { RequestScope } from '../common/request-context';
import type { MetricsService } from '../metrics/metrics.service';
import type { Tracing } from '../tracing/tracing';
import { upstreamMalformed, upstreamTimeout, upstreamUnavailable, upstreamUnreachable } from './upstream-failure';

/**
 * Error codes of a connection that could not be made (DNS, refused, unreachable, TLS handshake):
 * the request was never sent. A reset or close after connecting is not among them.
 */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export interface UpstreamRequest {
  /** Metric label, e.g. `userstatus`. */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  /** The exact bytes to send (signers sign what is sent). */
  body?: string;
  signal?: AbortSignal;
  /** The client request this call serves: its id, language and span go upstream. */
  scope?: RequestScope;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** Reads an upstream's own error code and message from the two fields its error bodies use. */
export function errorFields(codeField: string, messageField: string): (json: unknown) => Partial<UpstreamDetail> {
  return (json) => {
    const body = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
    const code = body[codeField];
    const message = body[messageField];
    return {
      code: typeof code === 'string' ? code : undefined,
      message: typeof message === 'string' ? message : undefined,
    };
  };
}

export interface UpstreamHttpOptions {
  service: UpstreamService;
  baseUrl: string;
  timeoutMs: number;
  /** Extra CA certificates (PEM) to trust; verification always stays on. */
  ca?: string;
  /** Reads the upstream's own error code and message out of an error body. */
  describeError: (json: unknown) => Partial<UpstreamDetail>;
}

/**
 * Keep-alive HTTP to one upstream (undici Pool) with explicit timeouts. Forwards the client's
 * request id and language; turns transport failures and 5xx answers into UpstreamFailure and
 * leaves every other status to the family client, which alone knows what it means.
 */
export class UpstreamHttpClient {
  readonly service: UpstreamService;
  readonly host: string;
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    private readonly options: UpstreamHttpOptions,
    private readonly metrics: MetricsService,
    private readonly tracing: Tracing,
  ) {
    const url = new URL(options.baseUrl);
    this.service = options.service;
    this.host = url.host;
    this.basePath = url.pathname.replace(/\/$/, '');
    this.pool = new Pool(url.origin, {
      connections: 64,
      keepAliveTimeout: 30_000,
      connectTimeout: Math.min(options.timeoutMs, 5000),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: options.ca ? { ca: options.ca } : undefined,
    });
  }

  async request(req: UpstreamRequest): Promise<UpstreamResponse> {
    const started = process.hrtime.bigint();
    let outcome = 'error';
    let status: number | undefined;
    const span = this.tracing.startUpstream(`${this.service} ${req.operation}`, req.scope?.span, {
      'comms_gateway.upstream.service': this.service,
      'comms_gateway.upstream.operation': req.operation,
      'server.address': this.host,
    });
    try {
      const headers: Record<string, string> = {
        accept: 'application/json',
        ...req.headers,
        ...this.tracing.headersFor(span),
      };
      const scope = req.scope;
      if (scope) {
        headers['x-request-id'] = scope.requestId;
        if (scope.acceptLanguage) headers['accept-language'] = scope.acceptLanguage;
      }
      if (req.body !== undefined) headers['content-type'] ??= 'application/json;charset=UTF-8';

      const res = await this.pool.request({
        method: req.method,
        path: this.basePath + req.path,
        headers,
        body: req.body,
        signal: req.signal,
      });
      const text = await res.body.text();
      status = res.statusCode;
      outcome = res.statusCode >= 500 ? 'http_5xx' : res.statusCode >= 400 ? 'http_4xx' : 'ok';
      if (res.statusCode >= 500) {
        throw upstreamUnavailable(
          this.service,
          `The ${this.service} upstream failed with HTTP ${res.statusCode}.`,
          res.statusCode >= 502 && res.statusCode <= 504,
          this.detailOf({ status: res.statusCode, text }),
        );
      }
      return { status: res.statusCode, headers: res.headers, text };
    } catch (err) {
      throw this.classify(err, (o) => (outcome = o));
    } finally {
      this.tracing.end(span, status, outcome !== 'ok' && outcome !== 'http_4xx');
      this.metrics.recordUpstream(
        this.service,
        req.operation,
        outcome,
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
  }

  /**
   * Parses a JSON body against the family's schema of it. Garbage is an UpstreamFailure (502,
   * counted by the breaker when read inside the resilience boundary), never a crash.
   */
  read<T>(response: Pick<UpstreamResponse, 'text'>, schema: z.ZodType<T>): T {
    let json: unknown;
    try {
      json = JSON.parse(response.text);
    } catch {
      throw upstreamMalformed(this.service, 'body is not JSON');
    }
    return this.parse(json, schema);
  }

  /** Checks an already decoded value (an envelope's inner result) against its schema. */
  parse<T>(value: unknown, schema: z.ZodType<T>): T {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    throw upstreamMalformed(this.service, `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }

  /** What the problem body's `upstream` member says of this response: status, own code and message. */
  detailOf(response: Pick<UpstreamResponse, 'status' | 'text'>): UpstreamDetail {
    let own: Partial<UpstreamDetail> = {};
    try {
      own = this.options.describeError(JSON.parse(response.text));
    } catch {
      // not JSON: status only
    }
    return { service: this.service, status: response.status, ...own };
  }

  /**
   * Called at shutdown, after the HTTP server has drained: whatever is still in flight upstream
   * belongs to a client request that was cut at the end of the grace period, so it is aborted
   * (close() would wait for it, up to the upstream deadline).
   */
  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private classify(err: unknown, setOutcome: (o: string) => void): unknown {
    if (err instanceof AppError) return err;
    if (
      err instanceof undiciErrors.HeadersTimeoutError ||
      err instanceof undiciErrors.BodyTimeoutError ||
      (err instanceof Error && (err.name === 'AbortError' || err.name === 'TaskCancelledError'))
    ) {
      setOutcome('timeout');
      return upstreamTimeout(this.service, this.options.timeoutMs, err);
    }
    if (err instanceof undiciErrors.ConnectTimeoutError) {
      setOutcome('timeout');
      return upstreamUnreachable(this.service, `Could not connect to the ${this.service} upstream in time.`, err);
    }
    if (CONNECT_FAILURES.has((err as NodeJS.ErrnoException | null)?.code ?? '')) {
      setOutcome('error');
      return upstreamUnreachable(this.service, `Could not connect to the ${this.service} upstream.`, err);
    }
    setOutcome('error');
    return upstreamUnavailable(
      this.service,
      `The ${this.service} upstream could not be reached.`,
      true,
      undefined,
      err,
    );
  }
}
