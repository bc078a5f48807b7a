import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KPI_BY_ID, feedsAggregates, kpiOptionsSchema, type Dimension, type Granularity } from '@switchboard/kpi';
import { generateEvents } from '@switchboard/simulator';
import { KpiWriter, aggregateMinuteRows, migrate, openStore, readKpiTable, readKpis, type KpiQuery, type Store } from '@switchboard/warehouse';
import { kpiSeriesJson } from '../src/kpi-json';

// The HTTP answer of /v1/kpis is written from the reader's table without building the series
// objects; it must be the bytes JSON.stringify gives for those objects.

let store: Store;
let dir: string;
const tenant = 'json';
const HOUR = 3_600_000;
const start = Date.parse('2026-11-20T06:00:00Z');
const hours = 4;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-kpi-json-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
  const events = generateEvents({ seed: tenant, tenantId: tenant, start, durationMs: hours * HOUR, arrivalsPerHour: 240, drain: true, queueCount: 4 });
  await new KpiWriter(store.client).write(aggregateMinuteRows(events.filter(feedsAggregates)), `${tenant}:0`);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const FIVE = ['offered', 'answered', 'service_level', 'asa_ms', 'abandonment_rate'];
function query(metrics: string[], granularity: Granularity, groupBy: Dimension[], filters: KpiQuery['filters'], options: Record<string, string>, tz?: string): KpiQuery {
  return { kpis: metrics.map((id) => KPI_BY_ID.get(id)!), from: start, to: start + hours * HOUR, granularity, groupBy, filters, options: kpiOptionsSchema.parse(options), tz };
}

describe('kpiSeriesJson', () => {
  it('writes the JSON of its series as JSON.stringify would (the HTTP answer is written from the table)', async () => {
    const cases: KpiQuery[] = [
      query(FIVE, '15m', ['queue_id'], {}, {}),
      // empty windows (nulls), a repeated KPI id, several dimensions, a time zone
      { ...query([...FIVE, 'offered', 'csat', 'clv'], '1h', ['channel', 'queue_id'], {}, {}, 'Asia/Kolkata'), from: start - 6 * HOUR },
      { ...query(['created', 'resolution_consistency'], '15m', ['topic'], {}, {}), topTopics: 3 },
    ];
    for (const q of cases) expect(kpiSeriesJson(await readKpiTable(store.client, tenant, q))).toBe(JSON.stringify(await readKpis(store.client, tenant, q)));
    expect(kpiSeriesJson(await readKpiTable(store.client, tenant, cases[1]!))).toContain('"csat":null');
  });
});
