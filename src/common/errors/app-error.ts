import { ErrorCode } from './error-code';

import type { FamilyId } from '../../families/registry';

/** An upstream family's name as problems and metrics show it. */
export type UpstreamService = FamilyId;

export interface FieldError {
  field: string;
  message: string;
}

/** What an upstream said, as the problem body's `upstream` member shows it (never credentials). */
export interface UpstreamDetail {
  service: UpstreamService;
  status?: number;
  code?: string;
  message?: string;
}

export interface AppErrorOptions {
  errors?: FieldError[];
  upstream?: UpstreamDetail;
  /** Seconds for the Retry-After header (429 and 503). */
  retryAfterSeconds?: number;
  /** Overrides the code's default status: 503 for UPSTREAM_UNAVAILABLE while a circuit is open. */
  status?: number;
  headers?: Record<string, string>;
  /** Extension members of the problem body (RFC 9457 §3.2), e.g. `quota` on QUOTA_EXCEEDED. */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/** The only exception our own code throws on purpose; the problem filter renders it. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly options: AppErrorOptions = {},
  ) {
    super(detail, { cause: options.cause });
  }
}
