import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { ApiKeyService } from './api-key.service';
import { AuthenticatedRequest, PUBLIC_KEY, SCOPES_KEY } from './principal';
import { RateLimitService } from './rate-limit.service';
import type { Scope } from './scopes';

/** Global guard: API key -> principal, per-key rate limit, then the route's scopes. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeyService,
    private readonly rateLimit: RateLimitService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const presented = request.headers['x-api-key'];
    if (typeof presented !== 'string' || presented.length === 0) {
      throw new AppError(ErrorCode.UNAUTHENTICATED, 'The X-API-Key header is missing.');
    }
    const principal = presented.length <= 512 ? this.apiKeys.authenticate(presented) : undefined;
    if (!principal) throw new AppError(ErrorCode.UNAUTHENTICATED, 'The API key is not valid.');

    const budget = await this.rateLimit.consume(principal.name);
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
