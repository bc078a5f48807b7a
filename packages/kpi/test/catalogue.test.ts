import { describe, expect, it } from 'vitest';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
import {
  DEFAULT_OPTIONS, KPI_BY_ID, KPI_IDS, emptyMeasures, foldEvent, foldEventByMinute, kpiOptionsSchema, mergeMeasures,
  rankTopics, referenceSeries, requiredQuantities, windowStart, type Granularity, type KpiOptions, type Measures,
} from '../src';
import { computeKpi } from '../src/catalogue';
import { evalQuantity } from '../src/quantities';
import { referenceMetric } from '../src/reference';

// Hand-made cases for the windowed catalogue beyond the first release. Every value is read
// both ways — folded into stored measures (also split into 1-minute rows and merged, as the
// rollups do) and by the reference straight from the events — and checked against a number
// worked out by hand from the definition in docs/kpis.md.

let n = 0;
const T0 = Date.parse('2026-11-22T10:00:00Z');
const ev = (type: ContactEventInit['type'], extra: Partial<ContactEventInit> = {}): ContactEvent =>
  makeEvent({
    event_id: `e${n++}`, tenant_id: 't', contact_id: `c${n}`, type, occurred_at: T0, channel: 'voice',
    direction: 'inbound', source: 'api', queue_id: 'q', ...extra,
  });
const at = (hhmmss: string) => Date.parse(`2026-11-22T${hhmmss}Z`);

function compute(id: string, m: Measures, o: KpiOptions) {
  const k = KPI_BY_ID.get(id)!;
  const qs = requiredQuantities([k], o);
  return computeKpi(k, (key) => evalQuantity(qs.get(key)!, m), o);
}

/** One measure row per (minute, queue, agent, contact): finer than any real row, then merged. */
function foldMerged(events: ContactEvent[]): Measures {
  const rows = new Map<string, Measures>();
  for (const e of events) {
    const key = `${windowStart(e.occurred_at, '1m')}|${e.queue_id}|${e.agent_id}|${e.contact_id}`;
    if (!rows.has(key)) rows.set(key, emptyMeasures());
    foldEvent(rows.get(key)!, e);
  }
  const all = emptyMeasures();
  for (const m of rows.values()) mergeMeasures(all, m);
  return all;
}

const close = (a: number | null, b: number | null) =>
  a === b || (a !== null && b !== null && Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a)));

/** Fold path (one row, and many rows merged) and reference must agree; returns the value. */
function kpi(id: string, events: ContactEvent[], o: Partial<KpiOptions> = {}) {
  const opts = kpiOptionsSchema.parse(o);
  const one = emptyMeasures();
  for (const e of events) foldEvent(one, e);
  const folded = compute(id, one, opts);
  const merged = compute(id, foldMerged(events), opts);
  const ref = referenceMetric(id, events, opts);
  expect(close(folded, ref), `${id}: fold ${folded} vs reference ${ref}`).toBe(true);
  expect(close(merged, ref), `${id}: merged rows ${merged} vs reference ${ref}`).toBe(true);
  return folded;
}

/** The KPI per window of a grain, by both paths. */
function perWindow(id: string, events: ContactEvent[], g: Granularity) {
  const size = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000, '1d': 86_400_000 }[g];
  const windows = [...new Set(events.map((e) => Math.floor(e.occurred_at / size) * size))].sort();
  return Object.fromEntries(windows.map((w) => [
    new Date(w).toISOString().slice(11, 16),
    kpi(id, events.filter((e) => Math.floor(e.occurred_at / size) * size === w)),
  ]));
}

describe('blockage', () => {
  it('blocked counts blocked; blockage_rate = blocked ÷ (offered + blocked)', () => {
    const es = [ev('queued'), ev('queued'), ev('queued'), ev('blocked')];
    expect(kpi('blocked', es)).toBe(1);
    expect(kpi('blockage_rate', es)).toBe(1 / 4);
    expect(kpi('blockage_rate', [])).toBeNull();
    expect(kpi('blockage_rate', [ev('blocked')])).toBe(1);
  });
});

describe('created, resolved, reopened', () => {
  it('resolution_rate is resolved ÷ created in the window', () => {
    const es = [...Array.from({ length: 4 }, () => ev('contact_created')), ev('resolved'), ev('resolved'), ev('resolved')];
    expect(kpi('created', es)).toBe(4);
    expect(kpi('resolved', es)).toBe(3);
    expect(kpi('resolution_rate', es)).toBe(0.75);
    expect(kpi('resolution_rate', [ev('resolved')])).toBeNull();
  });
  it('a ticket resolved, reopened and resolved again: 2 resolutions, 1 reopen', () => {
    const es = [
      ev('contact_created', { contact_id: 'tk' }), ev('resolved', { contact_id: 'tk', resolution_ms: 3_600_000 }),
      ev('reopened', { contact_id: 'tk' }), ev('resolved', { contact_id: 'tk', resolution_ms: 7_200_000 }),
    ];
    expect(kpi('resolved', es)).toBe(2);
    expect(kpi('reopen_rate', es)).toBe(1 / 2);
    expect(kpi('art_ms', es)).toBe(5_400_000);
    expect(kpi('reopen_rate', [ev('reopened')])).toBeNull();
  });
  it('art_ms averages the resolved events that carry resolution_ms', () => {
    expect(kpi('art_ms', [ev('resolved', { resolution_ms: 1000 }), ev('resolved')])).toBe(1000);
    expect(kpi('art_ms', [ev('resolved')])).toBeNull();
  });
  it("resolution_consistency: resolved contacts whose code is their topic's most frequent one", () => {
    const r = (topic: string | null, resolution_code: string | null, queue_id = 'q') => ev('resolved', { topic, resolution_code, queue_id });
    // billing: refund ×3 (two queues), explained ×1 → 3 consistent of 4; tech: reset ×1, setup ×1 → a tie, 1 of 2;
    // no topic: one code → 1 of 1; a resolution without a code is not counted
    const es = [r('billing', 'refund'), r('billing', 'refund', 'q2'), r('billing', 'refund'), r('billing', 'explained', 'q2'),
      r('tech', 'reset'), r('tech', 'setup'), r(null, 'explained'), r('billing', null)];
    expect(kpi('resolution_consistency', es)).toBe(5 / 7);
    expect(kpi('resolution_consistency', es.filter((e) => e.topic === 'billing'))).toBe(3 / 4);
    expect(kpi('resolution_consistency', [r('billing', null)])).toBeNull();
  });
  it('touches_per_ticket = agent messages ÷ resolved', () => {
    const es = [...Array.from({ length: 5 }, () => ev('agent_message', { channel: 'email' })), ev('resolved'), ev('resolved')];
    expect(kpi('touches_per_ticket', es)).toBe(2.5);
  });
});

describe('transfers and escalations', () => {
  it('count contacts with at least one transfer, not transfer events', () => {
    // A: answered, transferred, answered again, transferred again; B answered and transferred; C answered
    const es = [
      ev('answered', { contact_id: 'A', wait_ms: 1000 }), ev('transferred', { contact_id: 'A' }),
      ev('answered', { contact_id: 'A', wait_ms: 1000, queue_id: 'q2' }), ev('transferred', { contact_id: 'A', queue_id: 'q2' }),
      ev('answered', { contact_id: 'B', wait_ms: 1000 }), ev('transferred', { contact_id: 'B' }),
      ev('answered', { contact_id: 'C', wait_ms: 1000 }),
    ];
    expect(kpi('transfer_rate', es)).toBe(2 / 4);
    expect(kpi('escalation_rate', es)).toBe(0);
  });
  it('escalations likewise; null with nothing answered', () => {
    const es = [ev('answered', { contact_id: 'A', wait_ms: 0 }), ev('escalated', { contact_id: 'A' }), ev('escalated', { contact_id: 'A' })];
    expect(kpi('escalation_rate', es)).toBe(1);
    expect(kpi('transfer_rate', [ev('transferred')])).toBeNull();
  });
  it('a contact transferred in two windows counts in each minute, and once in their hour', () => {
    const es = [
      ev('answered', { contact_id: 'A', wait_ms: 0, occurred_at: at('10:00:10') }), ev('transferred', { contact_id: 'A', occurred_at: at('10:00:40') }),
      ev('answered', { contact_id: 'A', wait_ms: 0, occurred_at: at('10:01:10') }), ev('transferred', { contact_id: 'A', occurred_at: at('10:01:40') }),
    ];
    expect(perWindow('transfer_rate', es, '1m')).toEqual({ '10:00': 1, '10:01': 1 });
    expect(perWindow('transfer_rate', es, '1h')).toEqual({ '10:00': 1 / 2 });
  });
});

describe('speed', () => {
  it('longest_wait_ms is the max wait of answered and abandoned; null without either', () => {
    expect(kpi('longest_wait_ms', [ev('answered', { wait_ms: 10_000 }), ev('abandoned', { wait_ms: 45_000 }), ev('answered', { wait_ms: 30_000 })])).toBe(45_000);
    expect(kpi('longest_wait_ms', [ev('answered', { wait_ms: 0 })])).toBe(0);
    expect(kpi('longest_wait_ms', [ev('queued')])).toBeNull();
  });
  it('asa percentiles: nearest rank over answered waits, to the second rounded up, past an hour 3601 s', () => {
    // 10 answered: 1.0 s … 10.0 s, the 10th at 9.001 s → rounds up to 10 s
    const es = [...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((s) => ev('answered', { wait_ms: s * 1000 })), ev('answered', { wait_ms: 9001 }), ev('abandoned', { wait_ms: 99_000 })];
    expect(kpi('asa_p50_ms', es)).toBe(5000);
    expect(kpi('asa_p90_ms', es)).toBe(9000);
    expect(kpi('asa_p95_ms', es)).toBe(10_000);
    // 30 waits: p90 is the 27th (⌈0.9·30⌉ = 27, not 28 from 0.9·30 = 27.000000000000004)
    const thirty = Array.from({ length: 30 }, (_, i) => ev('answered', { wait_ms: (i + 1) * 1000 }));
    expect(kpi('asa_p90_ms', thirty)).toBe(27_000);
    expect(kpi('asa_p50_ms', [ev('answered', { wait_ms: 5 * 3_600_000 })])).toBe(3_601_000);
    expect(kpi('asa_p50_ms', [ev('abandoned', { wait_ms: 1000 })])).toBeNull();
  });
  it('frt and art percentiles: nearest rank, read back at most 2 % high from a log-scale histogram', () => {
    const first = (response_ms: number) => ev('agent_message', { channel: 'chat', response_ms, first_response: true });
    // 60 s, 120 s, 300 s, 3 600 s first responses (a later reply does not count)
    const es = [first(60_000), first(120_000), first(300_000), first(3_600_000), ev('agent_message', { channel: 'chat', response_ms: 1, first_response: false })];
    for (const [id, exact] of [['frt_p50_ms', 120_000], ['frt_p90_ms', 3_600_000], ['frt_p95_ms', 3_600_000]] as const) {
      const v = kpi(id, es)!;
      expect(v).toBeGreaterThanOrEqual(exact);
      expect(v).toBeLessThanOrEqual(exact * 1.02);
    }
    // two days and one hour of resolution
    const art = kpi('art_p50_ms', [ev('resolved', { resolution_ms: 2 * 86_400_000 }), ev('resolved', { resolution_ms: 3_600_000 }), ev('resolved')])!;
    expect(art / 3_600_000).toBeGreaterThanOrEqual(1);
    expect(art / 3_600_000).toBeLessThanOrEqual(1.02);
    expect(kpi('frt_p50_ms', [first(0)])).toBe(0);
    expect(kpi('frt_p50_ms', [first(1)])).toBe(1);
    expect(kpi('art_p90_ms', [ev('resolved')])).toBeNull();
  });
  it('frt_ms averages first responses only; avg_response_ms every agent message with a response time', () => {
    const es = [
      ev('agent_message', { channel: 'chat', response_ms: 60_000, first_response: true }),
      ev('agent_message', { channel: 'chat', response_ms: 30_000, first_response: false }),
      ev('agent_message', { channel: 'chat', response_ms: 120_000 }),
      ev('agent_message', { channel: 'chat' }),
    ];
    expect(kpi('frt_ms', es)).toBe(60_000);
    expect(kpi('avg_response_ms', es)).toBe(70_000);
    expect(kpi('touches_per_ticket', es)).toBeNull();
  });
  it('talk, hold and ACW means; avg_hold_ms and hold_rate over held contacts', () => {
    const es = [
      ev('answered', { wait_ms: 0 }), ev('answered', { wait_ms: 0 }), ev('answered', { wait_ms: 0 }), ev('answered', { wait_ms: 0 }),
      ev('contact_ended', { talk_ms: 300_000, hold_ms: 60_000 }),
      ev('contact_ended', { talk_ms: 100_000, hold_ms: 0 }),
      ev('contact_ended', { talk_ms: 200_000, hold_ms: 30_000 }),
      ev('wrapup_completed', { acw_ms: 30_000, handle_ms: 390_000 }),
      ev('wrapup_completed', { acw_ms: 10_000, handle_ms: 110_000 }),
      ev('hold_started'), ev('hold_ended', { hold_ms: 60_000 }),
    ];
    expect(kpi('aht_talk_ms', es)).toBe(200_000);
    expect(kpi('aht_hold_ms', es)).toBe(30_000);
    expect(kpi('aht_acw_ms', es)).toBe(20_000);
    expect(kpi('aht_ms', es)).toBe(250_000);
    expect(kpi('avg_hold_ms', es)).toBe(45_000);
    expect(kpi('hold_rate', es)).toBe(2 / 4);
    expect(kpi('avg_hold_ms', [ev('contact_ended', { talk_ms: 1000, hold_ms: 0 })])).toBeNull();
  });
  it('a call answered in one window and wrapped up in the next counts in each window it completes in', () => {
    const es = [
      ev('queued', { contact_id: 'X', occurred_at: at('10:00:40') }),
      ev('answered', { contact_id: 'X', wait_ms: 12_000, occurred_at: at('10:00:52') }),
      ev('contact_ended', { contact_id: 'X', talk_ms: 60_000, hold_ms: 8_000, occurred_at: at('10:02:00') }),
      ev('wrapup_completed', { contact_id: 'X', acw_ms: 20_000, handle_ms: 88_000, occurred_at: at('10:02:20') }),
    ];
    expect(perWindow('answered', es, '1m')).toEqual({ '10:00': 1, '10:02': 0 });
    expect(perWindow('asa_ms', es, '1m')).toEqual({ '10:00': 12_000, '10:02': null });
    expect(perWindow('aht_ms', es, '1m')).toEqual({ '10:00': null, '10:02': 88_000 });
    // hold_rate's numerator (held, at contact_ended) and denominator (answered) land apart
    expect(perWindow('hold_rate', es, '1m')).toEqual({ '10:00': 0, '10:02': null });
    expect(perWindow('hold_rate', es, '5m')).toEqual({ '10:00': 1 });
    expect(perWindow('aht_ms', es, '5m')).toEqual({ '10:00': 88_000 });
  });
});

describe('experience', () => {
  const survey = (survey_kind: 'csat' | 'nps' | 'ces', score: number, scale_min: number, scale_max: number) =>
    ev('survey_response', { survey_kind, score, scale_min, scale_max });
  it('csat_mean is the mean score as answered', () => {
    expect(kpi('csat_mean', [survey('csat', 5, 1, 5), survey('csat', 4, 1, 5), survey('csat', 1, 1, 5)])).toBe(10 / 3);
    expect(kpi('csat_mean', [survey('csat', 9, 0, 10), survey('csat', 4.5, 0, 10)])).toBe(6.75);
    expect(kpi('csat_mean', [survey('nps', 9, 0, 10)])).toBeNull();
  });
  it('ces is the mean CES score, other kinds ignored', () => {
    expect(kpi('ces', [survey('ces', 2, 1, 7), survey('ces', 3, 1, 7), survey('ces', 7, 1, 7), survey('csat', 5, 1, 5)])).toBe(4);
    expect(kpi('ces', [survey('csat', 5, 1, 5)])).toBeNull();
  });
  it('csat on 0–10 counts 8 and up (¾ of the way); NPS on 1–7 maps 7 to promoter, 6 passive', () => {
    expect(kpi('csat', [survey('csat', 8, 0, 10), survey('csat', 7, 0, 10), survey('csat', 10, 0, 10)])).toBe(2 / 3);
    // 1–7 onto 0–10: 7 → 10 promoter, 6 → 8.33 passive, 5 → 6.67 passive, 4 → 5 detractor
    expect(kpi('nps', [survey('nps', 7, 1, 7), survey('nps', 6, 1, 7), survey('nps', 5, 1, 7), survey('nps', 4, 1, 7)])).toBe(0);
  });
  it('iqs is the mean of score ÷ max_score', () => {
    expect(kpi('iqs', [ev('qa_evaluation', { score: 80, max_score: 100 }), ev('qa_evaluation', { score: 9, max_score: 10 })])).toBeCloseTo(0.85, 12);
    expect(kpi('iqs', [])).toBeNull();
  });
});

describe('workforce', () => {
  const change = (previous_agent_state: ContactEventInit['previous_agent_state'], previous_state_ms: number, agent_id = 'a1') =>
    ev('agent_state_changed', { agent_id, agent_state: 'available', previous_agent_state, previous_state_ms, contact_id: `agent:${agent_id}` });
  it('occupancy = (busy + ACW) ÷ (busy + ACW + available); utilization ÷ staffed; offline ignored', () => {
    const es = [change('available', 60_000), change('busy', 120_000), change('after_call_work', 30_000), change('away', 90_000), change('offline', 1_000_000)];
    expect(kpi('occupancy', es)).toBe(150 / 210);
    expect(kpi('utilization', es)).toBe(150 / 300);
    expect(kpi('occupancy', [change('offline', 5000)])).toBeNull();
    expect(kpi('utilization', [change('away', 5000)])).toBe(0);
  });
  it('cost_per_resolution: staffed hours × the team rate (else hourly_cost) ÷ resolved; null without a configured cost', () => {
    const team = (team_id: string | null, previous_agent_state: ContactEventInit['previous_agent_state'], previous_state_ms: number) =>
      ev('agent_state_changed', { agent_id: 'a', team_id, agent_state: 'busy', previous_agent_state, previous_state_ms, contact_id: 'agent:a' });
    // t1: 2 h staffed (1 h available + 1 h away), t2: 30 min busy, no team: 1 h ACW; 3 h offline ignored; 4 resolved
    const es = [team('t1', 'available', 3_600_000), team('t1', 'away', 3_600_000), team('t2', 'busy', 1_800_000),
      team(null, 'after_call_work', 3_600_000), team('t1', 'offline', 3 * 3_600_000), ...Array.from({ length: 4 }, () => ev('resolved'))];
    expect(kpi('cost_per_resolution', es)).toBeNull();
    // 3.5 h × 20 = 70 → 17.5 per resolution
    expect(kpi('cost_per_resolution', es, { hourly_cost: 20 } as never)).toBe(17.5);
    // t1 at 40, t2 at 10, the rest at 20: 80 + 5 + 20 = 105 → 26.25
    expect(kpi('cost_per_resolution', es, { hourly_cost: 20, team_hourly_costs: 't1:40, t2:10' } as never)).toBe(26.25);
    // only team rates: teams without one cost nothing
    expect(kpi('cost_per_resolution', es, { team_hourly_costs: 't1:40' } as never)).toBe(20);
    expect(kpi('cost_per_resolution', es.filter((e) => e.type !== 'resolved'), { hourly_cost: 20 } as never)).toBeNull();
    expect(kpiOptionsSchema.safeParse({ team_hourly_costs: 't1' }).success).toBe(false);
  });
  it('the time of a state is split across the windows it spanned, not booked where it ends', () => {
    // available 10:00:00–10:05:00 (reported at 10:05), busy 10:05–10:06 (reported at 10:06)
    const es = [
      { ...change('available', 300_000), occurred_at: at('10:05:00') },
      { ...change('busy', 60_000), occurred_at: at('10:06:00') },
    ];
    const rows = new Map<number, Measures>();
    for (const e of es) foldEventByMinute(e, (w) => rows.get(w) ?? rows.set(w, emptyMeasures()).get(w)!);
    const byMinute = (id: string) => Object.fromEntries([...rows].sort(([a], [b]) => a - b).map(([w, m]) => [new Date(w).toISOString().slice(11, 16), compute(id, m, DEFAULT_OPTIONS)]));
    const want = { '10:00': 0, '10:01': 0, '10:02': 0, '10:03': 0, '10:04': 0, '10:05': 1, '10:06': null };
    expect(byMinute('occupancy')).toEqual(want);
    const ref = (g: Granularity) => referenceSeries(es, { tenant: 't', from: at('10:00:00'), to: at('10:07:00'), granularity: g, metrics: ['occupancy'], groupBy: [], filters: {}, options: DEFAULT_OPTIONS })[0]!.points;
    expect(Object.fromEntries(ref('1m').map((p) => [p.ts.slice(11, 16), p.occupancy]))).toEqual(want);
    expect(ref('15m').map((p) => p.occupancy)).toEqual([60 / 360]);
  });
});

describe('business', () => {
  it('kb_views and self_service_rate = self-service ÷ (self-service + created)', () => {
    const es = [ev('kb_article_viewed'), ev('kb_article_viewed'), ev('self_service_resolved'), ev('self_service_resolved'),
      ...Array.from({ length: 6 }, () => ev('contact_created'))];
    expect(kpi('kb_views', es)).toBe(2);
    expect(kpi('self_service_rate', es)).toBe(0.25);
    expect(kpi('self_service_rate', [])).toBeNull();
  });
  it('complaints are created contacts on the complaint topics chosen at read time', () => {
    const es = [ev('contact_created', { topic: 'complaint' }), ev('contact_created', { topic: 'complaint' }),
      ev('contact_created', { topic: 'billing' }), ev('contact_created'), ev('queued', { topic: 'complaint' })];
    expect(kpi('complaints', es)).toBe(2);
    expect(kpi('complaints', es, { complaint_topics: 'billing, complaint' } as never)).toBe(3);
    expect(kpi('complaints', es, { complaint_topics: 'refund' } as never)).toBe(0);
    expect(kpiOptionsSchema.safeParse({ complaint_topics: ' , ' }).success).toBe(false);
  });

  describe('customer outcomes over the window', () => {
    const biz = (customer_id: string, business_kind: ContactEventInit['business_kind'], amount_minor: number | null = null, queue_id = 'q') =>
      ev('customer_business_event', { customer_id, business_kind, amount_minor, currency: amount_minor === null ? null : 'EUR', queue_id });
    // c1 buys twice (in two queues) and opened a contact; c2 buys once and returns part of it;
    // c3 churns; c4 refers someone. Active customers: c1–c4.
    const es = [
      biz('c1', 'purchase', 1000), biz('c1', 'purchase', 500, 'sales'), ev('contact_created', { customer_id: 'c1' }),
      biz('c2', 'purchase', 2000), biz('c2', 'return', 300),
      biz('c3', 'churned'), biz('c4', 'referred'),
      ev('contact_created'), // anonymous: not an active customer
    ];
    it('churn_rate and retention_rate over distinct active customers', () => {
      expect(kpi('churn_rate', es)).toBe(1 / 4);
      expect(kpi('retention_rate', es)).toBe(3 / 4);
      expect(kpi('churn_rate', [ev('contact_created')])).toBeNull();
    });
    it('repeat_purchase_rate: customers with ≥ 2 purchases ÷ customers with ≥ 1, across rows', () => {
      expect(kpi('repeat_purchase_rate', es)).toBe(1 / 2);
    });
    it('referral_rate, engagement and clv', () => {
      expect(kpi('referral_rate', es)).toBe(1 / 4);
      // interactions of identified customers: c1 3, c2 2, c3 1, c4 1
      expect(kpi('engagement', es)).toBe(7 / 4);
      // net revenue 1000 + 500 + 2000 − 300 = 3200 per 4 customers, over churn 1/4: 3200
      expect(kpi('clv', es)).toBe(3200);
      expect(kpi('clv', es.filter((e) => e.business_kind !== 'churned'))).toBeNull();
    });
  });
});

describe('history KPIs (events outside the window)', () => {
  const DAY = 86_400_000;
  const hist = (id: string, events: ContactEvent[], from: number, to: number, g: Granularity, o: Record<string, unknown> = {}) =>
    referenceSeries(events, { tenant: 't', from, to, granularity: g, metrics: [id], groupBy: [], filters: {}, options: kpiOptionsSchema.parse(o) })[0]!
      .points.map((p) => p[id]);

  it('backlog is created − resolved + reopened, cumulative to the end of each window, from before the range too', () => {
    const es = [
      ev('contact_created', { occurred_at: at('09:00:00'), contact_id: 'k1' }),
      ev('contact_created', { occurred_at: at('10:05:00'), contact_id: 'k2' }),
      ev('contact_created', { occurred_at: at('10:20:00'), contact_id: 'k3' }),
      ev('resolved', { occurred_at: at('10:25:00'), contact_id: 'k2' }),
      ev('reopened', { occurred_at: at('10:40:00'), contact_id: 'k2' }),
    ];
    expect(hist('backlog', es, at('10:00:00'), at('11:00:00'), '15m')).toEqual([2, 2, 3, 3]);
    // over the events alone (the fold path reads them as the whole history): 3 − 1 + 1
    expect(kpi('backlog', es)).toBe(3);
  });

  it('fcr: a repeat contact on the same topic on day 6 counts against FCR, on day 8 it does not (7-day window)', () => {
    const resolvedAt = Date.parse('2026-11-02T10:00:00Z');
    const base = (extra: Partial<ContactEventInit>) => ({ customer_id: 'cust', topic: 'billing', ...extra });
    const es = [
      ev('contact_created', base({ contact_id: 'a', occurred_at: resolvedAt - 3_600_000 })),
      ev('resolved', base({ contact_id: 'a', occurred_at: resolvedAt })),
      ev('contact_created', base({ contact_id: 'b', occurred_at: resolvedAt - 3_600_000, customer_id: 'other' })),
      ev('resolved', base({ contact_id: 'b', occurred_at: resolvedAt, customer_id: 'other' })),
    ];
    const day = (d: number, extra: Partial<ContactEventInit> = {}) => ev('contact_created', base({ contact_id: `r${d}`, occurred_at: resolvedAt + d * DAY, ...extra }));
    const from = Date.parse('2026-11-02T00:00:00Z');
    const fcr = (more: ContactEvent[], o: Record<string, unknown> = {}) => hist('fcr_rate', [...es, ...more], from, from + DAY, '1d', o)[0];
    expect(fcr([])).toBe(1);
    expect(fcr([day(6)])).toBe(1 / 2);
    expect(fcr([day(8)])).toBe(1);
    // another topic, or the resolved contact itself reopening, is no repeat
    expect(fcr([day(2, { topic: 'shipping' })])).toBe(1);
    expect(fcr([ev('contact_created', base({ contact_id: 'a', occurred_at: resolvedAt + DAY }))])).toBe(1);
    // the window is an option: 10 days catches day 8
    expect(fcr([day(8)], { fcr_window: '10d' })).toBe(1 / 2);
    expect(hist('repeat_contact_rate', [...es, day(6)], from, from + DAY, '1d')[0]).toBe(1 / 2);
    // resolutions without a customer are not in the population
    expect(fcr([ev('resolved', { contact_id: 'anon', occurred_at: resolvedAt })])).toBe(1);
  });

  it('fcr_window accepts days or hours between 1h and 90d', () => {
    expect(kpiOptionsSchema.parse({ fcr_window: '48h' }).fcr_window).toBe(48 * 3_600_000);
    expect(kpiOptionsSchema.parse({ fcr_window: '3' }).fcr_window).toBe(3 * DAY);
    expect(kpiOptionsSchema.safeParse({ fcr_window: '91d' }).success).toBe(false);
    expect(kpiOptionsSchema.safeParse({ fcr_window: 'soon' }).success).toBe(false);
  });
});

describe('top_topics', () => {
  it('ranks topics by created contacts, with share of all created and change against the window before', () => {
    const cur = new Map([['billing', 6], ['complaint', 3], ['', 1], ['shipping', 3], ['none', 0]]);
    const prev = new Map([['billing', 4], ['shipping', 3]]);
    expect(rankTopics(cur, prev, 3)).toEqual([
      { topic: 'billing', created: 6, share: 6 / 13, previous: 4, change: 0.5 },
      { topic: 'complaint', created: 3, share: 3 / 13, previous: 0, change: null },
      { topic: 'shipping', created: 3, share: 3 / 13, previous: 3, change: 0 },
    ]);
    expect(rankTopics(new Map(), prev, 5)).toEqual([]);
  });
});

describe('the full catalogue', () => {
  it('every KPI has a reference definition and is null or 0 over no events', () => {
    // FCR pairs events and has no value over merged measures: the history tests above cover it
    // staffing KPIs need their window's span and intervals: the reference gives 0 over nothing (staffing.test.ts covers them)
    for (const id of KPI_IDS.filter((k) => k !== 'fcr_rate' && k !== 'repeat_contact_rate' && !KPI_BY_ID.get(k)!.staffing)) {
      const v = kpi(id, []);
      expect(v === null || v === 0, id).toBe(true);
    }
    for (const id of KPI_IDS.filter((k) => KPI_BY_ID.get(k)!.staffing)) expect(referenceMetric(id, [], DEFAULT_OPTIONS), id).toBe(0);
    for (const id of ['fcr_rate', 'repeat_contact_rate']) expect(referenceMetric(id, [], DEFAULT_OPTIONS)).toBeNull();
  });
  it('declares the catalogue options with their defaults', () => {
    expect(DEFAULT_OPTIONS).toEqual({
      short_abandon_s: 5, sl_threshold_s: 20, sl_formula: 'exclude_short_abandons', fcr_window: 7 * 86_400_000, complaint_topics: ['complaint'],
      sl_target: 0.8, max_occupancy: 0.85, shrinkage: 0,
    });
  });
});
