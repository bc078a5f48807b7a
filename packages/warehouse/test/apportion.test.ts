import { describe, expect, it } from 'vitest';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
import { DEFAULT_OPTIONS, DIMENSIONS, MAX_STATE_SPAN_MS, QUEUE_DIMENSIONS, emptyMeasures, mergeMeasures, referenceSeries, windowStart, type Granularity, type Measures } from '@switchboard/kpi';
import { aggregateMinuteRows, wideMeasures, type AggregateRow } from '../src';
import { mergeRows, queueRows } from '../src/kpi-writer';

// Exact interval apportioning (docs/staffing.md, "Where time is booked"): an agent state's
// time [occurred_at − previous_state_ms, occurred_at) is split across the 1-minute rows it
// spans, each getting the milliseconds inside it.

let n = 0;
const MIN = 60_000;
const change = (occurred_at: number, previous_agent_state: ContactEventInit['previous_agent_state'], previous_state_ms: number | null, extra: Partial<ContactEventInit> = {}): ContactEvent =>
  makeEvent({
    event_id: `s${n++}`, tenant_id: 't', contact_id: 'agent:a1', type: 'agent_state_changed', occurred_at, channel: 'voice', direction: 'inbound',
    source: 'api', agent_id: 'a1', team_id: 'blue', queue_id: 'q', agent_state: 'offline', previous_agent_state, previous_state_ms, ...extra,
  });

const byBucket = (rows: AggregateRow[]) => new Map(rows.map((r) => [r.bucket, r]));
const staffed = (r: AggregateRow) => r.measures.state_busy_ms + r.measures.state_acw_ms + r.measures.state_available_ms + r.measures.state_away_ms;

describe('agent state time split across 1-minute rows', () => {
  it('a 3-hour available stretch gives each of its 180 minutes exactly 60 s', () => {
    const end = Date.parse('2026-11-22T13:00:00Z');
    const rows = aggregateMinuteRows([change(end, 'available', 3 * 3_600_000)]);
    // the 180 minutes 10:00 … 12:59, and the row of the change's own minute (13:00, nothing in it)
    expect(rows).toHaveLength(181);
    const at = byBucket(rows);
    for (let w = end - 180 * MIN; w < end; w += MIN) {
      expect(at.get(w)!.measures.state_available_ms, new Date(w).toISOString()).toBe(60_000);
      expect([...wideMeasures(at.get(w)!).staffed_ms_by_team]).toEqual([['blue', 60_000]]);
    }
    expect(staffed(at.get(end)!)).toBe(0);
    expect(rows.reduce((s, r) => s + r.measures.state_available_ms, 0)).toBe(3 * 3_600_000);
  });

  it('splits a state crossing midnight at its exact milliseconds, partial first and last minutes included', () => {
    // busy from 23:58:30.250 to 00:01:10.500 the next day
    const end = Date.parse('2026-11-23T00:01:10.500Z');
    const from = Date.parse('2026-11-22T23:58:30.250Z');
    const rows = aggregateMinuteRows([change(end, 'busy', end - from, { agent_state: 'after_call_work' })]);
    const at = byBucket(rows);
    expect([...at.keys()].sort((a, b) => a - b).map((w) => new Date(w).toISOString())).toEqual([
      '2026-11-22T23:58:00.000Z', '2026-11-22T23:59:00.000Z', '2026-11-23T00:00:00.000Z', '2026-11-23T00:01:00.000Z',
    ]);
    expect([...at.values()].sort((a, b) => a.bucket - b.bucket).map((r) => r.measures.state_busy_ms)).toEqual([29_750, 60_000, 60_000, 10_500]);
    // the day before gets its 89.75 s, the new day its 70.5 s: at 1d they land in different windows
    const queue = queueRows(rows);
    expect(queue.filter((r) => r.bucket < Date.parse('2026-11-23T00:00:00Z')).reduce((s, r) => s + r.measures.state_busy_ms, 0)).toBe(89_750);
  });

  it('a state ending on a minute boundary leaves the minute of the change empty', () => {
    const end = Date.parse('2026-11-22T10:05:00Z');
    const at = byBucket(aggregateMinuteRows([change(end, 'away', 90_000)]));
    expect(at.get(end - 2 * MIN)!.measures.state_away_ms).toBe(30_000);
    expect(at.get(end - MIN)!.measures.state_away_ms).toBe(60_000);
    expect(staffed(at.get(end)!)).toBe(0);
  });

  it('zero-length, offline and unknown states add no time and no other rows', () => {
    const t = Date.parse('2026-11-22T10:05:20Z');
    const rows = aggregateMinuteRows([change(t, 'busy', 0), change(t, 'offline', 3_600_000), change(t, null, null), change(t, 'available', null)]);
    expect(rows).toHaveLength(1);
    expect(staffed(rows[0]!)).toBe(0);
    expect(wideMeasures(rows[0]!).staffed_ms_by_team.size).toBe(0);
  });

  it(`counts at most the ${MAX_STATE_SPAN_MS / 3_600_000} hours before the change`, () => {
    const end = Date.parse('2026-11-22T10:00:00Z');
    const rows = aggregateMinuteRows([change(end, 'available', 3 * 86_400_000)]);
    expect(rows).toHaveLength(1441);
    expect(Math.min(...rows.map((r) => r.bucket))).toBe(end - MAX_STATE_SPAN_MS);
    expect(rows.reduce((s, r) => s + r.measures.state_available_ms, 0)).toBe(MAX_STATE_SPAN_MS);
  });

  it('keeps other event types in the minute they happen, and each piece under the event’s dimensions', () => {
    const t = Date.parse('2026-11-22T10:02:10Z');
    const rows = aggregateMinuteRows([
      change(t, 'busy', 150_000),
      makeEvent({ event_id: 'w', tenant_id: 't', contact_id: 'c', type: 'wrapup_completed', occurred_at: t, channel: 'voice', direction: 'inbound', source: 'api', agent_id: 'a1', team_id: 'blue', queue_id: 'q', handle_ms: 150_000 }),
    ]);
    const at = byBucket(rows);
    // the wrap-up's minute holds both (every measure); the state's earlier minutes state time alone (narrow)
    expect(at.get(Date.parse('2026-11-22T10:02:00Z'))!.stateOnly).toBe(false);
    expect(wideMeasures(at.get(Date.parse('2026-11-22T10:02:00Z'))!).handle_ms).toBe(150_000);
    expect(at.get(Date.parse('2026-11-22T09:59:00Z'))!.stateOnly).toBe(true);
    expect(at.get(Date.parse('2026-11-22T09:59:00Z'))!.measures.state_busy_ms).toBe(20_000);
    expect(wideMeasures(at.get(Date.parse('2026-11-22T09:59:00Z'))!).handle_ms).toBe(0);
    for (const r of rows) expect(r.dims).toMatchObject({ agent_id: 'a1', team_id: 'blue', queue_id: 'q' });
  });

  it('matches the reference, which clips each state to each window, at every grain', () => {
    const base = Date.parse('2026-11-22T22:00:00Z');
    const events: ContactEvent[] = [];
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const states = ['available', 'busy', 'after_call_work', 'away', 'offline'] as const;
    for (let i = 0; i < 300; i++) {
      events.push(change(base + Math.floor(rnd() * 4 * 3_600_000), states[Math.floor(rnd() * 5)]!, Math.floor(rnd() * 2 * 3_600_000),
        { agent_id: `a${i % 4}`, team_id: i % 3 ? 'blue' : null }));
    }
    const rows = aggregateMinuteRows(events);
    for (const g of ['1m', '15m', '1h', '1d'] as Granularity[]) {
      const size = { '1m': MIN, '15m': 15 * MIN, '1h': 60 * MIN, '1d': 1440 * MIN }[g as '1m'];
      const from = Math.floor((base - 2 * 3_600_000) / size) * size;
      const want = referenceSeries(events, { tenant: 't', from, to: base + 5 * 3_600_000, granularity: g, metrics: ['occupancy', 'utilization'], groupBy: [], filters: {}, options: DEFAULT_OPTIONS });
      for (const p of want[0]!.points) {
        const w = Date.parse(p.ts);
        const inWindow = rows.filter((r) => r.bucket >= w && r.bucket < w + size);
        const handling = inWindow.reduce((s, r) => s + r.measures.state_busy_ms + r.measures.state_acw_ms, 0);
        const all = inWindow.reduce((s, r) => s + staffed(r), 0);
        expect(all > 0 ? handling / all : null, `${g} ${p.ts}`).toBe(p.utilization);
      }
    }
  });

  it('merged at a coarser grain (what kpi_agg_1h and kpi_queue_15m|1h|1d take): one row per window and key, the same totals, inputs untouched', () => {
    // a 3-hour stretch, 181 minute rows, and a second agent's half hour: at 1h, one row per agent and hour
    const end = Date.parse('2026-11-22T13:20:00Z');
    const rows = aggregateMinuteRows([change(end, 'available', 3 * 3_600_000), change(end, 'busy', 1_800_000, { agent_id: 'a2' })]);
    const before = JSON.stringify(rows.map((r) => [r.bucket, r.measures.state_available_ms, r.measures.state_busy_ms]));
    const hourly = mergeRows(rows, DIMENSIONS, '1h');
    const sorted = [...hourly].sort((a, b) => a.dims.agent_id.localeCompare(b.dims.agent_id) || a.bucket - b.bucket);
    expect(sorted.map((r) => [new Date(r.bucket).toISOString(), r.dims.agent_id, r.measures.state_available_ms, r.measures.state_busy_ms])).toEqual([
      ['2026-11-22T10:00:00.000Z', 'a1', 2_400_000, 0],
      ['2026-11-22T11:00:00.000Z', 'a1', 3_600_000, 0],
      ['2026-11-22T12:00:00.000Z', 'a1', 3_600_000, 0],
      ['2026-11-22T13:00:00.000Z', 'a1', 1_200_000, 0],
      ['2026-11-22T12:00:00.000Z', 'a2', 0, 600_000],
      ['2026-11-22T13:00:00.000Z', 'a2', 0, 1_200_000],
    ]);
    expect([...wideMeasures(sorted[1]!).staffed_ms_by_team]).toEqual([['blue', 3_600_000]]);
    // the rows passed in are read, never written
    expect(JSON.stringify(rows.map((r) => [r.bucket, r.measures.state_available_ms, r.measures.state_busy_ms]))).toBe(before);
    // over agents and by day: one row, every millisecond
    const daily = mergeRows(mergeRows(queueRows(rows), QUEUE_DIMENSIONS, '1h'), QUEUE_DIMENSIONS, '1d');
    expect(daily).toHaveLength(1);
    expect(daily[0]!.bucket).toBe(windowStart(end, '1d'));
    expect(daily[0]!.measures.state_available_ms + daily[0]!.measures.state_busy_ms).toBe(3 * 3_600_000 + 1_800_000);
    // a replay of the same rows builds the same rows in the same order
    expect(mergeRows(rows, DIMENSIONS, '1h').map((r) => `${r.bucket}${r.dims.agent_id}`)).toEqual(hourly.map((r) => `${r.bucket}${r.dims.agent_id}`));
  });

  it('merges rows of state time alone with rows of every measure: the same measures as merging them all wide, narrow only where every row was', () => {
    // across midnight: the hour row of 00:00 is the day's row until the hour after it joins
    const base = Date.parse('2026-11-22T22:30:00Z');
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const events: ContactEvent[] = [];
    for (let i = 0; i < 200; i++) {
      const at = base + Math.floor(rnd() * 3 * 3_600_000);
      const agent = { agent_id: `a${i % 3}`, team_id: i % 2 ? 'blue' : 'red' };
      events.push(i % 4 === 0
        ? makeEvent({ event_id: `w${i}`, tenant_id: 't', contact_id: `c${i}`, type: 'wrapup_completed', occurred_at: at, channel: 'voice', direction: 'inbound', source: 'api', queue_id: 'q', handle_ms: 1000 + i, ...agent })
        : change(at, (['available', 'busy', 'away'] as const)[i % 3]!, Math.floor(rnd() * 40 * MIN), agent));
    }
    const rows = aggregateMinuteRows(events);
    expect(new Set(rows.map((r) => r.stateOnly))).toEqual(new Set([true, false]));
    const before = JSON.stringify(rows.map((r) => [r.stateOnly, Object.entries(wideMeasures(r)).map(([k, v]) => [k, v instanceof Map ? [...v] : v])]));
    const hourly = mergeRows(rows, DIMENSIONS, '1h');
    const hourlyBefore = JSON.stringify(hourly.map((r) => Object.entries(wideMeasures(r)).map(([k, v]) => [k, v instanceof Map ? [...v] : v])));
    const flat = (m: Measures) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v instanceof Map ? Object.fromEntries([...v].sort()) : v]));
    for (const [grain, dims, merged] of [
      ['1h', DIMENSIONS, mergeRows(rows, DIMENSIONS, '1h')],
      ['1d', DIMENSIONS, mergeRows(hourly, DIMENSIONS, '1d')],
      ['1h', QUEUE_DIMENSIONS, mergeRows(queueRows(rows), QUEUE_DIMENSIONS, '1h')],
    ] as const) {
      const want = new Map<string, { m: Measures; stateOnly: boolean }>();
      for (const r of rows) {
        const k = `${windowStart(r.bucket, grain)}|${dims.map((d) => r.dims[d]).join('|')}`;
        const w = want.get(k) ?? want.set(k, { m: emptyMeasures(), stateOnly: true }).get(k)!;
        mergeMeasures(w.m, wideMeasures(r));
        w.stateOnly &&= r.stateOnly;
      }
      expect(merged).toHaveLength(want.size);
      for (const r of merged) {
        const w = want.get(`${r.bucket}|${dims.map((d) => r.dims[d]).join('|')}`)!;
        expect(r.stateOnly, `${grain} ${r.bucket}`).toBe(w.stateOnly);
        expect(flat(wideMeasures(r)), `${grain} ${r.bucket}`).toEqual(flat(w.m));
      }
    }
    expect(JSON.stringify(rows.map((r) => [r.stateOnly, Object.entries(wideMeasures(r)).map(([k, v]) => [k, v instanceof Map ? [...v] : v])]))).toBe(before);
    // merged rows, merged again at a coarser grain, are read and not written either
    expect(JSON.stringify(hourly.map((r) => Object.entries(wideMeasures(r)).map(([k, v]) => [k, v instanceof Map ? [...v] : v])))).toBe(hourlyBefore);
  });
});
