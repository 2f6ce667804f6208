import { getMetadataStorage } from 'class-validator';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Environment } from '../src/config/environment';
import { FAMILIES } from '../src/families/registry';

const DIR = join(__dirname, '..', 'deploy', 'kubernetes');

/** Each manifest kind, validated against the Kubernetes JSON schema of its apiVersion. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
};

type Manifest = { apiVersion: string; kind: string; metadata: { name: string }; [key: string]: unknown };

function manifests(): Manifest[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(join(DIR, f), 'utf8')).map((d) => d.toJS() as Manifest));
}

/** Every environment variable the gateway reads: its own and each family's. */
function knownVariables(): Set<string> {
  const storage = getMetadataStorage();
  const names = [Environment, ...FAMILIES.map((f) => f.environment)].flatMap((schema) =>
    storage.getTargetValidationMetadatas(schema, '', true, false).map((m) => m.propertyName),
  );
  return new Set([...names, 'PORT']);
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  const all = manifests();
  const byKind = (kind: string) => all.find((m) => m.kind === kind)!;

  it.each(all.map((m) => [`${m.kind} ${m.metadata.name}`, m]))('%s validates against its schema', (_name, m) => {
    const Model = MODELS[`${m.apiVersion}/${m.kind}`];
    expect(Model).toBeDefined();
    expect(() => new Model!(m as never).validate()).not.toThrow();
  });

  it('has every object the deployment needs', () => {
    expect(all.map((m) => m.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]);
  });

  it('probes the health routes and gives shutdown more time than SHUTDOWN_GRACE_MS', () => {
    const deployment = byKind('Deployment') as unknown as {
      spec: {
        template: {
          spec: { terminationGracePeriodSeconds: number; containers: Record<string, { httpGet: { path: string } }>[] };
        };
      };
    };
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0]!;
    expect(container.readinessProbe!.httpGet.path).toBe('/health/ready');
    expect(container.livenessProbe!.httpGet.path).toBe('/health/live');
    const grace = Number((byKind('ConfigMap').data as Record<string, string>).SHUTDOWN_GRACE_MS ?? 10000);
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(grace + 5000);
  });

  it('configures only variables the gateway reads', () => {
    const known = knownVariables();
    const keys = [
      ...Object.keys(byKind('ConfigMap').data as object),
      ...Object.keys(byKind('Secret').stringData as object),
    ];
    expect(keys.filter((k) => !known.has(k))).toEqual([]);
  });
});
