import { describe, expect, it } from 'vitest';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
import {
  STAFFING_INTERVAL_MS, agentsRequired, emptyMeasures, foldEventByMinute, kpiOptionsSchema, referenceSeries, windowStaffing,
  type Granularity, type IntervalSums, type KpiOptions, type Measures, type StaffingMeasure,
} from '../src';

// Staffing KPIs on hand-made cases (docs/staffing.md), each read two ways: the reader's path
// (events folded into stored measures, summed per 15-minute interval, combined by
// windowStaffing) and the reference straight from the events.

let n = 0;
const at = (hhmm: string) => Date.parse(`2026-11-22T${hhmm}:00Z`);
const ev = (type: ContactEventInit['type'], occurred_at: number, extra: Partial<ContactEventInit> = {}): ContactEvent =>
  makeEvent({ event_id: `e${n++}`, tenant_id: 't', contact_id: `c${n}`, type, occurred_at, channel: 'voice', direction: 'inbound', source: 'api', queue_id: 'q', ...extra });
/** `k` contacts queued in the interval starting at `start`, and `wraps` of them wrapped up there after `handleS` */
function load(start: number, k: number, wraps: number, handleS: number): ContactEvent[] {
  const out: ContactEvent[] = [];
  for (let i = 0; i < k; i++) out.push(ev('queued', start + i * 1000));
  for (let i = 0; i < wraps; i++) out.push(ev('wrapup_completed', start + 600_000 + i * 1000, { handle_ms: handleS * 1000 }));
  return out;
}

/** The reader's path: measures per 15-minute interval, then windowStaffing over each window's intervals. */
function readerPath(events: ContactEvent[], from: number, to: number, g: Granularity, o: KpiOptions): Record<StaffingMeasure, number>[] {
  const minutes = new Map<number, Measures>();
  for (const e of events) foldEventByMinute(e, (w) => minutes.get(w) ?? minutes.set(w, emptyMeasures()).get(w)!);
  const sums = new Map<number, IntervalSums>();
  for (const [w, m] of minutes) {
    const s = Math.floor(w / STAFFING_INTERVAL_MS) * STAFFING_INTERVAL_MS;
    const x = sums.get(s) ?? { queued: 0, handle_ms: 0, wrapups: 0, abandoned_all: 0, answered_wait_ms: 0, abandoned_wait_ms: 0 };
    for (const k of Object.keys(x) as (keyof IntervalSums)[]) x[k] += m[k];
    sums.set(s, x);
  }
  const size = { '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000, '1d': 86_400_000 }[g as '15m'];
  const measures: StaffingMeasure[] = ['required', 'required_peak', 'required_scheduled', 'required_erlang_a'];
  const out: Record<StaffingMeasure, number>[] = [];
  for (let w = from; w < to; w += size) {
    const starts: number[] = [];
    for (let s = w; s < w + size; s += STAFFING_INTERVAL_MS) starts.push(s);
    const got = windowStaffing(starts, (s) => sums.get(s), measures, { slThresholdS: o.sl_threshold_s, slTarget: o.sl_target, maxOccupancy: o.max_occupancy, shrinkage: o.shrinkage });
    out.push(Object.fromEntries(measures.map((m) => [m, got.get(m)!])) as Record<StaffingMeasure, number>);
  }
  return out;
}

function both(events: ContactEvent[], from: number, to: number, g: Granularity, opts: Partial<KpiOptions> = {}) {
  const o = kpiOptionsSchema.parse(opts);
  const ref = referenceSeries(events, {
    tenant: 't', from, to, granularity: g, groupBy: [], filters: {}, options: o,
    metrics: ['agents_required', 'agents_required_peak', 'agents_required_scheduled', 'agents_required_erlang_a', 'agents_staffed', 'staffing_gap'],
  })[0]!.points;
  const nan = (x: number) => (Number.isNaN(x) ? null : x);
  readerPath(events, from, to, g, o).forEach((r, i) => {
    expect(nan(r.required), `${g} ${ref[i]!.ts} required`).toBe(ref[i]!.agents_required);
    expect(nan(r.required_peak), 'peak').toBe(ref[i]!.agents_required_peak);
    expect(nan(r.required_scheduled), 'scheduled').toBe(ref[i]!.agents_required_scheduled);
    expect(nan(r.required_erlang_a), 'Erlang A').toBe(ref[i]!.agents_required_erlang_a);
  });
  return ref;
}

describe('staffing KPIs', () => {
  // 10:00 50 offered at 180 s (10 Erlangs: the reference case, 14 agents); 10:15 25 at 180 s;
  // 10:30 nothing; 10:45 50 offered, none wrapped up there: the trailing 2 hours' 180 s
  const day = [...load(at('10:00'), 50, 50, 180), ...load(at('10:15'), 25, 25, 180), ...load(at('10:45'), 50, 0, 180)];
  const five = agentsRequired({ offered: 25, intervalMs: 900_000, handleMs: 180_000, slThresholdS: 20, slTarget: 0.8, maxOccupancy: 0.85 })!.agents;

  it('per 15-minute interval: Erlang C of its own load, the handle time of the trailing 2 hours when none wrapped up', () => {
    const p = both(day, at('10:00'), at('11:00'), '15m');
    expect(p.map((x) => x.agents_required)).toEqual([14, five, 0, 14]);
    expect(five).toBe(8); // 5 Erlangs
    expect(p.map((x) => x.agents_required_peak)).toEqual([14, five, 0, 14]);
  });

  it('an hour is the mean of its four intervals (required agent-hours ÷ hours), never Erlang C of the hour’s average load', () => {
    const [h] = both(day, at('10:00'), at('11:00'), '1h');
    expect(h!.agents_required).toBe((14 + five + 0 + 14) / 4);
    expect(h!.agents_required_peak).toBe(14);
    // Erlang C of the hour's average load (125 contacts × 180 s ÷ 3600 s = 6.25 Erlangs) happens to say 9 too; what it
    // hides is the peak: 14 agents in two of the four quarter hours
    expect(agentsRequired({ offered: 125, intervalMs: 3_600_000, handleMs: 180_000, slThresholdS: 20, slTarget: 0.8, maxOccupancy: 0.85 })!.agents).toBe(9);
    expect(h!.agents_required).toBe(9);
  });

  it('schedules for shrinkage per interval, whole agents: 14 at 30 % → 20', () => {
    const p = both(day, at('10:00'), at('11:00'), '15m', { shrinkage: 0.3 });
    expect(p[0]!.agents_required_scheduled).toBe(20);
    const [h] = both(day, at('10:00'), at('11:00'), '1h', { shrinkage: 0.3 });
    expect(h!.agents_required_scheduled).toBe((20 + Math.ceil(five / 0.7) + 0 + 20) / 4);
  });

  it('Erlang A with the patience of the window’s abandons needs no more than Erlang C; Erlang C when nobody hung up', () => {
    const impatient = [...day, ...Array.from({ length: 10 }, (_, i) => ev('abandoned', at('10:01') + i, { wait_ms: 30_000 })),
      ...Array.from({ length: 40 }, (_, i) => ev('answered', at('10:02') + i, { wait_ms: 15_000 }))];
    const p = both(impatient, at('10:00'), at('11:00'), '15m');
    // mean patience (40 × 15 s + 10 × 30 s) ÷ 10 = 90 s in the first interval; the others had no abandons
    expect(p[0]!.agents_required_erlang_a).toBeLessThanOrEqual(14);
    expect(p.slice(1).map((x) => x.agents_required_erlang_a)).toEqual([five, 0, 14]);
  });

  it('is null when contacts were offered and no handle time is known in the trailing 2 hours', () => {
    const p = both([...load(at('10:00'), 10, 0, 0)], at('10:00'), at('10:30'), '15m');
    expect(p.map((x) => x.agents_required)).toEqual([null, 0]);
    expect(p[0]!.staffing_gap).toBeNull();
    const [h] = both([...load(at('10:00'), 10, 0, 0)], at('10:00'), at('11:00'), '1h');
    expect(h!.agents_required).toBe(0); // the three known intervals
  });

  it('agents_staffed is staffed time ÷ the window, and staffing_gap = agents_staffed − agents_required', () => {
    // two agents logged in all hour (reported at 11:00), a third from 10:30
    const state = (agent: string, ms: number) => ev('agent_state_changed', at('11:00'), { agent_id: agent, agent_state: 'offline', previous_agent_state: 'available', previous_state_ms: ms, contact_id: `agent:${agent}` });
    const p = both([...day, state('a', 3_600_000), state('b', 3_600_000), state('c', 1_800_000)], at('10:00'), at('11:00'), '15m');
    expect(p.map((x) => x.agents_staffed)).toEqual([2, 2, 3, 3]);
    expect(p.map((x) => x.staffing_gap)).toEqual([2 - 14, 2 - five, 3, 3 - 14]);
    const [h] = both([...day, state('a', 3_600_000), state('b', 3_600_000), state('c', 1_800_000)], at('10:00'), at('11:00'), '1h');
    expect(h!.agents_staffed).toBe(2.5);
    expect(h!.staffing_gap).toBe(2.5 - (14 + five + 14) / 4);
  });
});
