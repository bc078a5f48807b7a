import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, KPI_BY_ID, KPI_IDS, feedsAggregates, kpiOptionsSchema, referenceSeries, type Dimension, type Granularity } from '@switchboard/kpi';
import { generateEvents } from '@switchboard/simulator';
import { differences } from '@switchboard/testkit';
import { KpiWriter, aggregateMinuteRows, migrate, openStore, readKpiTable, readKpis, windowRowsQuery, type KpiQuery, type Store } from '../src';

// The reader computes each KPI's quantities in SQL (sums, threshold counts of the wait maps,
// percentiles and key-map counts) and the formulas in TypeScript; a query that neither groups
// nor filters by agent reads the kpi_queue_* tables (no agent in their rows), one by agent
// reads kpi_agg_1m / kpi_agg_1h (migration 0013). Both must give the reference's answer,
// computed from the events with nothing shared with the store.

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
  // several batches: several parts
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

const servedBy = (q: KpiQuery): string => windowRowsQuery(tenant, q).source.table;

describe('readKpis', () => {
  const queue = () => events.find((e) => e.queue_id)!.queue_id!;
  const agent = () => events.find((e) => e.agent_id)!.agent_id!;

  it('reads the tables without agents unless the query groups or filters by agent_id, at the coarsest grain that has its windows', async () => {
    const cases: [KpiQuery, string][] = [
      [query(FIVE, '15m', [], {}, {}), 'kpi_queue_15m'],
      [query(FIVE, '15m', [], { queue_id: [queue()] }, {}), 'kpi_queue_15m'],
      [query(SCALAR, '15m', ['queue_id', 'channel'], {}, { sl_threshold_s: '7' }), 'kpi_queue_15m'],
      [query(FIVE, '1m', ['team_id'], {}, {}), 'kpi_queue_1m'],
      [query(FIVE, '5m', [], {}, {}), 'kpi_queue_1m'],
      [query(FIVE, '30m', ['topic'], {}, {}), 'kpi_queue_15m'],
      [query(FIVE, '1h', [], {}, {}), 'kpi_queue_1h'],
      [query(FIVE, '1d', [], {}, {}), 'kpi_queue_1d'],
      [query(FIVE, '1h', ['channel'], {}, {}, 'Europe/Berlin'), 'kpi_queue_15m'],
      [query(FIVE, '15m', ['agent_id'], {}, {}), 'kpi_agg_1m'],
      [query(FIVE, '1h', [], { agent_id: ['a'] }, {}), 'kpi_agg_1h'],
      [query(FIVE, '1d', ['agent_id'], {}, {}), 'kpi_agg_1h'],
      [query(FIVE, '1d', ['agent_id'], {}, {}, 'America/New_York'), 'kpi_agg_1m'],
    ];
    for (const [q, want] of cases) expect(servedBy(q), JSON.stringify({ granularity: q.granularity, groupBy: q.groupBy, filters: q.filters, tz: q.tz })).toBe(want);
  });

  it('equals the reference from both kinds of table: every threshold, short-abandon and service-level formula, grouping and filter', async () => {
    let points = 0;
    const served = new Set<string>();
    const optionSets: Record<string, string>[] = [
      {}, { sl_threshold_s: '60' }, { sl_threshold_s: '7' }, { sl_threshold_s: '3600', short_abandon_s: '0' },
      { short_abandon_s: '30' }, { sl_formula: 'offered', sl_threshold_s: '30' }, { sl_formula: 'include_abandoned_within', sl_threshold_s: '10' },
    ];
    const shapes: [Granularity, Dimension[], KpiQuery['filters'], string?][] = [
      ['15m', [], {}], ['15m', ['queue_id'], {}], ['15m', [], { queue_id: [queue(), 'none'] }], ['15m', ['channel', 'queue_id'], {}],
      ['15m', ['agent_id'], {}], ['1h', ['queue_id'], {}], ['1h', [], {}, 'America/New_York'],
      ['5m', ['queue_id'], {}], ['30m', [], {}], ['1d', ['agent_id'], {}], ['1h', [], { agent_id: [agent(), 'none'] }],
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
          served.add(servedBy(q).startsWith('kpi_queue_') ? 'queue' : 'agent');
        }
      }
    }
    expect(points).toBeGreaterThan(10_000);
    expect([...served].sort()).toEqual(['agent', 'queue']);
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
});
