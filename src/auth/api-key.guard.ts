import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { AuthFailures } from './auth-failures.service';
import { ApiKeyService, secretHash } from './api-key.service';
import { AuthenticatedRequest, PUBLIC_KEY, SCOPES_KEY } from './principal';
import { RateLimitService } from './rate-limit.service';
import type { Scope } from './scopes';

/** Longest X-API-Key that is hashed at all; anything longer fails without a look-up. */
const MAX_KEY_LENGTH = 512;

/**
 * Global guard: failed-authentication limit per client address (before any key lookup), API
 * key -> principal, per-key rate limit, then the route's scopes.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyService,
    private readonly rateLimit: RateLimitService,
    private readonly failures: AuthFailures,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const presented = request.headers['x-api-key'];
    const usable = typeof presented === 'string' && presented.length > 0 && presented.length <= MAX_KEY_LENGTH;
    const hash = usable ? secretHash(presented) : undefined;
    const hashHex = hash?.toString('hex');

    const blockedMs = await this.failures.blockedFor(request.ip, hashHex);
    if (blockedMs > 0) throw authFailure(request, blockedMs);

    const result = hash ? await this.apiKeys.authenticate(hash) : undefined;
    if (!result || !('principal' in result)) {
      const nowBlockedMs = await this.failures.recordFailure(request.ip);
      if (nowBlockedMs > 0) throw authFailure(request, nowBlockedMs);
      request.authFailed = true;
      throw new AppError(
        ErrorCode.UNAUTHENTICATED,
        result && 'expired' in result
          ? `The API key expired at ${result.expired}.`
          : result
            ? 'The API key could not be checked right now (key store unavailable); try again shortly.'
            : typeof presented === 'string' && presented.length > 0
              ? 'The API key is not valid.'
              : 'The X-API-Key header is missing.',
      );
    }
    const { principal } = result;
    this.failures.recordSuccess(request.ip, hashHex!);

    // Leased points are spent without I/O; Redis is asked only when this process's lease is spent.
    const budget =
      this.rateLimit.tryLocal(principal.id, principal.rateLimitPerMinute) ??
      (await this.rateLimit.consume(principal.id, principal.rateLimitPerMinute));
    const headers = {
      'ratelimit-limit': String(budget.limit),
      'ratelimit-remaining': String(budget.remaining),
      'ratelimit-reset': String(budget.resetSeconds),
    };
    if (!budget.allowed) {
      throw new AppError(ErrorCode.RATE_LIMITED, `Rate limit of ${budget.limit} requests per minute reached.`, {
        retryAfterSeconds: budget.resetSeconds,
        headers,
      });
    }
    reply.headers(headers);

    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(SCOPES_KEY, targets) ?? [];
    const missing = required.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) {
      throw new AppError(ErrorCode.FORBIDDEN, `The API key lacks the scope ${missing.join(', ')}.`);
    }
    request.principal = principal;
    return true;
  }
}

/** 429 for an address over its failed-authentication budget (marked for the aggregated log). */
export function authFailure(request: AuthenticatedRequest, blockedMs: number): AppError {
  request.authFailed = true;
  return new AppError(ErrorCode.RATE_LIMITED, 'Too many failed authentications from this address; try again later.', {
    retryAfterSeconds: blockedMs / 1000,
  });
}
