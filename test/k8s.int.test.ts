import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Namespace, ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { commonEnvSchema } from '@switchboard/service-kit';
import { ENTRIES } from '../scripts/build.mjs';
import { aggregatorEnvSchema } from '../services/aggregator/src/config';
import { alerterEnvSchema } from '../services/alerter/src/config';
import { ingestEnvSchema } from '../services/ingest/src/service';
import { queryEnvSchema } from '../services/query/src/config';
import { ROOT } from '../scripts/gen-docs';

// deploy/k8s (the scaled shape on Kubernetes, docs/deploy.md) as a cluster would take it:
// rendered by kustomize (kubectl's, as `kubectl apply -k` does; the test command installs
// Debian's kubernetes-client where kubectl is missing), every object validated against the
// Kubernetes API's own JSON schemas (kubernetes-models), then held to what the services read.

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const MODELS: Record<string, new (o: any) => { validate(): void }> = { // eslint-disable-line @typescript-eslint/no-explicit-any
  'v1/Namespace': Namespace, 'v1/ConfigMap': ConfigMap, 'v1/Service': Service, 'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget, 'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

const rendered = spawnSync('kubectl', ['kustomize', join(ROOT, 'deploy/k8s')], { encoding: 'utf8' });
const objects = (rendered.status === 0 ? parseAllDocuments(rendered.stdout).map((d) => d.toJSON()) : []) as Obj[];
const of = (kind: string) => objects.filter((o) => o.kind === kind);

describe('deploy/k8s', () => {
  it('renders with kustomize, without warnings', () => {
    expect(rendered.error, 'kubectl must be installed (npm test installs Debian\'s kubernetes-client)').toBeUndefined();
    expect(rendered.stderr).toBe('');
    expect(rendered.status).toBe(0);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/switchboard-env', 'Deployment/aggregator', 'Deployment/alerter', 'Deployment/ingest', 'Deployment/query',
      'HorizontalPodAutoscaler/ingest', 'HorizontalPodAutoscaler/query', 'Namespace/switchboard',
      'PodDisruptionBudget/aggregator', 'PodDisruptionBudget/alerter', 'PodDisruptionBudget/ingest', 'PodDisruptionBudget/query',
      'Service/alerter', 'Service/ingest', 'Service/query',
    ]);
  });

  it('holds only objects valid against the Kubernetes API schemas', () => {
    for (const o of objects) {
      const Model = MODELS[`${o.apiVersion}/${o.kind}`];
      expect(Model, `${o.apiVersion} ${o.kind} has a schema here`).toBeDefined();
      expect(() => new Model!(o).validate(), `${o.kind}/${o.metadata.name}`).not.toThrow();
      if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('switchboard');
    }
    // and the check can fail: a port given as text is refused
    const bad = structuredClone(of('Deployment')[0]!);
    bad.spec.template.spec.containers[0].ports[0].containerPort = 'http';
    expect(() => new Deployment(bad).validate()).toThrow(/containerPort/);
  });

  it('runs each service the image has, probed on /healthz and /readyz, with only settings the services read', () => {
    const known = new Set([
      ...Object.keys(commonEnvSchema.shape), ...Object.keys(aggregatorEnvSchema.shape), ...Object.keys(alerterEnvSchema.shape),
      ...Object.keys(ingestEnvSchema.shape), ...Object.keys(queryEnvSchema.shape), 'SERVICE',
    ]);
    const config = of('ConfigMap')[0]!.data as Record<string, string>;
    for (const k of Object.keys(config)) expect(known.has(k), `config.yaml: ${k} is read by no service`).toBe(true);
    expect(commonEnvSchema.partial().safeParse(config).success, 'config.yaml parses with the services\' own schema').toBe(true);
    for (const d of of('Deployment')) {
      const c = d.spec.template.spec.containers[0];
      const service = c.env.find((e: { name: string }) => e.name === 'SERVICE')?.value;
      expect(ENTRIES[service], `${d.metadata.name}: SERVICE=${service} is built into the image`).toBe(`services/${service}/src/main.ts`);
      for (const e of c.env) expect(known.has(e.name), `${d.metadata.name}: ${e.name} is read by no service`).toBe(true);
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.ports[0].containerPort).toBe(Number(config.PORT));
      expect(c.envFrom[0].configMapRef.name).toBe('switchboard-env');
      expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    }
    const aggregator = of('Deployment').find((d) => d.metadata.name === 'aggregator')!;
    expect(aggregator.spec.replicas, 'aggregator replicas beyond the partitions stand idle').toBeLessThanOrEqual(Number(config.KAFKA_EVENT_PARTITIONS));
  });

  it('routes every Service, budget and autoscaler to a Deployment\'s pods', () => {
    const labels = new Map(of('Deployment').map((d) => [d.metadata.name, d.spec.template.metadata.labels as Record<string, string>]));
    const selects = (sel: Record<string, string>) => [...labels.values()].some((l) => Object.entries(sel).every(([k, v]) => l[k] === v));
    for (const s of of('Service')) expect(selects(s.spec.selector), `Service/${s.metadata.name}`).toBe(true);
    for (const p of of('PodDisruptionBudget')) expect(selects(p.spec.selector.matchLabels), `PodDisruptionBudget/${p.metadata.name}`).toBe(true);
    for (const h of of('HorizontalPodAutoscaler')) expect(labels.has(h.spec.scaleTargetRef.name), `HorizontalPodAutoscaler/${h.metadata.name}`).toBe(true);
  });
});
