import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { OpenAPIBackend, type Operation } from 'openapi-backend';
import Redis from 'ioredis';
import { createHash } from 'node:crypto';
import { FAMILIES, type FamilyId } from '../src/families/registry';
import { REDIS } from '../src/redis/redis.module';
import type { Fault } from '../src/sandbox/fault-injector';
import { sandboxEnvironment } from '../src/sandbox/upstream-sandbox';
import { json, KEYS, startGateway, TestGateway, dropPrefix, REDIS_URL } from './support/gateway';
import { startStack, TestStack } from './support/stack';

/**
 * Validating replay of the committed contract (openapi/openapi.json): a dedicated set of requests
 * covering every operation's success and error paths runs against real gateways (sandbox upstreams,
 * real Redis). openapi-backend matches and validates each request; each response is validated with
 * Ajv against the operation's documented status, media type, body schema (made strict: a property
 * the document does not describe fails) and headers (a header it does not describe fails, a
 * required one that is missing fails), and a problem's `code` must be one the status documents.
 * Each case also says whether the document itself accepts the request: a request the spec rejects
 * must be rejected by the gateway, and one it accepts must never be (the constraints agree).
 *
 * Chosen over Prism: @stoplight/prism-http now requires Node >= 24 and would only proxy; this runs
 * in-process with Fastify's inject, offline, and fails on undocumented statuses and headers too.
 * An endless event stream cannot go through inject: its 200 is read over a real socket (status,
 * headers and the first event, then the socket is dropped) and checked in exactly the same way.
 */

const SPEC_PATH = join(__dirname, '..', 'openapi', 'openapi.json');
const SPEC = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as Record<string, unknown>;
/** Transport headers no operation documents. */
const TRANSPORT_HEADERS = new Set([
  'content-type',
  'content-length',
  'transfer-encoding',
  'date',
  'connection',
  'keep-alive',
]);
/** Documented statuses no request here can cause, and why. */
const UNREACHABLE: Record<number, string> = {
  500: 'INTERNAL: only an unexpected bug produces it; documented on every operation for clients',
};

interface Case {
  name: string;
  method?: 'GET' | 'POST' | 'DELETE';
  url: string;
  /** API key (KEYS entry) or a literal; null sends none. */
  key?: keyof typeof KEYS | null | { literal: string };
  headers?: Record<string, string>;
  body?: unknown;
  /** A body sent as is, with `contentType`. */
  raw?: string;
  contentType?: string;
  /** Whether the OpenAPI document accepts the request (default true). */
  specValid?: boolean;
  /** Why the gateway deliberately accepts this request although the document rejects it. */
  lenient?: string;
  /** Why the gateway rejects this request although the document accepts it (a rule the spec cannot express). */
  stricter?: string;
  status: number;
  code?: string;
  /** A fault for one family's sandbox, injected just before the request. */
  fault?: { family: FamilyId } & Omit<Fault, 'target'>;
  /** Sends If-None-Match made from the ETag of the previous response (a conditional request). */
  ifNoneMatch?: (previousETag: string) => string;
  /** Response header values this case expects (undefined: the header is absent). */
  expectHeaders?: Record<string, string | undefined>;
  /** An event stream: sent over a real socket, read up to its first event, then dropped. */
  overSocket?: boolean;
}

/** A response as both paths see it (inject, or a real socket's head and first event). */
interface Answer {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

const FIRST_EVENT_TIMEOUT_MS = 5000;
/** The events a stream's 200 describes. */
const STREAM_EVENTS = new Set(['status', 'missing', 'problem']);

/**
 * A stream's body as its 200 describes it: comment blocks, and events of `id: <n>`, a described
 * `event` and one line of JSON `data`; complete blocks, at least one event.
 */
function eventStreamErrors(body: string): string[] {
  const errors: string[] = [];
  const blocks = body.split('\n\n');
  if (blocks.pop() !== '') errors.push('the stream ends inside a block');
  let events = 0;
  for (const block of blocks) {
    const lines = block.split('\n');
    if (lines.every((line) => line.startsWith(':'))) continue;
    events++;
    const [id, event, data, ...rest] = lines;
    const name = event?.match(/^event: (\w+)$/)?.[1];
    if (!/^id: [1-9]\d*$/.test(id ?? '') || !name || !data?.startsWith('data: ') || rest.length > 0) {
      errors.push(`an event block is not id, event and data: ${JSON.stringify(block.slice(0, 200))}`);
      continue;
    }
    if (!STREAM_EVENTS.has(name)) errors.push(`event ${name} is not described`);
    try {
      JSON.parse(data.slice('data: '.length));
    } catch {
      errors.push(`the data of event ${id} is not JSON`);
    }
  }
  if (events === 0) errors.push('no event in the stream');
  return errors;
}

/** The gateway's address, listening on an ephemeral port from the first call on. */
async function baseUrl(gw: TestGateway): Promise<string> {
  const server = gw.app.getHttpServer() as Server;
  if (!server.listening) await gw.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/**
 * A GET over a real socket: the status, the headers and the body up to the end of its first
 * event block (a stream) or its end (anything else); then the socket is destroyed.
 */
async function getOverSocket(gw: TestGateway, url: string, headers: Record<string, string>): Promise<Answer> {
  const base = await baseUrl(gw);
  return new Promise<Answer>((resolve, reject) => {
    const req = get(`${base}${url}`, { headers }, (res) => {
      let body = '';
      const done = (text: string) => {
        clearTimeout(timer);
        req.destroy();
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: text });
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        let end = 0;
        for (let at = body.indexOf('\n\n'); at >= 0; at = body.indexOf('\n\n', end)) {
          const block = body.slice(end, at);
          end = at + 2;
          if (block.split('\n').some((line) => line.startsWith('event:'))) return done(body.slice(0, end));
        }
      });
      res.on('end', () => done(body));
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`GET ${url}: no event within ${FIRST_EVENT_TIMEOUT_MS} ms`));
    }, FIRST_EVENT_TIMEOUT_MS);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

type Validator = { validate: ValidateFunction; schema: object };

function makeAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('password', () => true);
  return ajv;
}

/** Objects the document describes get `additionalProperties: false` (unless it says otherwise). */
function strict(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strict);
  if (!schema || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) out[key] = key === 'example' ? value : strict(value);
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

class Conformance {
  private readonly api: OpenAPIBackend;
  private readonly ajv = makeAjv();
  private readonly compiled = new Map<object, Validator>();
  /** operationId -> statuses seen. */
  readonly covered = new Map<string, Set<number>>();
  readonly failures: string[] = [];
  /** The ETag of the last response (for `ifNoneMatch`). */
  private lastETag?: string;

  constructor() {
    this.api = new OpenAPIBackend({
      definition: structuredClone(SPEC) as never,
      strict: true,
      validate: true,
      customizeAjv: (ajv) => {
        addFormats(ajv as unknown as Ajv);
        return ajv;
      },
    });
  }

  async init(): Promise<void> {
    await this.api.init();
  }

  get operations(): Operation[] {
    return this.api.router.getOperations();
  }

  private validator(schema: object): Validator {
    let v = this.compiled.get(schema);
    if (!v) {
      v = { validate: this.ajv.compile(strict(schema) as object), schema };
      this.compiled.set(schema, v);
    }
    return v;
  }

  async replay(gw: TestGateway, c: Case, stack?: TestStack): Promise<Answer> {
    const method = c.method ?? 'GET';
    const where = `${c.name} (${method} ${c.url})`;
    const headers: Record<string, string> = { ...c.headers };
    const key = c.key === undefined ? 'all' : c.key;
    if (key !== null) headers['x-api-key'] = typeof key === 'object' ? key.literal : KEYS[key];
    if (c.ifNoneMatch) {
      if (!this.lastETag) throw new Error(`${where}: the previous response has no ETag`);
      headers['if-none-match'] = c.ifNoneMatch(this.lastETag);
    }
    let payload: string | undefined;
    if (c.raw !== undefined || c.body !== undefined) {
      payload = c.raw ?? JSON.stringify(c.body);
      headers['content-type'] = c.contentType ?? 'application/json';
    }
    const [path, query = ''] = c.url.split('?') as [string, string?];

    // The request, as the document sees it.
    const request = { method, path, query, headers, body: c.raw ?? c.body };
    const operation = this.api.router.matchOperation(request);
    if (!operation) throw new Error(`${where}: no operation of the document matches`);
    const specErrors = this.requestErrors(request, operation, headers['content-type']);
    const specValid = specErrors.length === 0;
    if (specValid !== (c.specValid ?? true)) {
      this.failures.push(`${where}: the document ${specValid ? 'accepts' : 'rejects'} it (${specErrors.join('; ')})`);
    }

    if (c.fault) {
      const { family, ...fault } = c.fault;
      stack!.sandbox[family].injector.reset();
      stack!.sandbox[family].injector.inject({ ...fault, target: 'business' });
    }
    if (c.overSocket && (method !== 'GET' || payload !== undefined))
      throw new Error(`${where}: only GETs over a socket`);
    const res: Answer = c.overSocket
      ? await getOverSocket(gw, c.url, headers)
      : await gw.app.inject({ method, url: c.url, headers, ...(payload !== undefined ? { payload } : {}) });
    if (c.fault) stack!.sandbox[c.fault.family].injector.reset();
    const etag = res.headers.etag;
    this.lastETag = typeof etag === 'string' ? etag : undefined;

    for (const problem of this.responseErrors(res, operation, path)) this.failures.push(`${where}: ${problem}`);
    if (res.statusCode !== c.status) this.failures.push(`${where}: status ${res.statusCode}, expected ${c.status}`);
    if (c.code && json(res).code !== c.code) this.failures.push(`${where}: code ${json(res).code}, expected ${c.code}`);
    for (const [name, expected] of Object.entries(c.expectHeaders ?? {})) {
      const actual = res.headers[name];
      if (actual !== expected) this.failures.push(`${where}: header ${name} ${String(actual)}, expected ${expected}`);
    }
    if (!specValid && res.statusCode < 400 && !c.lenient) {
      this.failures.push(`${where}: the gateway accepted what the spec rejects`);
    }
    const rejected = res.statusCode === 400 || res.statusCode === 413 || res.statusCode === 415;
    if (specValid && rejected && !c.stricter)
      this.failures.push(`${where}: the gateway rejected what the spec accepts`);
    const seen = this.covered.get(operation.operationId!) ?? new Set<number>();
    seen.add(res.statusCode);
    this.covered.set(operation.operationId!, seen);
    return res;
  }

  private requestErrors(
    request: { method: string; path: string; query: string; headers: Record<string, string>; body: unknown },
    operation: Operation,
    contentType: string | undefined,
  ): string[] {
    const errors: string[] = [];
    const content = (operation.requestBody as { content?: Record<string, unknown> } | undefined)?.content;
    if (content && contentType && !(contentType.split(';')[0]!.trim() in content)) {
      errors.push(`media type ${contentType} not accepted`);
    }
    const result = this.api.validator.validateRequest(request, operation);
    for (const e of result.errors ?? []) errors.push(`${e.instancePath} ${e.message}`);
    return errors;
  }

  private responseErrors(res: Answer, operation: Operation, path: string): string[] {
    const errors: string[] = [];
    const documented = operation.responses?.[String(res.statusCode)] as
      | {
          headers?: Record<string, { required?: boolean; schema: object }>;
          content?: Record<string, { schema: object; examples?: Record<string, { value: { code: string } }> }>;
        }
      | undefined;
    if (!documented) return [`status ${res.statusCode} is not documented (body ${res.body.slice(0, 200)})`];
    errors.push(...this.headerErrors(res, documented.headers ?? {}));

    // Body: a documented media type, and a body its schema accepts.
    const contentType = String(res.headers['content-type'] ?? '');
    const media = contentType.split(';')[0]!.trim();
    if (!documented.content) {
      if (res.body.length > 0) errors.push(`a body where none is documented`);
      return errors;
    }
    const entry = documented.content[media];
    if (!entry) return [...errors, `media type ${media || '(none)'} is not documented for ${res.statusCode}`];
    let body: unknown = res.body;
    if (media.endsWith('json')) {
      try {
        body = JSON.parse(res.body);
      } catch {
        return [...errors, `body is not JSON`];
      }
    }
    const { validate } = this.validator(entry.schema);
    if (!validate(body)) errors.push(`body: ${this.ajv.errorsText(validate.errors)} in ${res.body.slice(0, 300)}`);
    if (media === 'text/event-stream') errors.push(...eventStreamErrors(res.body));
    if (media === 'application/problem+json') {
      const problem = body as { code?: string; instance?: string; requestId?: string };
      const codes = Object.values(entry.examples ?? {}).map((e) => e.value.code);
      if (!codes.includes(problem.code!)) errors.push(`code ${problem.code} is not documented for ${res.statusCode}`);
      if (problem.instance !== path) errors.push(`instance ${problem.instance} is not the request path ${path}`);
      if (problem.requestId !== res.headers['x-request-id']) errors.push(`requestId differs from X-Request-Id`);
    }
    return errors;
  }

  /** Each header documented (or transport), each documented one valid, the required ones present. */
  private headerErrors(res: Answer, documented: Record<string, { required?: boolean; schema: object }>): string[] {
    const errors: string[] = [];
    const docHeaders = new Map(Object.entries(documented).map(([n, h]) => [n.toLowerCase(), h]));
    for (const [name, value] of Object.entries(res.headers)) {
      if (TRANSPORT_HEADERS.has(name)) continue;
      const header = docHeaders.get(name);
      if (!header) {
        errors.push(`header ${name} is not documented for ${res.statusCode}`);
        continue;
      }
      const text = String(value);
      const typed = (header.schema as { type?: string }).type;
      const parsed = (typed === 'integer' || typed === 'number') && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
      const { validate } = this.validator(header.schema);
      if (!validate(parsed))
        errors.push(`header ${name}: ${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`);
    }
    for (const [name, header] of docHeaders) {
      if (header.required && res.headers[name] === undefined) errors.push(`required header ${name} is missing`);
    }
    return errors;
  }
}

const STATUS = '/v1/meeting/terminals/%2B991116173901/status';
const STATUSES = '/v1/meeting/terminals/statuses';
const reset = (sn: string) => `/v1/meeting/devices/${sn}/activation-code/reset`;
const TERMINALS = '/v1/contact-center/terminals?eid=87800001';
const SOFTPHONES = '/v1/contact-center/softphones';
const CALL = '/v1/contact-center/calls/645735364434067472';
const HUGE = { numbers: ['+991116173901'], padding: 'x'.repeat(70 * 1024) };
const MEETING_STREAM = '/v1/meeting/terminals/statuses/stream?numbers=%2B991116173901,%2B10000000000';
const CC_STREAM = '/v1/contact-center/terminals/stream?eid=87800001';
/** An ended call: its stream sends one event and ends by itself, so inject can read it whole. */
const CALL_STREAM = '/v1/contact-center/calls/645735364434067472/stream';

/** Conditional and cache-bypassing requests, after a 200 of the same status read. */
function conditional(c: Case): Case[] {
  return [
    { ...c, name: `${c.name}, unchanged (If-None-Match)`, ifNoneMatch: (tag) => tag, status: 304 },
    {
      ...c,
      name: `${c.name}, unchanged (weak If-None-Match in a list)`,
      ifNoneMatch: (tag) => `"stale", W/${tag}`,
      status: 304,
    },
    { ...c, name: `${c.name}, If-None-Match *`, headers: { 'if-none-match': '*' }, status: 304 },
    { ...c, name: `${c.name}, stale If-None-Match`, headers: { 'if-none-match': '"stale"' }, status: 200 },
    {
      ...c,
      name: `${c.name}, bypassing the cache`,
      headers: { 'cache-control': 'no-cache' },
      status: 200,
      // This gateway runs with the cache off (STATUS_CACHE_TTL_MS=0): every read is a miss.
      expectHeaders: { 'cache-control': 'private, no-cache', 'cache-status': 'comms-gateway; fwd=miss' },
    },
  ];
}

/** A valid request of every authenticated operation (for 401, 429 and 503). */
const VALID: Case[] = [
  { name: 'me', url: '/v1/me', status: 200 },
  { name: 'meeting status', url: STATUS, status: 200 },
  { name: 'meeting statuses', method: 'POST', url: STATUSES, body: { numbers: ['+991116173901'] }, status: 200 },
  { name: 'reset', method: 'POST', url: reset('HWSN0040'), body: { email: 'ops@example.com' }, status: 202 },
  { name: 'cc terminals', url: TERMINALS, status: 200 },
  { name: 'softphones', url: SOFTPHONES, status: 200 },
  { name: 'call', url: CALL, status: 200 },
];
const UPSTREAM_VALID = VALID.filter((c) => c.url !== '/v1/me');
const KEYS_URL = '/v1/admin/api-keys';
const AUDIT_URL = '/v1/admin/audit';
/** A valid request of every admin operation (for 401 and 429; their own answers need a key id). */
const ADMIN_VALID: Case[] = [
  {
    name: 'create key',
    method: 'POST',
    url: KEYS_URL,
    body: { name: 'never', scopes: ['cc.calls:read'] },
    status: 201,
  },
  { name: 'list keys', url: KEYS_URL, status: 200 },
  { name: 'get key', url: `${KEYS_URL}/cfg_all`, status: 200 },
  { name: 'revoke key', method: 'DELETE', url: `${KEYS_URL}/cfg_none`, status: 409 },
  { name: 'rotate key', method: 'POST', url: `${KEYS_URL}/cfg_none/rotate`, body: {}, status: 409 },
  { name: 'audit', url: AUDIT_URL, status: 200 },
];
/** A valid request of every stream operation (for the problems before a stream starts). */
const STREAMS: Case[] = [
  { name: 'meeting stream', url: MEETING_STREAM, status: 200 },
  { name: 'cc terminals stream', url: CC_STREAM, status: 200 },
  { name: 'call stream', url: CALL_STREAM, status: 200 },
];

/** Upstream failures, per family and per operation: 502 (5xx, garbage), 504 (hang), 422 (Meeting 400). */
function upstreamFaults(c: Case, family: FamilyId, idempotent: boolean): Case[] {
  const garbage: Case[] = idempotent // a write (the reset) reads no body, so garbage cannot fail it
    ? [
        {
          ...c,
          name: `${c.name}: malformed body`,
          fault: { family, mode: 'malformed', count: 1 },
          status: 502,
          code: 'UPSTREAM_UNAVAILABLE',
        },
      ]
    : [];
  return [
    ...garbage,
    {
      ...c,
      name: `${c.name}: upstream 500`,
      fault: { family, mode: 'status', status: 500, count: idempotent ? 3 : 1 },
      status: 502,
      code: 'UPSTREAM_UNAVAILABLE',
    },
    {
      ...c,
      name: `${c.name}: upstream hangs`,
      fault: { family, mode: 'hang', count: 1 },
      status: 504,
      code: 'UPSTREAM_TIMEOUT',
    },
  ];
}

const MAIN_CASES: Case[] = [
  // operations
  { name: 'liveness', url: '/health/live', key: null, status: 200 },
  { name: 'readiness', url: '/health/ready', key: null, status: 200 },
  { name: 'metrics', url: '/metrics', key: null, status: 200 },
  // Every route refuses a query parameter it does not declare, routes without parameters included.
  {
    name: 'liveness, unknown query parameter',
    url: '/health/live?x=1',
    specValid: false,
    key: null,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'readiness, unknown query parameter',
    url: '/health/ready?x=1',
    specValid: false,
    key: null,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'metrics, unknown query parameter',
    url: '/metrics?x=1',
    specValid: false,
    key: null,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'me, unknown query parameter', url: '/v1/me?x=1', specValid: false, status: 400, code: 'VALIDATION_FAILED' },
  { name: 'me with a request id', url: '/v1/me', headers: { 'x-request-id': 'conformance.1' }, status: 200 },
  { name: 'me, a key without scopes', url: '/v1/me', key: 'none', status: 200 },
  { name: 'me without key', url: '/v1/me', key: null, status: 401, code: 'UNAUTHENTICATED' },
  { name: 'me, unknown key', url: '/v1/me', key: { literal: 'no-such-key' }, status: 401, code: 'UNAUTHENTICATED' },
  {
    name: 'me, unsafe request id (spec refuses, gateway replaces it)',
    url: '/v1/me',
    headers: { 'x-request-id': 'has space' },
    specValid: false,
    lenient: 'an unsafe X-Request-Id is replaced by a UUID rather than refused',
    status: 200,
  },

  // Meeting terminal status
  { name: 'meeting status', url: STATUS, headers: { 'accept-language': 'zh-CN' }, status: 200 },
  ...conditional({ name: 'meeting status', url: STATUS, status: 200 }),
  {
    name: 'meeting status, max-age=0',
    url: STATUS,
    headers: { 'cache-control': 'max-age=0' },
    status: 200,
    expectHeaders: { 'cache-status': 'comms-gateway; fwd=miss' },
  },
  {
    name: 'meeting status, If-None-Match not an entity tag (spec refuses, gateway answers in full)',
    url: STATUS,
    headers: { 'if-none-match': 'no-quotes' },
    specValid: false,
    lenient: 'an If-None-Match that is no list of entity tags matches nothing: the read is answered in full',
    status: 200,
  },
  {
    name: 'meeting status, unknown',
    url: '/v1/meeting/terminals/%2B10000000000/status',
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'meeting status, bad number',
    url: `/v1/meeting/terminals/${'x'.repeat(65)}/status`,
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'meeting status without scope', url: STATUS, key: 'none', status: 403, code: 'FORBIDDEN' },
  {
    name: 'meeting status, Meeting 400',
    url: STATUS,
    fault: { family: 'meeting', mode: 'status', status: 400, count: 1 },
    status: 422,
    code: 'UNPROCESSABLE',
  },
  ...upstreamFaults({ name: 'meeting status', url: STATUS, status: 0 }, 'meeting', true),

  // Meeting batch
  {
    name: 'meeting statuses with one unknown',
    method: 'POST',
    url: STATUSES,
    body: { numbers: ['+991116173901', '+991116173902', '+10000000000'] },
    status: 200,
  },
  ...conditional({
    name: 'meeting statuses',
    method: 'POST',
    url: STATUSES,
    body: { numbers: ['+991116173901', '+991116173902', '+10000000000'] },
    status: 200,
  }),
  {
    name: 'statuses, empty',
    method: 'POST',
    url: STATUSES,
    body: { numbers: [] },
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'statuses, duplicates',
    method: 'POST',
    url: STATUSES,
    body: { numbers: ['+1', '+1'] },
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'statuses, 101 numbers',
    method: 'POST',
    url: STATUSES,
    body: { numbers: Array.from({ length: 101 }, (_, i) => `+${1000 + i}`) },
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'statuses, bad element',
    method: 'POST',
    url: STATUSES,
    body: { numbers: ['+1', 'a b'] },
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'statuses, unknown field',
    method: 'POST',
    url: STATUSES,
    body: { numbers: ['+1'], extra: true },
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'statuses, malformed JSON',
    method: 'POST',
    url: STATUSES,
    raw: '{"numbers": [',
    specValid: false,
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'statuses, XML body',
    method: 'POST',
    url: STATUSES,
    raw: '<numbers/>',
    contentType: 'application/xml',
    specValid: false,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'statuses, 70 KiB body',
    method: 'POST',
    url: STATUSES,
    body: HUGE,
    specValid: false,
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'statuses without scope',
    method: 'POST',
    url: STATUSES,
    body: { numbers: ['+1'] },
    key: 'none',
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'statuses, Meeting 400',
    method: 'POST',
    url: STATUSES,
    body: { numbers: ['+1'] },
    fault: { family: 'meeting', mode: 'status', status: 400, count: 1 },
    status: 422,
    code: 'UNPROCESSABLE',
  },
  ...upstreamFaults(
    { name: 'statuses', method: 'POST', url: STATUSES, body: { numbers: ['+1'] }, status: 0 },
    'meeting',
    true,
  ),

  // Meeting activation-code reset
  { name: 'reset by email', method: 'POST', url: reset('HWSN0001'), body: { email: 'ops@example.com' }, status: 202 },
  {
    name: 'reset by sms',
    method: 'POST',
    url: reset('HWSN0002'),
    body: { sms: { number: '+8613800000000' } },
    status: 202,
  },
  {
    name: 'reset, both',
    method: 'POST',
    url: reset('HWSN0002'),
    body: { email: 'ops@example.com', sms: { number: '+8613800000000', country: 'chinaPR' } },
    status: 202,
  },
  {
    name: 'reset, neither email nor sms',
    method: 'POST',
    url: reset('HWSN0004'),
    body: {},
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'reset, bad email',
    method: 'POST',
    url: reset('HWSN0004'),
    body: { email: 'not-an-email' },
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'reset, bad sms number',
    method: 'POST',
    url: reset('HWSN0004'),
    body: { sms: { number: '13800000000' } },
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'reset, unknown sms field',
    method: 'POST',
    url: reset('HWSN0004'),
    body: { sms: { number: '+8613800000000', carrier: 'x' } },
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'reset, bad SN',
    method: 'POST',
    url: reset('bad-sn'),
    body: { email: 'ops@example.com' },
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'reset, unknown SN',
    method: 'POST',
    url: reset('NOSUCHDEVICE1'),
    body: { email: 'ops@example.com' },
    status: 404,
    code: 'NOT_FOUND',
  },
  {
    name: 'reset, malformed JSON',
    method: 'POST',
    url: reset('HWSN0004'),
    raw: '{"email":',
    specValid: false,
    status: 400,
    code: 'BAD_REQUEST',
  },
  {
    name: 'reset, text body',
    method: 'POST',
    url: reset('HWSN0004'),
    raw: 'email',
    contentType: 'text/plain',
    specValid: false,
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'reset, 70 KiB body',
    method: 'POST',
    url: reset('HWSN0004'),
    body: HUGE,
    specValid: false,
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'reset with a read-only key',
    method: 'POST',
    url: reset('HWSN0004'),
    body: { email: 'ops@example.com' },
    key: 'meetingRead',
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'reset, Meeting 400',
    method: 'POST',
    url: reset('HWSN0005'),
    body: { email: 'ops@example.com' },
    fault: { family: 'meeting', mode: 'status', status: 400, count: 1 },
    status: 422,
    code: 'UNPROCESSABLE',
  },
  ...upstreamFaults(
    { name: 'reset', method: 'POST', url: reset('HWSN0006'), body: { email: 'ops@example.com' }, status: 0 },
    'meeting',
    false,
  ),
  ...Array.from({ length: 5 }, (_, i): Case => ({
    name: `reset ${i + 1} of 5`,
    method: 'POST',
    url: reset('HWSN0007'),
    body: { email: 'ops@example.com' },
    status: 202,
  })),
  {
    name: 'reset, 6th in 24 h',
    method: 'POST',
    url: reset('HWSN0007'),
    body: { email: 'ops@example.com' },
    status: 429,
    code: 'QUOTA_EXCEEDED',
  },
  {
    name: 'reset with an Idempotency-Key',
    method: 'POST',
    url: reset('HWSN0008'),
    headers: { 'idempotency-key': 'conformance-8' },
    body: { email: 'ops@example.com' },
    status: 202,
  },
  {
    name: 'reset with an Idempotency-Key, replayed',
    method: 'POST',
    url: reset('HWSN0008'),
    headers: { 'idempotency-key': 'conformance-8' },
    body: { email: 'ops@example.com' },
    status: 202,
    expectHeaders: { 'idempotent-replayed': 'true' },
  },
  {
    name: 'reset, Idempotency-Key reused with another body',
    method: 'POST',
    url: reset('HWSN0008'),
    headers: { 'idempotency-key': 'conformance-8' },
    body: { email: 'other@example.com' },
    status: 422,
    code: 'UNPROCESSABLE',
  },
  {
    name: 'reset, malformed Idempotency-Key',
    method: 'POST',
    url: reset('HWSN0008'),
    headers: { 'idempotency-key': 'has space' },
    body: { email: 'ops@example.com' },
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },

  // CC-CMS terminals
  { name: 'cc terminals', url: TERMINALS, headers: { 'accept-language': 'en-US' }, status: 200 },
  ...conditional({ name: 'cc terminals', url: TERMINALS, status: 200 }),
  {
    name: 'cc terminals, wildcard and paging',
    url: '/v1/contact-center/terminals?eid=8780*&limit=5&offset=0&callCenterId=1',
    status: 200,
  },
  { name: 'cc terminals, no match', url: '/v1/contact-center/terminals?eid=99999999', status: 200 },
  {
    name: 'cc terminals, wildcard too early',
    url: '/v1/contact-center/terminals?eid=87*',
    stricter: 'the literal-prefix minimum is configuration (CCMS_EID_MIN_LITERAL_PREFIX), described in words only',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'cc terminals, no eid',
    url: '/v1/contact-center/terminals',
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'cc terminals, bad eid',
    url: '/v1/contact-center/terminals?eid=abc',
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'cc terminals, limit 0',
    url: `${TERMINALS}&limit=0`,
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'cc terminals, limit 101',
    url: `${TERMINALS}&limit=101`,
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'cc terminals, limit 1.5',
    url: `${TERMINALS}&limit=1.5`,
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'cc terminals, callCenterId 0',
    url: `${TERMINALS}&callCenterId=0`,
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'cc terminals, unknown parameter',
    url: `${TERMINALS}&sort=eid`,
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'cc terminals without scope', url: TERMINALS, key: 'softphonesRead', status: 403, code: 'FORBIDDEN' },
  ...upstreamFaults({ name: 'cc terminals', url: TERMINALS, status: 0 }, 'cc-cms', true),

  // CC-Management softphones
  { name: 'softphones', url: `${SOFTPHONES}?limit=100&offset=100`, status: 200 },
  ...conditional({ name: 'softphones', url: `${SOFTPHONES}?limit=100&offset=100`, status: 200 }),
  {
    name: 'softphones with credentials (never cached: no-store, no cache headers)',
    url: `${SOFTPHONES}?include=credentials&limit=5`,
    status: 200,
    expectHeaders: { etag: undefined, 'cache-control': 'no-store', age: undefined, 'cache-status': undefined },
  },
  {
    name: 'softphones, credentials without scope',
    url: `${SOFTPHONES}?include=credentials`,
    key: 'softphonesRead',
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'softphones, include=passwords',
    url: `${SOFTPHONES}?include=passwords`,
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'softphones, offset -1',
    url: `${SOFTPHONES}?offset=-1`,
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'softphones without scope', url: SOFTPHONES, key: 'meetingRead', status: 403, code: 'FORBIDDEN' },
  ...upstreamFaults({ name: 'softphones', url: SOFTPHONES, status: 0 }, 'cc-management', true),

  // CC-Management calls
  { name: 'call', url: CALL, status: 200 },
  ...conditional({ name: 'call', url: CALL, status: 200 }),
  { name: 'call, ended', url: '/v1/contact-center/calls/645735364434067473', status: 200 },
  { name: 'call, unknown', url: '/v1/contact-center/calls/1', status: 404, code: 'NOT_FOUND' },
  {
    name: 'call, not digits',
    url: '/v1/contact-center/calls/abc',
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  { name: 'call without scope', url: CALL, key: 'none', status: 403, code: 'FORBIDDEN' },
  ...upstreamFaults({ name: 'call', url: CALL, status: 0 }, 'cc-management', true),

  // Watch streams: the 200 over a real socket (an ended call's stream ends by itself, so inject
  // reads it too), the problems before a stream starts through inject.
  { name: 'meeting stream', url: MEETING_STREAM, overSocket: true, status: 200 },
  { name: 'cc terminals stream', url: CC_STREAM, overSocket: true, status: 200 },
  { name: 'call stream (ended call)', url: CALL_STREAM, status: 200 },
  { name: 'call stream over a socket (ended call)', url: CALL_STREAM, overSocket: true, status: 200 },
  {
    name: 'meeting stream, no numbers',
    url: '/v1/meeting/terminals/statuses/stream',
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'meeting stream, duplicate numbers',
    url: '/v1/meeting/terminals/statuses/stream?numbers=%2B1,%2B1',
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'cc terminals stream, no eid',
    url: '/v1/contact-center/terminals/stream',
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'cc terminals stream, wildcard too early',
    url: '/v1/contact-center/terminals/stream?eid=87*',
    stricter: 'the literal-prefix minimum is configuration (CCMS_EID_MIN_LITERAL_PREFIX), described in words only',
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  {
    name: 'call stream, not digits',
    url: '/v1/contact-center/calls/abc/stream',
    specValid: false,
    status: 400,
    code: 'VALIDATION_FAILED',
  },
  ...STREAMS.map((c): Case => ({ ...c, name: `${c.name} without scope`, key: 'none', status: 403, code: 'FORBIDDEN' })),

  // Admin operations with a key lacking their scope.
  ...ADMIN_VALID.map((c): Case => ({
    ...c,
    name: `${c.name} without scope`,
    key: 'none',
    status: 403,
    code: 'FORBIDDEN',
  })),
  // No key on every authenticated operation.
  ...[...VALID, ...STREAMS, ...ADMIN_VALID].map((c): Case => ({
    ...c,
    name: `${c.name} without key`,
    key: null,
    status: 401,
    code: 'UNAUTHENTICATED',
  })),
];

describe('OpenAPI conformance: every operation replayed and validated against openapi/openapi.json', () => {
  const conformance = new Conformance();
  let stack: TestStack;

  beforeAll(async () => {
    await conformance.init();
    stack = await startStack({ UPSTREAM_TIMEOUT_MS: '400', CIRCUIT_FAILURE_THRESHOLD: '1000' });
  }, 30000);
  afterAll(() => stack?.close());

  it('serves the committed document at /docs/openapi.json', async () => {
    expect(json(await stack.gw.app.inject({ method: 'GET', url: '/docs/openapi.json' }))).toEqual(SPEC);
  });

  beforeEach(() => {
    conformance.failures.length = 0;
  });

  it('conforms on success and error paths of every operation (sandbox upstreams with faults)', async () => {
    for (const c of MAIN_CASES) await conformance.replay(stack.gw, c, stack);
    expect(conformance.failures).toEqual([]);
  }, 60000);

  it('conforms when rate limited (429 with Retry-After and RateLimit-*) on every authenticated operation', async () => {
    const gw = await startGateway({ RATE_LIMIT_PER_MINUTE: '1' });
    try {
      await conformance.replay(gw, { name: 'first request of the minute', url: '/v1/me', status: 200 });
      for (const c of [...VALID, ...STREAMS, ...ADMIN_VALID]) {
        await conformance.replay(gw, { ...c, name: `${c.name}, over the limit`, status: 429, code: 'RATE_LIMITED' });
      }
    } finally {
      await gw.close();
      await dropPrefix(gw.prefix);
    }
    expect(conformance.failures).toEqual([]);
  });

  it('conforms with METRICS_TOKEN set (401 with WWW-Authenticate, then 200 with the token)', async () => {
    const token = 'metrics-token-0123456789';
    const gw = await startGateway({ METRICS_TOKEN: token });
    try {
      const metrics = { url: '/metrics', key: null } as const;
      await conformance.replay(gw, { ...metrics, name: 'metrics without token', status: 401, code: 'UNAUTHENTICATED' });
      await conformance.replay(gw, {
        ...metrics,
        name: 'metrics, wrong token',
        headers: { authorization: 'Bearer not-the-token-at-all' },
        status: 401,
        code: 'UNAUTHENTICATED',
      });
      await conformance.replay(gw, {
        ...metrics,
        name: 'metrics with the token',
        headers: { authorization: `Bearer ${token}` },
        status: 200,
      });
    } finally {
      await gw.close();
      await dropPrefix(gw.prefix);
    }
    expect(conformance.failures).toEqual([]);
  });

  it('conforms with no family configured (503 with Retry-After) and with Redis gone (readiness 503)', async () => {
    const gw = await startGateway({});
    try {
      for (const c of UPSTREAM_VALID) {
        await conformance.replay(gw, {
          ...c,
          name: `${c.name}, not configured`,
          status: 503,
          code: 'UPSTREAM_UNAVAILABLE',
        });
      }
      // Its eid rule is a CC-CMS setting: this stream cannot start (the others report problem events).
      await conformance.replay(gw, {
        name: 'cc terminals stream, not configured',
        url: CC_STREAM,
        status: 503,
        code: 'UPSTREAM_UNAVAILABLE',
      });
      gw.app.get<symbol, Redis>(REDIS).disconnect();
      await conformance.replay(gw, { name: 'readiness without Redis', url: '/health/ready', key: null, status: 503 });
    } finally {
      await gw.close();
      await dropPrefix(gw.prefix);
    }
    expect(conformance.failures).toEqual([]);
  });

  it('conforms when a stream cannot start: STREAMS_PER_KEY reached (429), stream registry gone (503)', async () => {
    const gw = await startGateway({ ...sandboxEnvironment(stack.sandbox), STREAMS_PER_KEY: '1' });
    const redis = new Redis(REDIS_URL);
    try {
      // A stream of the same key held open on another replica: its slot lasts another minute.
      await redis.zadd(`${gw.prefix}watch:streams:all`, Date.now() + 60_000, 'held-by-another-replica');
      for (const c of STREAMS) {
        await conformance.replay(gw, {
          ...c,
          name: `${c.name}, one stream too many`,
          status: 429,
          code: 'RATE_LIMITED',
        });
      }
      gw.app.get<symbol, Redis>(REDIS).disconnect();
      for (const c of STREAMS) {
        await conformance.replay(gw, {
          ...c,
          name: `${c.name} without the stream registry`,
          status: 503,
          code: 'SERVICE_UNAVAILABLE',
        });
      }
    } finally {
      redis.disconnect();
      await gw.close();
      await dropPrefix(gw.prefix);
    }
    expect(conformance.failures).toEqual([]);
  });

  it('conforms with the status cache on: hits, bypasses and 304 from the cache', async () => {
    const gw = await startGateway({ ...sandboxEnvironment(stack.sandbox), STATUS_CACHE_TTL_MS: '60000' });
    const hit = { 'cache-status': 'comms-gateway; hit' };
    const miss = { 'cache-status': 'comms-gateway; fwd=miss' };
    const bypass = { 'cache-status': 'comms-gateway; fwd=request' };
    const body = { numbers: ['+991116173901', '+10000000000'] };
    const cases: Case[] = [
      { name: 'meeting status, cold', url: STATUS, status: 200, expectHeaders: miss },
      { name: 'meeting status, fresh', url: STATUS, status: 200, expectHeaders: hit },
      {
        name: 'meeting status, fresh and unchanged',
        url: STATUS,
        ifNoneMatch: (t) => t,
        status: 304,
        expectHeaders: hit,
      },
      {
        name: 'meeting status, no-cache',
        url: STATUS,
        headers: { 'cache-control': 'no-cache' },
        status: 200,
        expectHeaders: bypass,
      },
      { name: 'meeting statuses, cold', method: 'POST', url: STATUSES, body, status: 200, expectHeaders: miss },
      { name: 'meeting statuses, fresh', method: 'POST', url: STATUSES, body, status: 200, expectHeaders: hit },
      {
        name: 'meeting statuses, max-age=0 and unchanged',
        method: 'POST',
        url: STATUSES,
        body,
        headers: { 'cache-control': 'max-age=0' },
        ifNoneMatch: (t) => t,
        status: 304,
        expectHeaders: bypass,
      },
      { name: 'cc terminals, cold', url: TERMINALS, status: 200, expectHeaders: miss },
      { name: 'cc terminals, fresh', url: TERMINALS, status: 200, expectHeaders: hit },
      { name: 'softphones, cold', url: SOFTPHONES, status: 200, expectHeaders: miss },
      {
        name: 'softphones, fresh and unchanged',
        url: SOFTPHONES,
        ifNoneMatch: (t) => t,
        status: 304,
        expectHeaders: hit,
      },
      { name: 'call, cold', url: CALL, status: 200, expectHeaders: miss },
      { name: 'call, fresh', url: CALL, status: 200, expectHeaders: hit },
    ];
    try {
      for (const c of cases) await conformance.replay(gw, c);
    } finally {
      await gw.close();
      await dropPrefix(gw.prefix);
    }
    expect(conformance.failures).toEqual([]);
  });

  it('conforms on the admin routes (issued keys, the audit) and an idempotent reset in flight', async () => {
    const gw = stack.gw;
    const post = (name: string, url: string, body: unknown, status: number, extra: Partial<Case> = {}): Case => ({
      name,
      method: 'POST',
      url,
      body,
      status,
      ...extra,
    });
    const created = await conformance.replay(
      gw,
      post(
        'create key',
        KEYS_URL,
        { name: 'conf-a', scopes: ['cc.calls:read'], expiresAt: '2099-01-01T00:00:00.000Z', rateLimitPerMinute: 100 },
        201,
      ),
    );
    const id = json<{ id: string }>(created).id;
    const keyUrl = `${KEYS_URL}/${id}`;
    const cases: Case[] = [
      post('create key, name taken', KEYS_URL, { name: 'conf-a', scopes: ['cc.calls:read'] }, 409, {
        code: 'CONFLICT',
      }),
      post('create key, unknown scope', KEYS_URL, { name: 'conf-b', scopes: ['root'] }, 400, {
        specValid: false,
        code: 'VALIDATION_FAILED',
      }),
      post('create key, no scope', KEYS_URL, { name: 'conf-b', scopes: [] }, 400, {
        specValid: false,
        code: 'VALIDATION_FAILED',
      }),
      post(
        'create key, expired',
        KEYS_URL,
        { name: 'conf-b', scopes: ['cc.calls:read'], expiresAt: '2020-01-01T00:00:00Z' },
        400,
        {
          stricter: '"in the future" depends on the clock; described in words',
          code: 'VALIDATION_FAILED',
        },
      ),
      {
        name: 'create key, malformed JSON',
        method: 'POST',
        url: KEYS_URL,
        raw: '{"name":',
        specValid: false,
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        name: 'create key, text body',
        method: 'POST',
        url: KEYS_URL,
        raw: 'name',
        contentType: 'text/plain',
        specValid: false,
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      post('create key, 70 KiB body', KEYS_URL, HUGE, 413, { specValid: false, code: 'PAYLOAD_TOO_LARGE' }),
      { name: 'list keys', url: `${KEYS_URL}?limit=2&offset=3`, status: 200 },
      {
        name: 'list keys, limit 0',
        url: `${KEYS_URL}?limit=0`,
        specValid: false,
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      { name: 'get issued key', url: keyUrl, status: 200 },
      { name: 'get configured key', url: `${KEYS_URL}/cfg_all`, status: 200 },
      { name: 'get unknown key', url: `${KEYS_URL}/key_unknown`, status: 404, code: 'NOT_FOUND' },
      { name: 'get key, bad id', url: `${KEYS_URL}/nope`, specValid: false, status: 400, code: 'VALIDATION_FAILED' },
      post('rotate key with grace', `${keyUrl}/rotate`, { graceSeconds: 60 }, 201),
      post('rotate configured key', `${KEYS_URL}/cfg_all/rotate`, {}, 409, { code: 'CONFLICT' }),
      post('rotate unknown key', `${KEYS_URL}/key_unknown/rotate`, {}, 404, { code: 'NOT_FOUND' }),
      post('rotate key, grace too long', `${keyUrl}/rotate`, { graceSeconds: 86401 }, 400, {
        specValid: false,
        code: 'VALIDATION_FAILED',
      }),
      {
        name: 'rotate key, malformed JSON',
        method: 'POST',
        url: `${keyUrl}/rotate`,
        raw: '{',
        specValid: false,
        status: 400,
        code: 'BAD_REQUEST',
      },
      {
        name: 'rotate key, text body',
        method: 'POST',
        url: `${keyUrl}/rotate`,
        raw: 'x',
        contentType: 'text/plain',
        specValid: false,
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      },
      post('rotate key, 70 KiB body', `${keyUrl}/rotate`, HUGE, 413, { specValid: false, code: 'PAYLOAD_TOO_LARGE' }),
      { name: 'revoke key', method: 'DELETE', url: keyUrl, status: 204 },
      { name: 'revoke key again', method: 'DELETE', url: keyUrl, status: 404, code: 'NOT_FOUND' },
      { name: 'revoke configured key', method: 'DELETE', url: `${KEYS_URL}/cfg_all`, status: 409, code: 'CONFLICT' },
      {
        name: 'revoke key, bad id',
        method: 'DELETE',
        url: `${KEYS_URL}/x`,
        specValid: false,
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      { name: 'audit', url: `${AUDIT_URL}?limit=5`, status: 200 },
      {
        name: 'audit, offset -1',
        url: `${AUDIT_URL}?offset=-1`,
        specValid: false,
        status: 400,
        code: 'VALIDATION_FAILED',
      },
    ];
    for (const c of cases) await conformance.replay(gw, c);

    // A reset whose Idempotency-Key is held by a request still in flight (its marker, as another replica wrote it).
    const body = { email: 'ops@example.com' };
    const url = reset('HWSN0009');
    const fp = createHash('sha256')
      .update(`POST ${url}\n${JSON.stringify(body)}`)
      .digest('hex');
    const redis = new Redis(REDIS_URL);
    try {
      await redis.set(`${gw.prefix}idem:cfg_all:in-flight-9`, JSON.stringify({ state: 'pending', fp }), 'PX', 60_000);
    } finally {
      redis.disconnect();
    }
    await conformance.replay(
      gw,
      post('reset, same Idempotency-Key in flight', url, body, 409, {
        headers: { 'idempotency-key': 'in-flight-9' },
        code: 'CONFLICT',
      }),
    );
    expect(conformance.failures).toEqual([]);
  });

  it('reached every documented status of every operation', () => {
    const missing: string[] = [];
    for (const operation of conformance.operations) {
      const seen = conformance.covered.get(operation.operationId!) ?? new Set<number>();
      for (const status of Object.keys(operation.responses ?? {}).map(Number)) {
        if (!seen.has(status) && !UNREACHABLE[status]) missing.push(`${operation.operationId} ${status}`);
      }
    }
    expect(missing).toEqual([]);
    expect(FAMILIES.length).toBe(3);
  });
});
