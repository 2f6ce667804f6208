/**
 * A typed client for the comms-gateway API, generated from openapi/openapi.json
 * (`npm run client` writes schema.d.ts; CI fails when it is stale). Uses openapi-fetch, so every
 * path, parameter, body and response is checked by TypeScript:
 *
 *   const gateway = createGatewayClient('https://gateway.example', process.env.API_KEY!);
 *   const { data, error } = await gateway.GET('/v1/meeting/terminals/{number}/status', {
 *     params: { path: { number: '+991116173924' } },
 *   });
 *   if (error) console.error(error.code, error.detail); else console.log(data.registration);
 */
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema';

export type { components, paths };

type Schemas = components['schemas'];
export type TerminalStatus = Schemas['TerminalStatusDto'];
export type CallStatus = Schemas['CallStatusDto'];
export type Softphone = Schemas['SoftphoneDto'];
export type Problem = Schemas['ProblemDto'];
export type ErrorCode = Schemas['ErrorCode'];

/** A client that sends `X-API-Key` on every request. */
export function createGatewayClient(
  baseUrl: string,
  apiKey: string,
  init: { fetch?: typeof fetch } = {},
): Client<paths> {
  return createClient<paths>({ baseUrl, headers: { 'X-API-Key': apiKey }, ...init });
}
