import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KPI_BY_ID, feedsAggregates, kpiOptionsSchema, physicalTables, type Dimension, type Granularity, STORED_TABLES } from '@switchboard/kpi';
import type { ContactEvent } from '@switchboard/events';
import { generateEvents } from '@switchboard/simulator';
import { aggregateMinuteRows, type KpiQuery, KpiWriter, migrate, openStore, readKpis, readKpiTable, type Store } from '@switchboard/warehouse';
import { KpiChunkCache, kpiAnswerJson, kpiSeriesJson } from '../src';

// The answer cache keeps /v1/kpis answers per UTC day of windows while the parts of the source
// table over that day are unchanged. Every answer it gives must be the answer read directly
// (readKpiTable, itself checked against the reference in kpi-reader.int.test.ts), for every shape
// of query, after a late event lands in an earlier day, after a merge, and when memory is too
// small to keep anything; only the days whose parts changed are read again.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const tenant = 'cache';
const start = Date.parse('2026-11-19T00:00:00Z');
const days = 3;

let dir: string;
let store: Store;
let writer: KpiWriter;
let events: ContactEvent[];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-kpi-cache-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
  events = generateEvents({ seed: tenant, tenantId: tenant, start, durationMs: days * DAY, arrivalsPerHour: 30, drain: true, queueCount: 3 });
  writer = new KpiWriter(store.client);
  // day by day: one part per day and table, as a live table has until it merges
  for (let d = 0; d < days; d++) {
    const day = events.filter((e) => e.occurred_at >= start + d * DAY && e.occurred_at < start + (d + 1) * DAY && feedsAggregates(e));
    await writer.write(aggregateMinuteRows(day), `${tenant}:day${d}`);
  }
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function query(metrics: string[], granularity: Granularity, groupBy: Dimension[], o: Partial<KpiQuery> = {}, options: Record<string, string> = {}): KpiQuery {
  return {
    kpis: metrics.map((id) => KPI_BY_ID.get(id)!), from: start, to: start + days * DAY, granularity, groupBy, filters: {}, options: kpiOptionsSchema.parse(options), tz: 'UTC', ...o,
  };
}

const FIVE = ['offered', 'answered', 'service_level', 'asa_ms', 'abandonment_rate'];
const shapes = (): KpiQuery[] => [
  query(FIVE, '15m', ['queue_id']),
  query(FIVE, '15m', []),
  query([...FIVE, 'csat', 'aht_ms', 'asa_p90_ms'], '1h', ['queue_id', 'channel'], {}, { sl_threshold_s: '60' }),
  query(FIVE, '15m', [], { filters: { queue_id: [events.find((e) => e.queue_id)!.queue_id!] } }),
  // local hours and days: a Berlin day spans two UTC days
  query(FIVE, '1h', ['channel'], { tz: 'Europe/Berlin' }),
  query(FIVE, '1d', ['queue_id'], { tz: 'America/New_York', from: start - DAY, to: start + (days + 1) * DAY }),
  // starting and ending inside a day: chunks of their own
  query(FIVE, '5m', ['agent_id'], { from: start + 13 * HOUR + 7 * 60_000, to: start + DAY + 2 * HOUR }),
  // a day with no rows at all, before the data
  query(FIVE, '15m', ['queue_id'], { from: start - DAY }),
];

const direct = async (q: KpiQuery) => kpiSeriesJson(await readKpiTable(store.client, tenant, q));
// through the kept whole bodies, as the route answers
const cached = async (cache: KpiChunkCache, q: KpiQuery) => cache.body(await cache.read(tenant, q), 'points').series.toString('utf8');

describe('KpiChunkCache', () => {
  it('answers every shape as the direct read does, and from memory the second time', async () => {
    const cache = new KpiChunkCache(store.client, 64 << 20);
    for (const q of shapes()) {
      const want = await direct(q);
      const before = { ...cache.stats };
      expect(await cached(cache, q), JSON.stringify(q.kpis.map((k) => k.id)) + q.granularity + q.groupBy).toBe(want);
      // the last shape's days were kept by the first one's (same query, from a day earlier)
      expect(cache.stats.read - before.read).toBeGreaterThan(0);
      const mid = { ...cache.stats };
      const chunks = await cache.read(tenant, q);
      expect(kpiAnswerJson(chunks, 'points').series).toBe(want);
      expect(cache.stats.read, 'nothing read the second time').toBe(mid.read);
      expect(cache.stats.kept - mid.kept, 'every chunk kept').toBe(chunks.length);
    }
    // the same days under another tenant are not shared
    const other = await cache.read('someone-else', shapes()[0]!);
    expect(other.every((c) => c.table.groups.length === 0)).toBe(true);
  });

  it('lays out format=columns as the points answer transposed', async () => {
    const cache = new KpiChunkCache(store.client, 64 << 20);
    for (const q of [shapes()[0]!, shapes()[4]!, shapes()[6]!]) {
      const series = await readKpis(store.client, tenant, q);
      for (let round = 0; round < 2; round++) {
        const chunks = await cache.read(tenant, q);
        const body = kpiAnswerJson(chunks, 'columns');
        const kept = cache.body(chunks, 'columns');
        expect([kept.windows!.toString(), kept.series.toString()]).toEqual([body.windows, body.series]);
        const windows = JSON.parse(body.windows!) as string[];
        const columns = JSON.parse(body.series) as { group: unknown; values: Record<string, (number | null)[]> }[];
        expect(windows).toEqual(series[0]!.points.map((p) => p.ts));
        expect(columns.map((s) => s.group)).toEqual(series.map((s) => s.group));
        columns.forEach((s, g) => {
          expect(Object.keys(s.values)).toEqual(q.kpis.map((k) => k.id));
          for (const id of Object.keys(s.values)) expect(s.values[id], id).toEqual(series[g]!.points.map((p) => p[id]));
        });
      }
    }
  });

  it('reads again only the day a late event lands in, and the answer then includes it', async () => {
    const cache = new KpiChunkCache(store.client, 64 << 20);
    const q = shapes()[0]!;
    await cached(cache, q);
    const before = await direct(q);
    // a contact offered and answered on the first day in a queue that had none: a new group
    // in one day's chunk, empty windows for it in the others
    const t = start + 5 * HOUR + 3 * 60_000;
    const base = { ...events[0]!, tenant_id: tenant, contact_id: 'late-1', queue_id: 'q-late', agent_id: null, agent_state: null };
    const late: ContactEvent[] = [
      { ...base, event_id: 'late-1:q', type: 'queued', occurred_at: t },
      { ...base, event_id: 'late-1:a', type: 'answered', occurred_at: t + 12_000, agent_id: 'agent-late' },
    ];
    await writer.write(aggregateMinuteRows(late.filter(feedsAggregates)), `${tenant}:late`);
    const read = cache.stats.read;
    const after = await cached(cache, q);
    expect(cache.stats.read - read).toBe(1);
    expect(after).toBe(await direct(q));
    expect(after).not.toBe(before);
    expect(JSON.parse(after).map((s: { group: { queue_id: string } }) => s.group.queue_id)).toContain('q-late');
  });

  it('reads again the day a late agent state lands in, though its time is only in the state-time table', async () => {
    const cache = new KpiChunkCache(store.client, 64 << 20);
    const q = query(['utilization', 'occupancy'], '1h', ['agent_id']);
    await cached(cache, q);
    const before = await direct(q);
    // an agent nobody saw, available for 40 minutes on the second day: rows of state time only
    // (kpi_agg_1h_state_time under the kpi_agg_1h view), in one day's parts
    const t = start + DAY + 9 * HOUR;
    const state: ContactEvent = {
      ...events[0]!, tenant_id: tenant, event_id: 'late-state', contact_id: 'agent:late', type: 'agent_state_changed', occurred_at: t,
      agent_id: 'agent-late-state', agent_state: 'busy', previous_agent_state: 'available', previous_state_ms: 40 * 60_000, queue_id: null,
    };
    const rows = aggregateMinuteRows([state]);
    expect(rows.every((r) => r.stateOnly)).toBe(true);
    await writer.write(rows, `${tenant}:late-state`);
    const read = cache.stats.read;
    const after = await cached(cache, q);
    expect(cache.stats.read - read).toBe(1);
    expect(after).toBe(await direct(q));
    expect(after).not.toBe(before);
    expect(JSON.parse(after).map((s: { group: { agent_id: string } }) => s.group.agent_id)).toContain('agent-late-state');
  });

  it('gives the same answers after the parts merge, and with too little memory to keep anything', async () => {
    const cache = new KpiChunkCache(store.client, 64 << 20);
    const tiny = new KpiChunkCache(store.client, 1);
    const wants = await Promise.all(shapes().map(direct));
    for (const q of shapes()) await cached(cache, q);
    for (const t of STORED_TABLES.flatMap((s) => physicalTables(s.table))) await store.client.command({ query: `OPTIMIZE TABLE ${t} FINAL` });
    const read = cache.stats.read;
    for (const [i, q] of shapes().entries()) expect(await cached(cache, q)).toBe(wants[i]);
    expect(cache.stats.read).toBeGreaterThan(read);
    for (const [i, q] of shapes().entries()) {
      expect(await cached(tiny, q)).toBe(wants[i]);
      expect(await cached(tiny, q)).toBe(wants[i]);
    }
    expect(tiny.stats.kept).toBe(0);
  });

  it('reads backlog, FCR and top_topics directly: they read outside their windows', async () => {
    const cache = new KpiChunkCache(store.client, 64 << 20);
    for (const q of [query(['backlog', 'offered'], '1h', ['queue_id']), query(['fcr_rate'], '1d', []), { ...query(['offered'], '1h', []), topTopics: 3 }]) {
      expect(KpiChunkCache.cacheable(q)).toBe(false);
      const chunks = await cache.read(tenant, q);
      expect(chunks).toHaveLength(1);
      expect(kpiAnswerJson(chunks, 'points').series).toBe(JSON.stringify(await readKpis(store.client, tenant, q)));
    }
    expect(cache.stats).toEqual({ read: 0, kept: 0 });
  });
});
