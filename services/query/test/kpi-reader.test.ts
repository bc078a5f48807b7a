import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, KPI_BY_ID, KPI_IDS, feedsAggregates, kpiOptionsSchema, referenceSeries, type Dimension, type Granularity } from '@switchboard/kpi';
import { generateEvents } from '@switchboard/simulator';
import { migrate, openStore, type Store } from '@switchboard/store';
import { differences } from '@switchboard/testkit';
// resolved through the workspace root (the aggregator depends on this package for its tests)
import { KpiWriter, aggregateMinuteRows } from '@switchboard/aggregator';
import { kpiSeriesJson, readKpiTable, readKpis, windowRowsQuery, type KpiQuery } from '../src';

// The reader computes each KPI's quantities in SQL (sums, threshold counts of the wait maps,
// percentiles and key-map counts) and the formulas in TypeScript; kpi_agg_15m's projection
// (migration 0012) serves the queries that group and filter by queue and channel only and need
// its sums and precomputed thresholds. Both paths must give the reference's answer, computed
// from the events with nothing shared with the store.

let store: Store;
let dir: string;
const tenant = 'reader';
const HOUR = 3_600_000;
const start = Date.parse('2026-11-20T06:00:00Z');
const hours = 10;
let events: ReturnType<typeof generateEvents>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-reader-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
  events = generateEvents({ seed: tenant, tenantId: tenant, start, durationMs: hours * HOUR, arrivalsPerHour: 240, drain: true, queueCount: 4 });
  const writer = new KpiWriter(store.client);
  // several batches: several parts, each with its projection part
  for (let i = 0; i < events.length; i += 4000) await writer.write(aggregateMinuteRows(events.slice(i, i + 4000).filter(feedsAggregates)), `${tenant}:${i}`);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const FIVE = ['offered', 'answered', 'service_level', 'asa_ms', 'abandonment_rate'];
/** KPIs from sums, maxima and the wait-map thresholds only */
const SCALAR = [...FIVE, 'abandoned', 'short_abandoned', 'blocked', 'blockage_rate', 'longest_wait_ms', 'aht_ms', 'aht_talk_ms', 'hold_rate', 'csat', 'nps', 'ces', 'iqs', 'occupancy', 'utilization', 'resolution_rate', 'frt_ms', 'art_ms', 'reopen_rate'];

function query(metrics: string[], granularity: Granularity, groupBy: Dimension[], filters: KpiQuery['filters'], options: Record<string, string>, tz?: string): KpiQuery {
  return { kpis: metrics.map((id) => KPI_BY_ID.get(id)!), from: start, to: start + hours * HOUR, granularity, groupBy, filters, options: kpiOptionsSchema.parse(options), tz };
}

async function servedBy(q: KpiQuery): Promise<string> {
  const { sql, params } = windowRowsQuery(tenant, q);
  const plan = await (await store.client.query({ query: `EXPLAIN projections = 1 ${sql}`, query_params: params, format: 'TabSeparatedRaw' })).text();
  return /ReadFromMergeTree \(by_queue_channel\)/.test(plan) ? 'projection' : 'rows';
}

describe('readKpis', () => {
  const queue = () => events.find((e) => e.queue_id)!.queue_id!;

  it('is served by the per-queue projection when it needs only its sums and thresholds, by the rows otherwise', async () => {
    const cases: [KpiQuery, string][] = [
      [query(FIVE, '15m', [], {}, {}), 'projection'],
      [query(FIVE, '15m', [], { queue_id: [queue()] }, {}), 'projection'],
      [query(FIVE, '15m', ['queue_id'], {}, {}), 'projection'],
      [query(SCALAR, '15m', ['queue_id', 'channel'], {}, { sl_threshold_s: '60' }), 'projection'],
      [query(FIVE, '1h', ['channel'], {}, { sl_threshold_s: '10' }, 'Europe/Berlin'), 'projection'],
      [query(FIVE, '15m', ['agent_id'], {}, {}), 'rows'],
      [query(FIVE, '15m', [], { team_id: ['x'] }, {}), 'rows'],
      [query(FIVE, '15m', [], {}, { sl_threshold_s: '7' }), 'rows'],
      [query(FIVE, '15m', [], {}, { short_abandon_s: '30' }), 'rows'],
      [query([...FIVE, 'asa_p90_ms'], '15m', [], {}, {}), 'rows'],
      [query([...FIVE, 'complaints'], '15m', ['queue_id'], {}, {}), 'rows'],
    ];
    for (const [q, want] of cases) expect(await servedBy(q), JSON.stringify({ metrics: q.kpis.map((k) => k.id), groupBy: q.groupBy, filters: q.filters, tz: q.tz })).toBe(want);
  });

  it('equals the reference on both paths: every threshold, short-abandon and service-level formula, grouping and filter', async () => {
    let points = 0;
    const served = new Set<string>();
    const optionSets: Record<string, string>[] = [
      {}, { sl_threshold_s: '60' }, { sl_threshold_s: '7' }, { sl_threshold_s: '3600', short_abandon_s: '0' },
      { short_abandon_s: '30' }, { sl_formula: 'offered', sl_threshold_s: '30' }, { sl_formula: 'include_abandoned_within', sl_threshold_s: '10' },
    ];
    const shapes: [Granularity, Dimension[], KpiQuery['filters'], string?][] = [
      ['15m', [], {}], ['15m', ['queue_id'], {}], ['15m', [], { queue_id: [queue(), 'none'] }], ['15m', ['channel', 'queue_id'], {}],
      ['15m', ['agent_id'], {}], ['1h', ['queue_id'], {}], ['1h', [], {}, 'America/New_York'],
    ];
    for (const options of optionSets) {
      for (const [granularity, groupBy, filters, tz] of shapes) {
        for (const metrics of [SCALAR, [...SCALAR, 'asa_p50_ms', 'asa_p95_ms', 'frt_p90_ms', 'art_p50_ms', 'transfer_rate', 'complaints', 'engagement', 'resolution_consistency']]) {
          const q = query(metrics, granularity, groupBy, filters, options, tz);
          const label = JSON.stringify({ options, granularity, groupBy, filters, tz, metrics: metrics.length });
          const want = referenceSeries(events, {
            tenant, from: q.from, to: q.to, granularity, metrics, groupBy, options: q.options, tz,
            filters: Object.fromEntries(Object.entries(filters).map(([d, v]) => [d, v![0]!])),
          });
          const got = await readKpis(store.client, tenant, q);
          expect(differences(got as typeof want, want), label).toEqual([]);
          points += want.reduce((n, s) => n + s.points.length, 0);
          if (granularity === '15m' || tz) served.add(await servedBy(q));
        }
      }
    }
    expect(points).toBeGreaterThan(10_000);
    expect([...served].sort()).toEqual(['projection', 'rows']);
  }, 240_000);

  it('answers every windowed KPI of the catalogue as the reference does, per window and merged over a day', async () => {
    const all = KPI_IDS.filter((id) => !KPI_BY_ID.get(id)!.history);
    const day = Date.parse('2026-11-20T00:00:00Z');
    for (const groupBy of [[], ['queue_id'], ['channel']] as Dimension[][]) {
      const q = query(all, '15m', groupBy, {}, {});
      const want = referenceSeries(events, { tenant, from: q.from, to: q.to, granularity: '15m', metrics: all, groupBy, filters: {}, options: DEFAULT_OPTIONS });
      expect(differences((await readKpis(store.client, tenant, q)) as typeof want, want), `${groupBy}`).toEqual([]);
      // one point over the whole day from the 15-minute rows (as the alerter reads a sliding window)
      const merged = { ...q, from: day, to: day + 24 * HOUR };
      const wantDay = referenceSeries(events, { tenant, from: day, to: day + 24 * HOUR, granularity: '1d', metrics: all, groupBy, filters: {}, options: DEFAULT_OPTIONS });
      expect(differences((await readKpis(store.client, tenant, merged, { merge: true })) as typeof wantDay, wantDay), `${groupBy} merged`).toEqual([]);
    }
  });

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
