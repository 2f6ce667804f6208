import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { sendProblem } from '../common/errors/problem.filter';
import { authFailure } from './api-key.guard';
import { secretHash } from './api-key.service';
import type { AuthFailures } from './auth-failures.service';
import type { AuthenticatedRequest } from './principal';

/**
 * With `METRICS_TOKEN` set, GET/HEAD /metrics needs `Authorization: Bearer <token>`; otherwise
 * 401 problem+json with `WWW-Authenticate: Bearer`. Failures count toward the address's
 * failed-authentication budget like a bad API key. Without the variable /metrics stays open.
 */
export function registerMetricsToken(
  fastify: FastifyInstance,
  token: string | undefined,
  failures: AuthFailures,
  path = '/metrics',
): void {
  if (!token) return;
  const expected = secretHash(token);
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.routeOptions.url !== path) return;
    const req = request as AuthenticatedRequest;
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(request.headers.authorization ?? '');
    const hash = match ? secretHash(match[1]!) : undefined;
    const hashHex = hash?.toString('hex');
    const blockedMs = await failures.blockedFor(request.ip, hashHex);
    if (blockedMs > 0) {
      sendProblem(request, reply, authFailure(req, blockedMs));
      return reply;
    }
    if (hash && timingSafeEqual(hash, expected)) {
      failures.recordSuccess(request.ip, hashHex!);
      return;
    }
    const nowBlockedMs = await failures.recordFailure(request.ip);
    req.authFailed = true;
    sendProblem(
      request,
      reply,
      nowBlockedMs > 0
        ? authFailure(req, nowBlockedMs)
        : new AppError(
            ErrorCode.UNAUTHENTICATED,
            match ? 'The metrics token is not valid.' : 'GET /metrics needs Authorization: Bearer <METRICS_TOKEN>.',
            { headers: { 'www-authenticate': 'Bearer realm="metrics"' } },
          ),
    );
    return reply;
  });
}
