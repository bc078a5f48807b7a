import { describe, expect, it } from 'vitest';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
import {
  KPI_BY_ID, calendarSchema, emptyMeasures, foldEvent, kpiOptionsSchema, mergeMeasures, requiredQuantities, windowStart,
  type Calendar, type FoldContext, type KpiOptions, type Measures, type SlaTargets,
} from '../src';
import { computeKpi } from '../src/catalogue';
import { evalQuantity } from '../src/quantities';
import { referenceMetric } from '../src/reference';

// Business-time and SLA KPIs (docs/business-hours.md, docs/sla.md) on hand-made cases: each
// value read both ways — folded into stored measures (one row, and split into rows and merged)
// and by the reference straight from the events — and checked against a number worked out by
// hand. The calendar: Berlin, Mon–Fri 08:00–12:00 and 13:00–18:00, 24 Dec a half day.

const H = 3_600_000;
const MIN = 60_000;
const at = (iso: string) => Date.parse(iso);
const weekdays = (day: [string, string][]) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, day]));
const berlin: Calendar = calendarSchema.parse({
  versions: [{ effective_from: '2020-01-01', zone: 'Europe/Berlin', weekly: weekdays([['08:00', '12:00'], ['13:00', '18:00']]), holidays: [{ date: '2026-12-24', open: [['08:00', '12:00']] }, { date: '2026-12-25', to: '2026-12-26' }] }],
});

/** Queue 'support' runs on the Berlin calendar, 'hotline' 24/7; urgent tickets have an SLA policy, normal ones too (calendar time). */
const targets: Record<string, SlaTargets> = {
  urgent: { first_reply: { ms: 60 * MIN, business: true }, next_reply: { ms: 2 * H, business: true }, resolution: { ms: 8 * H, business: true } },
  normal: { first_reply: { ms: 24 * H, business: false }, resolution: { ms: 72 * H, business: false } },
};
const ctx: FoldContext = {
  calendarFor: (_tenant, queue) => (queue === 'support' ? berlin : undefined),
  // the SLA policy's priority is carried in the event's attributes here: the matching itself is tested with the policies (sla.test.ts)
  slaTargetsFor: (e) => targets[(e.attributes as Record<string, string>).priority ?? ''],
};

let n = 0;
const ev = (type: ContactEventInit['type'], occurred: string, extra: Partial<ContactEventInit> = {}, priority?: string): ContactEvent =>
  makeEvent({
    event_id: `e${n++}`, tenant_id: 't', contact_id: `c${n}`, type, occurred_at: at(occurred), channel: 'email',
    direction: 'inbound', source: 'api', queue_id: 'support', ...extra, ...(priority ? { attributes: { priority } } : {}),
  });

function compute(id: string, m: Measures, o: KpiOptions) {
  const k = KPI_BY_ID.get(id)!;
  const qs = requiredQuantities([k], o);
  return computeKpi(k, (key) => evalQuantity(qs.get(key)!, m), o);
}
const close = (a: number | null, b: number | null) => a === b || (a !== null && b !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)));

/** Fold (one row; one row per minute and contact, merged) and reference agree; returns the value. */
function kpi(id: string, events: ContactEvent[], o: Partial<KpiOptions> = {}) {
  const opts = kpiOptionsSchema.parse(o);
  const one = emptyMeasures();
  for (const e of events) foldEvent(one, e, ctx);
  const rows = new Map<string, Measures>();
  for (const e of events) {
    const key = `${windowStart(e.occurred_at, '1m')}|${e.contact_id}`;
    if (!rows.has(key)) rows.set(key, emptyMeasures());
    foldEvent(rows.get(key)!, e, ctx);
  }
  const merged = emptyMeasures();
  for (const m of rows.values()) mergeMeasures(merged, m);
  const folded = compute(id, one, opts);
  const ref = referenceMetric(id, events, opts, undefined, undefined, ctx);
  expect(close(folded, ref), `${id}: fold ${folded} vs reference ${ref}`).toBe(true);
  expect(close(compute(id, merged, opts), ref), `${id}: merged rows vs reference ${ref}`).toBe(true);
  return folded;
}

describe('business-time durations', () => {
  it('frt_bh_ms counts a first reply across a weekend in open hours only (split shifts)', () => {
    // asked Fri 20 Nov 17:00 Berlin (16:00Z), answered Mon 23 Nov 09:00 Berlin: 1 h Friday + 1 h Monday
    const reply = ev('agent_message', '2026-11-23T08:00:00Z', { response_ms: 64 * H, first_response: true });
    // asked Mon 10:30, answered 12:30 Berlin: the lunch half hour does not count (1.5 h)
    const lunch = ev('agent_message', '2026-11-23T11:30:00Z', { response_ms: 2 * H, first_response: true });
    expect(kpi('frt_ms', [reply, lunch])).toBe(33 * H);
    expect(kpi('frt_bh_ms', [reply, lunch])).toBe((2 * H + 1.5 * H) / 2);
    expect(kpi('frt_bh_ms', [ev('agent_message', '2026-11-23T11:30:00Z', { response_ms: 2 * H, first_response: true, queue_id: 'hotline' })])).toBe(2 * H);
    // later replies count in avg_response_bh_ms, not in frt: asked 11:00, answered 14:00 Berlin is 2 business hours
    const later = ev('agent_message', '2026-11-23T13:00:00Z', { response_ms: 3 * H, first_response: false });
    expect(kpi('avg_response_bh_ms', [reply, lunch, later])).toBe((2 * H + 1.5 * H + 2 * H) / 3);
    expect(kpi('frt_bh_ms', [reply, lunch, later])).toBe(1.75 * H);
  });

  it('art_bh_ms skips a holiday and counts the open hours of a half day', () => {
    // opened Thu 24 Dec 07:00 Berlin, resolved Mon 28 Dec 09:00 Berlin: 4 h on the 24th, 25th/26th closed, 1 h Monday
    const r = ev('resolved', '2026-12-28T08:00:00Z', { resolution_ms: at('2026-12-28T08:00:00Z') - at('2026-12-24T06:00:00Z') });
    expect(kpi('art_bh_ms', [r])).toBe(5 * H);
    expect(kpi('art_bh_p50_ms', [r])! / (5 * H)).toBeGreaterThanOrEqual(1);
    expect(kpi('art_bh_p50_ms', [r])! / (5 * H)).toBeLessThanOrEqual(1.02);
  });

  it('percentiles read the business durations, nearest rank', () => {
    const replies = [10, 20, 30, 40].map((m) => ev('agent_message', '2026-11-23T09:00:00Z', { response_ms: m * MIN, first_response: true }));
    // all inside Monday's morning shift: business = calendar time; p50 is the 2nd of 4 (20 min), within 2 %
    const p50 = kpi('frt_bh_p50_ms', replies)!;
    expect(p50 / (20 * MIN)).toBeGreaterThanOrEqual(1);
    expect(p50 / (20 * MIN)).toBeLessThanOrEqual(1.02);
    expect(kpi('frt_bh_p90_ms', [])).toBeNull();
  });
});

describe('in hours', () => {
  it('in_hours_offered and service_level_in_hours leave out contacts queued while the queue was closed', () => {
    const es = [
      // queued Monday 09:00 Berlin (open): answered after 10 s, and one abandoned after 60 s
      ev('queued', '2026-11-23T08:00:00Z'),
      ev('answered', '2026-11-23T08:00:10Z', { wait_ms: 10_000 }),
      ev('queued', '2026-11-23T08:01:00Z'),
      ev('abandoned', '2026-11-23T08:02:00Z', { wait_ms: 60_000 }),
      // queued Monday 07:59:30 Berlin (closed), answered at 08:00:30 after 60 s: queued after hours
      ev('queued', '2026-11-23T06:59:30Z'),
      ev('answered', '2026-11-23T07:00:30Z', { wait_ms: 60_000 }),
      // queued Saturday: after hours, abandoned
      ev('queued', '2026-11-21T10:00:00Z'),
      ev('abandoned', '2026-11-21T10:05:00Z', { wait_ms: 300_000 }),
    ];
    expect(kpi('offered', es)).toBe(4);
    expect(kpi('in_hours_offered', es)).toBe(2);
    // all contacts: 1 within 20 s of (2 answered + 2 abandoned beyond 20 s)
    expect(kpi('service_level', es)).toBe(1 / 4);
    // in hours: 1 within 20 s of (1 answered + 1 abandoned beyond 20 s)
    expect(kpi('service_level_in_hours', es)).toBe(1 / 2);
    expect(kpi('service_level_in_hours', es, { sl_formula: 'offered' })).toBe(1 / 2);
    expect(kpi('service_level_in_hours', es, { sl_threshold_s: 60 })).toBe(1);
  });
});

describe('SLA policies', () => {
  it('measures each clock against its policy target, in business or calendar time', () => {
    const es = [
      // urgent, business-time first reply 60 min: Fri 17:30 → Mon 08:20 Berlin is 30 + 20 = 50 business minutes: met
      ev('agent_message', '2026-11-23T07:20:00Z', { response_ms: at('2026-11-23T07:20:00Z') - at('2026-11-20T16:30:00Z'), first_response: true }, 'urgent'),
      // urgent: 2 business hours for a first reply: missed
      ev('agent_message', '2026-11-23T10:00:00Z', { response_ms: 2 * H, first_response: true }, 'urgent'),
      // normal, calendar-time first reply 24 h: 30 h: missed, although only a few business hours passed
      ev('agent_message', '2026-11-23T10:00:00Z', { response_ms: 30 * H, first_response: true }, 'normal'),
      // normal has no next_reply target: not measured; urgent's next reply 1 business hour: met
      ev('agent_message', '2026-11-23T10:00:00Z', { response_ms: 3 * H, first_response: false }, 'normal'),
      ev('agent_message', '2026-11-23T10:00:00Z', { response_ms: H, first_response: false }, 'urgent'),
      // no priority: no policy applies
      ev('agent_message', '2026-11-23T10:00:00Z', { response_ms: 99 * H, first_response: true }),
      // resolutions: urgent in 6 business hours (met), normal in 80 calendar hours (missed)
      ev('resolved', '2026-11-23T16:00:00Z', { resolution_ms: 7 * H }, 'urgent'),
      ev('resolved', '2026-11-23T16:00:00Z', { resolution_ms: 80 * H }, 'normal'),
    ];
    expect(kpi('sla_first_reply_rate', es)).toBe(1 / 3);
    expect(kpi('sla_next_reply_rate', es)).toBe(1);
    expect(kpi('sla_resolution_rate', es)).toBe(1 / 2);
    expect(kpi('sla_breaches', es)).toBe(2 + 0 + 1);
    expect(kpi('sla_first_reply_rate', es.slice(5, 6))).toBeNull();
    expect(kpi('sla_breaches', [])).toBe(0);
  });
});
