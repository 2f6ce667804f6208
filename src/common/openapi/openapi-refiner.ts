import type { INestApplication, Type } from '@nestjs/common';
import { PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { DECORATORS } from '@nestjs/swagger';
import type {
  ExampleObject,
  HeaderObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponseObject,
  ResponsesObject,
  SchemaObject,
} from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { STATUS_CODES } from 'node:http';
import { validateSync } from 'class-validator';
import { PUBLIC_KEY, SCOPES_KEY } from '../../auth/principal';
import { ERROR_SHAPES, ErrorCode, problemType } from '../errors/error-code';
import { flattenValidationErrors } from '../validation';
import { IDEMPOTENT_KEY } from '../idempotency';
import { STATUS_READ_KEY, type StatusReadMetadata } from '../status-read';
import {
  HEADER_PARAMETERS,
  RATE_LIMIT_HEADERS,
  RESPONSE_HEADERS,
  STATUS_READ_HEADERS,
  STATUS_READ_PARAMETERS,
} from './headers';
import {
  AUTHENTICATED_PROBLEMS,
  BODY_PROBLEMS,
  EVERY_ROUTE_PROBLEMS,
  INPUT_PROBLEMS,
  PROBLEM_DETAIL,
  PROBLEM_WHEN,
  PROBLEMS_KEY,
  ProblemOutcome,
  SCOPED_PROBLEMS,
  statusOf,
  UPSTREAM_KEY,
  UPSTREAM_PROBLEMS,
} from './problem.dto';
import { ClassRef, ClassRules, hasValidationRules, PropertyRules, validationRules } from './validation-schema';

/**
 * Post-processing of the document @nestjs/swagger generates, driven by the code it describes:
 * - parameters and request-body schemas get the JSON Schema keywords of the class-validator
 *   decorators that validate them (validation-schema.ts), `required` from the same decorators and
 *   `additionalProperties: false` (the ValidationPipe forbids unknown fields);
 * - every operation gets the problem responses it can give, derived from the route (authenticated,
 *   scoped, body, validated input, upstream family) plus its own @ApiProblems, each status with a
 *   description and one example per code whose `instance` is this operation's path;
 * - request headers (X-Request-Id, Accept-Language on upstream routes) and response headers
 *   (X-Request-Id, RateLimit-*, Retry-After);
 * - status reads (@StatusRead) get their conditional-request and cache headers (If-None-Match,
 *   Cache-Control; ETag, Cache-Control, Age, Cache-Status) and the 304 answer.
 */

const EXAMPLE_REQUEST_ID = '5f0c7c4e-3a52-4a8a-9a57-1d3f4b1c2e10';
const PROBLEM_SCHEMA = { $ref: '#/components/schemas/ProblemDto' };
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

interface Route {
  operationId: string;
  controller: Type<unknown>;
  handler: object;
  isPublic: boolean;
  scopes: string[];
  upstream?: string;
  statusRead?: StatusReadMetadata;
  /** Takes Idempotency-Key (@Idempotent). */
  idempotent: boolean;
  problems: ProblemOutcome[];
  params?: ClassRef;
  query?: ClassRef;
  body?: ClassRef;
}

export interface RefineOptions {
  /** The operationIdFactory given to SwaggerModule.createDocument. */
  operationId: (controllerKey: string, methodKey: string) => string;
}

export function refineOpenApiDocument(app: INestApplication, document: OpenAPIObject, options: RefineOptions): void {
  const routes = collectRoutes(app, options);
  const components = (document.components ??= {});
  components.parameters = { ...components.parameters, ...HEADER_PARAMETERS };
  const inputClasses = new Set<ClassRef>();

  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const route = routes.get(operation.operationId ?? '');
      if (!route) throw new Error(`OpenAPI: no handler found for ${method.toUpperCase()} ${path}`);
      routes.delete(route.operationId);
      refineParameters(operation, route, path);
      if (route.body) collectInputClasses(route.body, inputClasses);
      refineResponses(operation, route, path);
      if (route.isPublic) operation.security = [];
    }
  }
  if (routes.size > 0) throw new Error(`OpenAPI: handlers missing from the document: ${[...routes.keys()].join()}`);

  for (const cls of inputClasses) refineBodySchema(components.schemas ?? {}, cls);
  addIntegerFormats(document);
}

const INT32_MAX = 2 ** 31 - 1;

/** `format` on every integer schema: int32 when its range fits, int64 otherwise. */
function addIntegerFormats(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(addIntegerFormats);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const schema = node as SchemaObject;
  if (schema.type === 'integer' && schema.format === undefined) {
    const fits = schema.maximum !== undefined && schema.maximum <= INT32_MAX && (schema.minimum ?? 0) >= -INT32_MAX - 1;
    schema.format = fits ? 'int32' : 'int64';
  }
  for (const [key, value] of Object.entries(node)) {
    if (key !== 'example' && key !== 'examples') addIntegerFormats(value);
  }
}

// ---------------------------------------------------------------------------------------------
// Routes

function collectRoutes(app: INestApplication, options: RefineOptions): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type<unknown> | null;
      if (!controller) continue;
      const proto = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name];
        if (name === 'constructor' || typeof handler !== 'function') continue;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const declared = Reflect.getMetadata(DECORATORS.API_OPERATION, handler) as { operationId?: string } | undefined;
        const operationId = declared?.operationId ?? options.operationId(controller.name, name);
        if (routes.has(operationId)) throw new Error(`OpenAPI: operationId ${operationId} is used twice`);
        const meta = <T>(key: string): T | undefined =>
          (Reflect.getMetadata(key, handler) as T | undefined) ?? (Reflect.getMetadata(key, controller) as T | undefined);
        routes.set(operationId, {
          operationId,
          controller,
          handler,
          isPublic: meta<boolean>(PUBLIC_KEY) === true,
          scopes: meta<string[]>(SCOPES_KEY) ?? [],
          upstream: meta<string>(UPSTREAM_KEY),
          statusRead: meta<StatusReadMetadata>(STATUS_READ_KEY),
          idempotent: meta<boolean>(IDEMPOTENT_KEY) === true,
          problems: (Reflect.getMetadata(PROBLEMS_KEY, handler) as ProblemOutcome[] | undefined) ?? [],
          ...routeArguments(controller, name),
        });
      }
    }
  }
  return routes;
}

/** The DTO classes of a handler's @Param(), @Query() and @Body() (whole-object arguments only). */
function routeArguments(controller: Type<unknown>, name: string): Pick<Route, 'params' | 'query' | 'body'> {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<
    string,
    { index: number; data?: unknown }
  >;
  const types = (Reflect.getMetadata('design:paramtypes', controller.prototype, name) ?? []) as ClassRef[];
  const found: Pick<Route, 'params' | 'query' | 'body'> = {};
  for (const [key, arg] of Object.entries(args)) {
    const kind = Number(key.split(':')[0]);
    const type = types[arg.index];
    if (!type || !hasValidationRules(type)) continue;
    if (arg.data !== undefined) throw new Error(`OpenAPI: ${controller.name}.${name} takes a single named argument`);
    if (kind === RouteParamtypes.PARAM) found.params = type;
    else if (kind === RouteParamtypes.QUERY) found.query = type;
    else if (kind === RouteParamtypes.BODY) found.body = type;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Parameters and bodies

function refineParameters(operation: OperationObject, route: Route, path: string): void {
  const where = `${path} (${route.operationId})`;
  const parameters = (operation.parameters ?? []) as ParameterObject[];
  for (const location of ['path', 'query'] as const) {
    const cls = location === 'path' ? route.params : route.query;
    const rules: ClassRules | undefined = cls ? validationRules(cls) : undefined;
    const documented = parameters.filter((p) => p.in === location);
    for (const parameter of documented) {
      const property = rules?.properties.get(parameter.name);
      if (!property) {
        throw new Error(`OpenAPI: ${location} parameter ${parameter.name} of ${where} has no validator`);
      }
      parameter.schema = applyRules((parameter.schema ?? {}) as SchemaObject, property, `${where} ${parameter.name}`);
      parameter.required = location === 'path' ? true : property.required;
      // A list in the query is one comma-separated parameter: a repeated parameter is a 400.
      if (location === 'query' && parameter.schema.type === 'array') Object.assign(parameter, { style: 'form', explode: false });
    }
    for (const name of rules?.properties.keys() ?? []) {
      if (!documented.some((p) => p.name === name)) {
        throw new Error(`OpenAPI: ${location} parameter ${name} of ${where} is validated but not documented`);
      }
    }
  }
  operation.parameters = [
    ...parameters,
    { $ref: '#/components/parameters/RequestId' },
    ...(route.upstream ? [{ $ref: '#/components/parameters/AcceptLanguage' }] : []),
    ...(route.idempotent ? [{ $ref: '#/components/parameters/IdempotencyKey' }] : []),
    ...(route.statusRead ? STATUS_READ_PARAMETERS.map((name) => ({ $ref: `#/components/parameters/${name}` })) : []),
  ];
  if (route.body && operation.requestBody && !('$ref' in operation.requestBody)) {
    operation.requestBody.required = true;
  }
}

function applyRules(schema: SchemaObject, rules: PropertyRules, where: string): SchemaObject {
  const merged: SchemaObject = { ...schema };
  for (const [key, value] of Object.entries(rules.schema)) {
    if (key === 'type' || merged[key as keyof SchemaObject] === undefined) {
      (merged as Record<string, unknown>)[key] = value;
    } else if (JSON.stringify(merged[key as keyof SchemaObject]) !== JSON.stringify(value)) {
      throw new Error(
        `OpenAPI: ${where} declares ${key}=${JSON.stringify(merged[key as keyof SchemaObject])} in @ApiProperty ` +
          `but its validator enforces ${JSON.stringify(value)}; remove it from @ApiProperty`,
      );
    }
  }
  if (Object.keys(rules.items).length > 0) {
    const items = (merged.items ?? {}) as SchemaObject;
    if ('$ref' in items) throw new Error(`OpenAPI: ${where}: element rules on an array of models`);
    merged.items = { ...items, ...rules.items };
  }
  return merged;
}

/** The body class and the classes of its nested validated properties. */
function collectInputClasses(cls: ClassRef, into: Set<ClassRef>): void {
  if (into.has(cls)) return;
  into.add(cls);
  for (const name of validationRules(cls).properties.keys()) {
    const type = Reflect.getMetadata('design:type', cls.prototype, name) as ClassRef | undefined;
    if (type && type !== Array && hasValidationRules(type)) collectInputClasses(type, into);
  }
}

function refineBodySchema(schemas: Record<string, SchemaObject | ReferenceObject>, cls: ClassRef): void {
  const apiSchema = Reflect.getMetadata(DECORATORS.API_SCHEMA, cls) as { name?: string } | undefined;
  const name = apiSchema?.name ?? cls.name;
  const schema = schemas[name] as SchemaObject | undefined;
  if (!schema?.properties) throw new Error(`OpenAPI: request body model ${name} is not in the document`);
  const rules = validationRules(cls);
  for (const property of Object.keys(schema.properties)) {
    if (!rules.properties.has(property)) {
      throw new Error(`OpenAPI: ${name}.${property} is documented but has no validator (the API rejects it)`);
    }
  }
  const required: string[] = [];
  for (const [property, propertyRules] of rules.properties) {
    const current = schema.properties[property];
    if (!current) throw new Error(`OpenAPI: ${name}.${property} is validated but not documented`);
    if (!('$ref' in current)) {
      schema.properties[property] = applyRules(current, propertyRules, `${name}.${property}`);
    }
    const inGroup = rules.atLeastOneOf.some((group) => group.includes(property));
    if (propertyRules.required && !inGroup) required.push(property);
  }
  if (rules.atLeastOneOf.length === 0) {
    if (required.length > 0) schema.required = required;
    else delete schema.required;
    schema.additionalProperties = false;
    return;
  }
  if (rules.atLeastOneOf.length > 1) throw new Error(`OpenAPI: ${name} has more than one "at least one of" group`);
  // "At least one of": one complete branch per member of the group, so validators and client
  // generators (which read a sibling `properties` as one more alternative) both get it exactly.
  const { properties } = schema;
  delete schema.properties;
  delete schema.required;
  schema.minProperties = 1;
  schema.anyOf = rules.atLeastOneOf[0]!.map((member) => ({
    type: 'object',
    properties: structuredClone(properties),
    required: [...required, member],
    additionalProperties: false,
  }));
}

// ---------------------------------------------------------------------------------------------
// Responses

function header(name: string, required?: boolean): HeaderObject {
  const base = RESPONSE_HEADERS[name]!;
  return { ...base, schema: { ...(base.schema as SchemaObject) }, required: required ?? base.required ?? false };
}

function refineResponses(operation: OperationObject, route: Route, path: string): void {
  const outcomes = [
    // Every route: an undeclared or repeated query parameter is VALIDATION_FAILED (query-rules.ts).
    ...INPUT_PROBLEMS,
    ...(route.body ? BODY_PROBLEMS : []),
    ...(route.isPublic ? [] : AUTHENTICATED_PROBLEMS),
    ...(route.scopes.length > 0 ? SCOPED_PROBLEMS : []),
    ...route.problems,
    ...(route.upstream ? UPSTREAM_PROBLEMS : []),
    ...EVERY_ROUTE_PROBLEMS,
  ];
  const byStatus = new Map<number, ProblemOutcome[]>();
  for (const o of outcomes) byStatus.set(statusOf(o), [...(byStatus.get(statusOf(o)) ?? []), o]);

  const responses = operation.responses;
  // What @nestjs/swagger produced (successes, non-problem answers such as readiness 503).
  for (const response of Object.values(responses) as ResponseObject[]) {
    response.headers = {
      'X-Request-Id': header('X-Request-Id'),
      ...securityHeaders(path),
      ...(route.isPublic ? {} : Object.fromEntries(RATE_LIMIT_HEADERS.map((h) => [h, header(h, true)]))),
      ...response.headers,
    };
  }
  if (route.idempotent) {
    for (const [status, response] of Object.entries(responses) as [string, ResponseObject][]) {
      if (/^2\d\d$/.test(status)) response.headers!['Idempotent-Replayed'] = header('Idempotent-Replayed');
    }
  }
  if (route.statusRead) documentStatusRead(responses, route.statusRead, route.operationId, path);
  const instance = examplePath(path, operation);
  const validation = route.params || route.query || route.body ? validationExample(route) : UNKNOWN_QUERY_EXAMPLE;
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    if (responses[status]) throw new Error(`OpenAPI: ${route.operationId} documents ${status} twice`);
    const list = byStatus.get(status)!;
    const examples: Record<string, ExampleObject> = {};
    for (const o of list) {
      const name = o.name ?? o.code;
      if (examples[name]) throw new Error(`OpenAPI: ${route.operationId} has two ${status} examples named ${name}`);
      examples[name] = { summary: o.when ?? PROBLEM_WHEN[o.code], value: problemExample(o, route, instance, validation) };
    }
    const headers: Record<string, HeaderObject> = { 'X-Request-Id': header('X-Request-Id'), ...securityHeaders(path) };
    if (!route.isPublic && status !== 401) {
      for (const h of RATE_LIMIT_HEADERS) headers[h] = header(h, false);
    }
    if (status === 429 || status === 503) headers['Retry-After'] = header('Retry-After');
    for (const name of new Set(list.flatMap((o) => o.headers ?? []))) headers[name] = header(name, false);
    responses[status] = {
      description: describe(status, list),
      headers,
      content: { 'application/problem+json': { schema: PROBLEM_SCHEMA, examples } },
    };
  }
}

/**
 * A status read: the cache headers on its 2xx answer (not required when the route sometimes
 * bypasses the cache), and the 304 an If-None-Match with the current ETag gets.
 */
function documentStatusRead(
  responses: ResponsesObject,
  statusRead: StatusReadMetadata,
  operationId: string,
  path: string,
): void {
  const successes = Object.keys(responses).filter((status) => /^2\d\d$/.test(status));
  if (successes.length === 0) throw new Error(`OpenAPI: status read ${operationId} documents no success`);
  for (const status of successes) {
    const response = responses[status] as ResponseObject;
    for (const name of STATUS_READ_HEADERS) {
      const documented = header(name, statusRead.uncachedWhen === undefined);
      if (statusRead.uncachedWhen) documented.description += `; absent with ${statusRead.uncachedWhen}`;
      response.headers![name] = documented;
    }
  }
  if (responses[304]) throw new Error(`OpenAPI: ${operationId} documents 304 twice`);
  responses[304] = {
    description:
      'Not Modified: If-None-Match holds the current ETag (the state is unchanged); no body, the same cache headers.',
    headers: {
      'X-Request-Id': header('X-Request-Id'),
      ...securityHeaders(path),
      ...Object.fromEntries(RATE_LIMIT_HEADERS.map((h) => [h, header(h, true)])),
      ...Object.fromEntries(STATUS_READ_HEADERS.map((h) => [h, header(h, true)])),
    },
  };
}

/** nosniff on every response; Cache-Control on /v1 (no-store unless the route sets its own). */
function securityHeaders(path: string): Record<string, HeaderObject> {
  return {
    'X-Content-Type-Options': header('X-Content-Type-Options'),
    ...(path === '/v1' || path.startsWith('/v1/') ? { 'Cache-Control': header('Cache-Control') } : {}),
  };
}

function describe(status: number, list: ProblemOutcome[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const o of list) {
    const line = `\`${o.code}\`: ${o.when ?? PROBLEM_WHEN[o.code]}`;
    if (!seen.has(line)) parts.push(line);
    seen.add(line);
  }
  return `${STATUS_CODES[status] ?? 'Problem'}: ${parts.join('; ')}.`;
}

function examplePath(path: string, operation: OperationObject): string {
  const parameters = (operation.parameters ?? []) as ParameterObject[];
  return path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const parameter = parameters.find((p) => p.in === 'path' && p.name === name);
    const example = (parameter?.schema as SchemaObject | undefined)?.example ?? parameter?.example ?? name;
    return encodeURIComponent(String(example));
  });
}

function problemExample(
  o: ProblemOutcome,
  route: Route,
  instance: string,
  validation: { detail: string; errors: { field: string; message: string }[] } | undefined,
): Record<string, unknown> {
  const service = route.upstream ?? 'upstream';
  const detail = (o.detail ?? PROBLEM_DETAIL[o.code])
    .replaceAll('{service}', service)
    .replaceAll('{scope}', route.scopes.join(', '));
  const isValidation = o.code === ErrorCode.VALIDATION_FAILED && validation && !o.detail;
  return {
    type: problemType(o.code),
    title: ERROR_SHAPES[o.code].title,
    status: statusOf(o),
    detail: isValidation ? validation.detail : detail,
    instance,
    code: o.code,
    requestId: EXAMPLE_REQUEST_ID,
    ...(isValidation ? { errors: validation.errors } : {}),
    ...(o.upstream ? { upstream: { service, ...o.upstream } } : {}),
    ...(o.code === ErrorCode.QUOTA_EXCEEDED
      ? { quota: { limit: 5, remaining: 0, resetsAt: '2026-11-25T10:00:00.000Z' } }
      : {}),
  };
}

/**
 * A real VALIDATION_FAILED of this route: its input classes are run through class-validator with
 * the ValidationPipe's options on an empty object, then on one bad value per property.
 */
/** The 400 of a route without parameters or body: a query parameter it does not declare. */
const UNKNOWN_QUERY_EXAMPLE = {
  detail: 'x: is not a query parameter of this route',
  errors: [{ field: 'x', message: 'is not a query parameter of this route' }],
};

function validationExample(route: Route): { detail: string; errors: { field: string; message: string }[] } {
  for (const cls of [route.body, route.query, route.params]) {
    if (!cls) continue;
    const probes: Record<string, unknown>[] = [
      {},
      ...[...validationRules(cls).properties.keys()].map((name) => ({ [name]: '~' })),
    ];
    for (const probe of probes) {
      const errors = validateSync(plainToInstance(cls as Type<object>, probe), {
        whitelist: true,
        forbidNonWhitelisted: true,
        stopAtFirstError: true,
      });
      const fields = flattenValidationErrors(errors);
      if (fields.length > 0) {
        return { detail: fields.map((f) => `${f.field}: ${f.message}`).join('; '), errors: fields };
      }
    }
  }
  throw new Error(`OpenAPI: could not produce a validation example for ${route.operationId}`);
}
