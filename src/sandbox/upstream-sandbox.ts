import { FAMILIES, Family, FamilyId } from '../families/registry';

/** Per-family sandbox options (each family's own), e.g. `{ 'cc-cms': { resultShape: 'grouped' } }`. */
type FamilySandboxOptions = {
  [F in Family as F['id']]?: Omit<Parameters<F['sandbox']['start']>[0], 'latencyMs'>;
};

export interface UpstreamSandboxOptions {
  host?: string;
  /** Port per family; 0 or absent picks a free port. */
  ports?: Partial<Record<FamilyId, number>>;
  latencyMs?: number;
  families?: FamilySandboxOptions;
}

/** The simulated families by id, their base URLs, and controls over all of them. */
export type UpstreamSandbox = {
  [F in Family as F['id']]: ReturnType<F['sandbox']['start']>;
} & {
  urls: Record<FamilyId, string>;
  /** Clears counters, faults, tokens and quotas of every family. */
  reset(): Promise<void>;
  close(): Promise<void>;
};

/** Starts every family of the registry as a simulated upstream, each on its own port. */
export async function startUpstreamSandbox(options: UpstreamSandboxOptions = {}): Promise<UpstreamSandbox> {
  const host = options.host ?? '127.0.0.1';
  const latencyMs = options.latencyMs ?? 0;
  const started = FAMILIES.map((family) => {
    const start = family.sandbox.start as (o: object) => ReturnType<Family['sandbox']['start']>;
    return { id: family.id, sandbox: start({ ...options.families?.[family.id], latencyMs }) };
  });
  const urls = {} as Record<FamilyId, string>;
  for (const { id, sandbox } of started) {
    const address = await sandbox.server.listen({ host, port: options.ports?.[id] ?? 0 });
    urls[id] = address.replace('[::1]', 'localhost');
  }
  const servers = started.map((s) => s.sandbox.server);
  return {
    ...(Object.fromEntries(started.map((s) => [s.id, s.sandbox])) as Omit<UpstreamSandbox, 'urls' | 'reset' | 'close'>),
    urls,
    reset: async () => {
      await Promise.all(servers.map((server) => server.inject({ method: 'POST', url: '/__sandbox/reset' })));
    },
    close: async () => {
      await Promise.all(servers.map((server) => server.close()));
    },
  };
}

/** Environment that points every gateway family at a running sandbox with its demo credentials. */
export function sandboxEnvironment(sandbox: Pick<UpstreamSandbox, 'urls'>): Record<string, string> {
  return Object.assign({}, ...FAMILIES.map((family) => family.sandbox.environment(sandbox.urls[family.id])));
}
