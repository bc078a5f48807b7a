import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, KPI_BY_ID, KPI_IDS, feedsAggregates, referenceSeries, zonedWindowStarts, type Dimension, type Granularity } from '@switchboard/kpi';
import { aggregateMinuteRows, FcrFactWriter, KpiWriter, migrate, openStore, readKpis, type Store } from '@switchboard/warehouse';
import { generateEvents } from '@switchboard/simulator';
import { differences } from '@switchboard/testkit';


// Windows in a requested IANA time zone (and top_topics, whose previous window is zoned too), through the store and the reader, across both DST
// changes of 2026 in New York (Mar 8: a 23-hour day; Nov 1: a 25-hour day) and in a zone with
// a half-hour offset. Rows go in through the aggregator's writers (the Kafka path is the
// pipeline test's); every KPI must equal the reference computed from the events.

let store: Store;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-tz-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;
const FLAT_DAY = new Array<number>(24).fill(1);

async function load(tenant: string, start: number, hours: number) {
  const events = generateEvents({ intraday: FLAT_DAY, seed: tenant, tenantId: tenant, start, durationMs: hours * HOUR, arrivalsPerHour: 60, drain: true, queueCount: 2 });
  const writer = new KpiWriter(store.client);
  const facts = new FcrFactWriter(store.client);
  for (let i = 0; i < events.length; i += 5000) {
    const chunk = events.slice(i, i + 5000);
    await facts.write(chunk, `${tenant}:${i}`);
    await writer.write(aggregateMinuteRows(chunk.filter(feedsAggregates)), `${tenant}:${i}`);
  }
  return events;
}

describe('windows in a time zone', () => {
  it('local days are 23 and 25 hours long across the DST changes', () => {
    const days = (from: string, to: string) => {
      const ws = zonedWindowStarts(Date.parse(from), Date.parse(to), '1d', 'America/New_York');
      return ws.slice(0, -1).map((w, i) => (ws[i + 1]! - w) / HOUR);
    };
    expect(days('2026-03-07T12:00:00Z', '2026-03-10T12:00:00Z')).toEqual([24, 23, 24]);
    expect(days('2026-10-31T12:00:00Z', '2026-11-03T12:00:00Z')).toEqual([24, 25, 24]);
  });

  for (const [label, tenant, start, tz] of [
    ['New York, fall back', 'tz-ny-fall', Date.parse('2026-10-31T12:00:00Z'), 'America/New_York'],
    ['New York, spring forward', 'tz-ny-spring', Date.parse('2026-03-07T12:00:00Z'), 'America/New_York'],
    ['Kolkata (+05:30)', 'tz-kolkata', Date.parse('2026-11-01T12:00:00Z'), 'Asia/Kolkata'],
  ] as const) {
    it(`every KPI equals the reference in ${label}, by day, hour and half hour`, async () => {
      const events = await load(tenant, start, 48);
      const kpis = KPI_IDS.map((id) => KPI_BY_ID.get(id)!);
      let values = 0;
      for (const [granularity, groupBy] of [['1d', []], ['1d', ['queue_id']], ['1h', []], ['30m', ['channel']]] as [Granularity, Dimension[]][]) {
        const q = { kpis, from: start, to: start + 48 * HOUR, granularity, groupBy, filters: {}, options: DEFAULT_OPTIONS, tz, topTopics: 3 };
        const want = referenceSeries(events, { tenant, from: q.from, to: q.to, granularity, metrics: [...KPI_IDS, 'top_topics'], groupBy, filters: {}, options: DEFAULT_OPTIONS, tz, topN: 3 });
        const got = await readKpis(store.client, tenant, q);
        expect(got[0]!.points.map((p) => p.ts)).toEqual(want[0]!.points.map((p) => p.ts));
        expect(differences(got as typeof want, want), `${granularity} ${groupBy.join(',')}`).toEqual([]);
        values += want.reduce((n, s) => n + s.points.length * KPI_IDS.length, 0);
      }
      expect(values).toBeGreaterThan(1000);
      // the ranking has something to rank: topics were created in these windows
      const ranked = referenceSeries(events, { tenant, from: start, to: start + 48 * HOUR, granularity: '1d', metrics: ['top_topics'], groupBy: [], filters: {}, options: DEFAULT_OPTIONS, tz, topN: 3 });
      expect(ranked[0]!.points.every((p) => (p.top_topics as unknown[]).length > 0)).toBe(true);
    }, 180_000);
  }
});
