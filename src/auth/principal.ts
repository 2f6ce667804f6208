import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Scope } from './scopes';

export interface Principal {
  /** `key_...` for an issued key, `cfg_<name>` for a configured one. */
  id: string;
  name: string;
  scopes: Scope[];
  source: 'config' | 'issued';
  /** ISO time the key stops working; null: never. */
  expiresAt: string | null;
  /** The key's own requests per minute; null: RATE_LIMIT_PER_MINUTE. */
  rateLimitPerMinute: number | null;
}

export type AuthenticatedRequest = FastifyRequest & {
  principal?: Principal;
  /** Authentication failed (401, or 429 for the address): logged in aggregate, not per request. */
  authFailed?: boolean;
};

export const SCOPES_KEY = 'cgw:scopes';
export const PUBLIC_KEY = 'cgw:public';

/** The route needs a valid API key carrying every listed scope. */
export const Scopes = (...scopes: Scope[]) => SetMetadata(SCOPES_KEY, scopes);

/** The route needs no API key (health, metrics, docs). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** The authenticated caller of this request. */
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal => ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal!,
);
