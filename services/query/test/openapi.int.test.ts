import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { DIMENSIONS, GRANULARITY_IDS, KPI_IDS, kpiOptionsSchema } from '@switchboard/kpi';
import { HttpServer, createMetricsRegistry, headerTenantResolver, openApiDocument, processFragment } from '@switchboard/service-kit';
import { OpenApiChecker } from '@switchboard/testkit';
import { migrate, openStore, REALTIME_DIMENSIONS, type Store } from '@switchboard/warehouse';
import { BadQuery, createQuery, parseKpiQuery, parseRealtimeQuery, queryOpenApi } from '../src';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// what a query service alone serves: its routes and every process's
const doc = openApiDocument('Switchboard query service', [processFragment(), queryOpenApi()]) as Json;
const op = (path: string) => doc.paths[path].get as Json;

/** A value each documented parameter accepts, to prove the parser takes what the document names. */
const SAMPLE: Record<string, string> = {
  metrics: 'offered,service_level', from: '2026-11-22T00:00:00Z', to: '2026-11-22T02:00:00Z', granularity: '15m', group_by: 'queue_id',
  short_abandon_s: '5', sl_threshold_s: '30', sl_formula: 'offered', complaint_topics: 'complaint', hourly_cost: '40', team_hourly_costs: 't1:42.5',
  lookback_h: '24',
};
/** the list above, else the documented default (an option added to the catalogue later), else a filter value */
const sample = (p: Json): string => SAMPLE[p.name] ?? (p.schema.default !== undefined ? String(p.schema.default) : p.name.startsWith('filter.') ? 'x' : 'queue_id');
const queryParams = (path: string) => (op(path).parameters as Json[]).filter((p) => p.in === 'query');

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const v = new Validator();
    const r = await v.validate(doc);
    expect(r.errors ?? []).toEqual([]);
    expect(r.valid).toBe(true);
    expect(v.version).toBe('3.1');
  });

  it('holds only valid JSON Schema 2020-12 (each parameter and response schema compiles)', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema(doc, 'doc');
    const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
    let n = 0;
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      const o = (item as Json).get as Json;
      (o.parameters ?? []).forEach((_p: Json, i: number) => { ajv.compile({ $ref: `doc#/paths/${esc(path)}/get/parameters/${i}/schema` }); n++; });
      for (const [status, r] of Object.entries(o.responses as Json)) {
        if ((r as Json).content?.['application/json']?.schema) { ajv.compile({ $ref: `doc#/paths/${esc(path)}/get/responses/${status}/content/application~1json/schema` }); n++; }
      }
    }
    expect(n).toBeGreaterThan(30);
  });

  it('enumerates every KPI id, granularity, dimension and option of /v1/kpis', () => {
    const metrics = (op('/v1/kpis').parameters as Json[]).find((p) => p.name === 'metrics')!;
    expect(metrics).toMatchObject({ required: true, style: 'form', explode: false });
    expect(metrics.schema.items.enum).toEqual([...KPI_IDS, 'top_topics']);
    for (const id of [...KPI_IDS, 'top_topics']) expect(metrics.description).toContain(`\`${id}\``);
    const byName = new Map((op('/v1/kpis').parameters as Json[]).map((p) => [p.name, p]));
    expect(byName.get('granularity')!.schema.enum).toEqual(GRANULARITY_IDS);
    expect(byName.get('group_by')!.schema.items.enum).toEqual([...DIMENSIONS]);
    for (const d of DIMENSIONS) expect(byName.has(`filter.${d}`), d).toBe(true);
    for (const o of Object.keys(kpiOptionsSchema.shape)) expect(byName.has(o), o).toBe(true);
    expect(byName.get('sl_formula')!.schema.enum).toEqual(['exclude_short_abandons', 'offered', 'include_abandoned_within']);
    expect(byName.get('sl_threshold_s')!.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 3600, default: 20 });
    expect(['from', 'to', 'metrics'].every((n) => byName.get(n)!.required)).toBe(true);
    const realtime = new Map((op('/v1/realtime').parameters as Json[]).map((p) => [p.name, p]));
    for (const d of REALTIME_DIMENSIONS) expect(realtime.has(`filter.${d}`), d).toBe(true);
    expect(realtime.get('lookback_h')!.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 720, default: 168 });
    expect(Object.keys(doc.paths).sort()).toEqual(['/healthz', '/metrics', '/readyz', '/v1/kpis', '/v1/openapi.json', '/v1/realtime']);
  });

  it('documents exactly the parameters the parsers accept', () => {
    const kpis = Object.fromEntries(queryParams('/v1/kpis').map((p) => [p.name, sample(p)]));
    expect(() => parseKpiQuery(kpis)).not.toThrow();
    const realtime = Object.fromEntries(queryParams('/v1/realtime').map((p) => [p.name, sample(p)]));
    expect(() => parseRealtimeQuery(realtime, Date.now())).not.toThrow();
    // and an undocumented one is refused by both
    for (const parse of [() => parseKpiQuery({ ...kpis, limit: '5' }), () => parseRealtimeQuery({ ...realtime, limit: '5' }, Date.now())]) {
      let problems: BadQuery['problems'] = [];
      try { parse(); } catch (e) { problems = (e as BadQuery).problems; }
      expect(problems).toEqual([{ param: 'limit', reason: 'unknown parameter' }]);
    }
  });
});

describe('the service against its document', () => {
  let store: Store;
  let http: HttpServer;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-openapi-'));
    store = await openStore({ kind: 'embedded', path: dir });
    await migrate(store.client);
    const metrics = createMetricsRegistry();
    http = new HttpServer({ title: 'Switchboard query service', host: '127.0.0.1', port: 0, log: pino({ level: 'silent' }), metrics });
    createQuery({ store, http, metrics, tenantOf: headerTenantResolver('demo') });
    await http.start();
  });
  afterAll(async () => {
    await http?.stop();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the document at /v1/openapi.json, and every answer matches its response schema', async () => {
    const served = await fetch(`${http.url}/v1/openapi.json`);
    expect(served.status).toBe(200);
    expect(await served.json()).toEqual(doc);
    const checker = new OpenApiChecker(doc);
    const check = async (path: string, query: string, status: string) => {
      const r = await checker.fetch(`${http.url}${path}${query}`);
      expect(String(r.status), path + query).toBe(status);
      expect(r.problems, path + query).toEqual([]);
      return r.body as Json;
    };
    const kpis = await check('/v1/kpis', `?metrics=${[...KPI_IDS, 'top_topics'].join(',')}&n=3&from=2026-11-22T00:00:00Z&to=2026-11-22T01:00:00Z&granularity=15m`, '200');
    expect(kpis.series[0].points).toHaveLength(4);
    const columns = await check('/v1/kpis', `?metrics=${[...KPI_IDS, 'top_topics'].join(',')}&from=2026-11-22T00:00:00Z&to=2026-11-22T01:00:00Z&granularity=15m&format=columns`, '200');
    expect(columns.windows).toHaveLength(4);
    expect(columns.series[0].values.top_topics).toHaveLength(4);
    expect(columns.series[0].values.offered).toEqual([0, 0, 0, 0]);
    await check('/v1/kpis', `?metrics=offered&from=2026-11-22T00:00:00Z&to=2026-11-22T01:00:00Z&format=xml`, '400');
    await check('/v1/kpis', '?metrics=nope&granularity=2m', '400');
    await check('/v1/realtime', '?group_by=queue_id,team_id', '200');
    await check('/v1/realtime', '?lookback_h=0', '400');
    await check('/healthz', '', '200');
    await check('/readyz', '', '200');
    await check('/metrics', '', '200');
    await check('/v1/kpis', '?metrics=offered&metrics=answered&group_by=queue_id&group_by=channel&from=2026-11-22T00:00:00Z&to=2026-11-22T01:00:00Z', '200');
    // every route the server has is in the document, and nothing else
    expect(http.routes()).toEqual(checker.operations().sort());
  });
});
