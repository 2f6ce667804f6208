import type { DynamicModule, Provider, Type } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import type { FaultInjector } from '../sandbox/fault-injector';
import type { FamilyId } from './registry';

/** A simulated upstream family: one Fastify server with fault injection and counters. */
interface FamilySandbox {
  readonly server: FastifyInstance;
  readonly injector: FaultInjector;
  /** Credentials, tokens and passwords it knows: tests assert none leaks through the gateway. */
  secrets(): string[];
}

/**
 * Everything the rest of the gateway needs to know about one upstream family. Each family
 * folder exports one of these; `registry.ts` lists them, and configuration, scopes, modules,
 * readiness, the sandbox and tests are derived from that list.
 */
export interface FamilyDefinition<Id extends string, Settings, Sandbox extends FamilySandbox, SandboxOptions> {
  /** The family's name in `source`, `upstream.service`, readiness, metric labels and folders. */
  id: Id;
  /** Human name for logs and docs. */
  title: string;
  /** class-validator schema of the family's own environment variables. */
  environment: Type<object>;
  /**
   * The variables that together switch the family on: none set disables it (its routes answer
   * 503), some but not all is a configuration error.
   */
  requiredVariables: readonly string[];
  /** Settings from the validated environment; pushes one line per problem into `errors`. */
  settings(env: Record<string, unknown>, errors: string[]): Settings;
  /** Whether the family caches upstream tokens (then TOKEN_ENCRYPTION_KEY is required). */
  cachesTokens: boolean;
  /** A cheap read route with demo data (tests and the benchmark probe every family through it). */
  exampleRead: string;
  /** Scopes its routes require. */
  scopes: readonly string[];
  /** The family's Nest module, with its settings or, when unconfigured, without. */
  module(settings: Settings | undefined): DynamicModule;
  sandbox: {
    start(options: SandboxOptions & { latencyMs: number }): Sandbox;
    /** Demo credentials for the environment that points the family at a sandbox at `url`. */
    environment(url: string): Record<string, string>;
  };
}

/** The error every route of an unconfigured family answers with. */
function notConfigured(service: FamilyId): AppError {
  return new AppError(ErrorCode.UPSTREAM_UNAVAILABLE, `The ${service} upstream is not configured on this gateway.`, {
    status: 503,
    retryAfterSeconds: 3600,
    upstream: { service },
  });
}

/**
 * The family's module. Configured: the real client with its settings. Unconfigured: a stand-in
 * with the client's methods, each throwing the 503 problem, so no client code deals with missing settings.
 */
export function familyModule<Settings>(options: {
  id: FamilyId;
  module: Type<unknown>;
  settings: Settings | undefined;
  settingsToken: symbol;
  /** Providers that need the settings (the client and what only it uses). */
  configuredOnly: Type<unknown>[];
}): DynamicModule {
  const { id, module, settings, settingsToken, configuredOnly } = options;
  const providers: Provider[] = settings
    ? [{ provide: settingsToken, useValue: settings }, ...configuredOnly]
    : configuredOnly.map((type) => ({ provide: type, useValue: unconfiguredStandIn(id, type) }));
  return { module, providers };
}

function unconfiguredStandIn(id: FamilyId, client: Type<unknown>): object {
  const methods = Object.getOwnPropertyNames(client.prototype).filter(
    (name) => name !== 'constructor' && !/^(on|before)[A-Z]/.test(name),
  );
  // Thrown synchronously: inside the async service methods that call it, it becomes the rejection.
  return Object.fromEntries(
    methods.map((name) => [
      name,
      () => {
        throw notConfigured(id);
      },
    ]),
  );
}

/**
 * A family's simulator module, loaded on demand with the family file's own `require`: live
 * gateways never load sandbox code, and a production image may leave it out entirely.
 */
export function loadSandbox<T>(load: NodeJS.Require, path: string): T {
  return load(path) as T;
}
