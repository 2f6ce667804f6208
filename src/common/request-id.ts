import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A client's X-Request-Id is kept when it matches (the OpenAPI document shows this pattern). */
export const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;
const REQUEST_ID = Symbol('requestId');

type Tagged = IncomingMessage & { [REQUEST_ID]?: string };

/**
 * The request id of a raw request: the client's X-Request-Id when it is a safe token,
 * otherwise a new UUID. Memoised on the request so Fastify, the logger and the request
 * context (which each ask for it) all see the same value.
 */
export function requestIdOf(req: IncomingMessage): string {
  const tagged = req as Tagged;
  if (tagged[REQUEST_ID]) return tagged[REQUEST_ID];
  const inbound = req.headers['x-request-id'];
  const id = typeof inbound === 'string' && SAFE_REQUEST_ID.test(inbound) ? inbound : randomUUID();
  tagged[REQUEST_ID] = id;
  return id;
}
