import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, DIMENSIONS, GRANULARITY_IDS, KPI_BY_ID, KPI_IDS, calendarSchema, feedsAggregates, referenceSeries, type FoldContext } from '@switchboard/kpi';
import { generateEvents } from '@switchboard/simulator';
import { KpiWriter, aggregateMinuteRows, migrate, openStore, type Store } from '../src';

// The kpi_<grain> BI views are SQL written in migrations, beside the catalogue's formulas
// (packages/kpi), which the API applies in TypeScript. This test holds them to the catalogue:
// every KPI column of every view, on every row, equals the reference implementation's value
// for that window and that combination of all dimensions (default options), computed from
// the events with nothing shared with the store. A formula changed in the catalogue and not
// in the views fails here.

let store: Store;
let dir: string;
const tenant = 'bi-check';
const HOUR = 3_600_000;
const start = Date.parse('2026-11-20T06:00:00Z');
const hours = 6;
let events: ReturnType<typeof generateEvents>;
// A calendar on every queue but sales (open 07:00–09:30 and 10:00–11:00 UTC, so the simulated
// hours hold open and closed spans) and SLA targets by contact, so the business-time and SLA
// columns hold values that differ from their calendar-time twins.
const calendar = calendarSchema.parse({ versions: [{ effective_from: '2020-01-01', zone: 'UTC', weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['07:00', '09:30'], ['10:00', '11:00']]])) }] });
const context: FoldContext = {
  calendarFor: (_t, queue) => (queue === 'sales' ? undefined : calendar),
  slaTargetsFor: (e) => {
    const k = e.contact_id.charCodeAt(e.contact_id.length - 1) % 3;
    return k === 0 ? undefined : { first_reply: { ms: 120_000, business: true }, next_reply: { ms: 300_000, business: false }, resolution: { ms: 600_000, business: k === 1 } };
  },
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-bi-views-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
  events = generateEvents({ seed: tenant, tenantId: tenant, start, durationMs: hours * HOUR, arrivalsPerHour: 200, drain: true, queueCount: 3 });
  const writer = new KpiWriter(store.client);
  for (let i = 0; i < events.length; i += 5000) await writer.write(aggregateMinuteRows(events.slice(i, i + 5000).filter(feedsAggregates), undefined, context), `${tenant}:${i}`);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** the KPIs a view has a column for: all but cost_per_resolution (needs rates) and the history KPIs (read past their row) */
const VIEW_KPIS = KPI_IDS.filter((id) => id !== 'cost_per_resolution' && !KPI_BY_ID.get(id)!.history);

const same = (got: unknown, want: number | null): boolean => {
  if (want === null) return got === null;
  if (got === null) return false;
  const g = Number(got);
  return Math.abs(g - want) <= 1e-9 * Math.max(1, Math.abs(want));
};

describe('BI views against the catalogue', () => {
  it.each(GRANULARITY_IDS)('kpi_%s: every KPI column of every row equals the reference', async (grain) => {
    // the events' hours (and the drain after them); whole UTC days for 1d, whose window starts before the first event
    const day = Date.parse('2026-11-20T00:00:00Z');
    const from = grain === '1d' ? day : start;
    const to = grain === '1d' ? day + 48 * HOUR : start + (hours + 2) * HOUR;
    const rs = await store.client.query({
      query: `SELECT toUnixTimestamp(bucket) * 1000 AS ts, ${DIMENSIONS.join(', ')}, ${VIEW_KPIS.join(', ')} FROM kpi_${grain}
              WHERE tenant_id = {tenant:String} AND bucket >= fromUnixTimestamp64Milli({from:Int64}) AND bucket < fromUnixTimestamp64Milli({to:Int64})`,
      query_params: { tenant, from, to },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const rows = await rs.json<Record<string, unknown>>();
    const viewRows = new Map(rows.map((r) => [JSON.stringify([Number(r.ts), ...DIMENSIONS.map((d) => r[d])]), r]));
    const want = referenceSeries(events, { tenant, from, to, granularity: grain, metrics: VIEW_KPIS, groupBy: [...DIMENSIONS], filters: {}, options: DEFAULT_OPTIONS, context });
    const problems: string[] = [];
    let compared = 0;
    // the calendar and the SLA targets are in play, not read as 24/7 and "no policy"
    let afterHours = 0;
    let shorterInBusiness = 0;
    let breached = 0;
    for (const s of want) {
      const dims = DIMENSIONS.map((d) => s.group[d] ?? '');
      for (const p of s.points) {
        const key = JSON.stringify([Date.parse(p.ts), ...dims]);
        const row = viewRows.get(key);
        if (!row) {
          // a window in which this combination has no events: nothing to show, and the reference has nothing either
          const nonEmpty = VIEW_KPIS.filter((id) => p[id] !== null && p[id] !== 0);
          if (nonEmpty.length) problems.push(`${key}: no view row, reference has ${nonEmpty.map((id) => `${id}=${String(p[id])}`).join(' ')}`);
          continue;
        }
        viewRows.delete(key);
        compared++;
        if (Number(row.in_hours_offered) < Number(row.offered)) afterHours++;
        if (row.art_bh_ms !== null && Number(row.art_bh_ms) < Number(row.art_ms)) shorterInBusiness++;
        if (Number(row.sla_breaches) > 0) breached++;
        for (const id of VIEW_KPIS) {
          if (!same(row[id], p[id] as number | null)) problems.push(`${key} ${id}: view ${String(row[id])}, reference ${String(p[id])}`);
        }
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect([...viewRows.keys()].slice(0, 5), 'view rows the reference has no point for').toEqual([]);
    expect(compared).toBeGreaterThan(grain === '1d' ? 20 : 200);
    expect([afterHours, shorterInBusiness, breached].every((k) => k > 0), `rows with contacts after hours ${afterHours}, shorter resolutions in business time ${shorterInBusiness}, SLA breaches ${breached}`).toBe(true);
  }, 120_000);
});
