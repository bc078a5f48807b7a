import { describe, expect, it } from 'vitest';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
import {
  DEFAULT_OPTIONS, KPIS, KPI_BY_ID, emptyMeasures, foldEvent, kpiOptionsSchema,
  quantityKey, requiredQuantities, windowStart, type KpiOptions,
} from '../src';
import { computeKpi } from '../src/catalogue';
import { evalQuantity } from '../src/quantities';
import { referenceMetric } from '../src/reference';
import { windowStarts } from '../src/windows';

let n = 0;
const T0 = Date.parse('2026-11-22T10:00:00Z');
const ev = (type: ContactEventInit['type'], extra: Partial<ContactEventInit> = {}): ContactEvent =>
  makeEvent({
    event_id: `e${n++}`, tenant_id: 't', contact_id: `c${n}`, type, occurred_at: T0, channel: 'voice',
    direction: 'inbound', source: 'api', queue_id: 'q', ...extra,
  });
const answered = (wait_ms: number) => ev('answered', { wait_ms });
const abandoned = (wait_ms: number) => ev('abandoned', { wait_ms });
const queued = (k: number) => Array.from({ length: k }, () => ev('queued'));

/** The pipeline's path: fold into measures, derive quantities, apply the formula. */
function viaAggregates(id: string, events: ContactEvent[], o: KpiOptions = DEFAULT_OPTIONS) {
  const m = emptyMeasures();
  for (const e of events) foldEvent(m, e);
  const k = KPI_BY_ID.get(id)!;
  const qs = requiredQuantities([k], o);
  return computeKpi(k, (key) => evalQuantity(qs.get(key)!, m), o);
}
/** Both readings must agree; returns the value for the hand-made expectation. */
function kpi(id: string, events: ContactEvent[], o: Partial<KpiOptions> = {}) {
  const opts = kpiOptionsSchema.parse(o);
  const a = viaAggregates(id, events, opts);
  expect(a).toBe(referenceMetric(id, events, opts));
  return a;
}

describe('volume KPIs', () => {
  it('offered counts queued, answered counts answered', () => {
    const es = [...queued(3), answered(1000), answered(2000)];
    expect(kpi('offered', es)).toBe(3);
    expect(kpi('answered', es)).toBe(2);
  });

  it('splits abandons at short_abandon_s: 4.999 s is short, 5.000 s is not', () => {
    const es = [abandoned(4999), abandoned(5000), abandoned(0), abandoned(60_000)];
    expect(kpi('short_abandoned', es)).toBe(2);
    expect(kpi('abandoned', es)).toBe(2);
    expect(kpi('short_abandoned', es, { short_abandon_s: 0 })).toBe(0);
    expect(kpi('abandoned', es, { short_abandon_s: 61 })).toBe(0);
  });
});

describe('abandonment_rate', () => {
  it('is abandoned ÷ (offered − short_abandoned)', () => {
    const es = [...queued(10), abandoned(2000), abandoned(30_000), abandoned(45_000)];
    expect(kpi('abandonment_rate', es)).toBe(2 / 9);
  });
  it('is null, not 0, with nothing offered', () => {
    expect(kpi('abandonment_rate', [])).toBeNull();
  });
});

describe('asa_ms', () => {
  it('averages the wait of answered contacts only', () => {
    expect(kpi('asa_ms', [answered(1000), answered(4000), abandoned(100_000)])).toBe(2500);
    expect(kpi('asa_ms', [abandoned(1)])).toBeNull();
  });
});

describe('service_level', () => {
  const es = [answered(20_000), answered(20_001), answered(5_000), abandoned(3_000), abandoned(10_000), abandoned(25_000)];
  it('default (Genesys-style): within T ÷ (answered + abandoned after T), short abandons out', () => {
    // met: 20 000 and 5 000; denominator: 3 answered + the 25 s abandon
    expect(kpi('service_level', es)).toBe(2 / 4);
  });
  it('20.000 s meets a 20 s threshold, 20.001 s does not', () => {
    expect(kpi('service_level', [answered(20_000)])).toBe(1);
    expect(kpi('service_level', [answered(20_001)])).toBe(0);
  });
  it('takes any whole-second threshold', () => {
    // T = 10 s: only the 5 s answer meets it; the 10.000 s abandon is within T, the 25 s one is not
    expect(kpi('service_level', es, { sl_threshold_s: 10 })).toBe(1 / 4);
    expect(kpi('service_level', es, { sl_threshold_s: 30 })).toBe(3 / 3);
  });
  it('with a short-abandon threshold above T, abandons under it stay excluded', () => {
    // T = 10 s, S = 15 s: the 10 s abandon is short (excluded), the 25 s one counts against
    expect(kpi('service_level', es, { sl_threshold_s: 10, short_abandon_s: 15 })).toBe(1 / 4);
  });
  it('offered and include_abandoned_within variants divide by offered', () => {
    const withQ = [...queued(8), ...es];
    expect(kpi('service_level', withQ, { sl_formula: 'offered' })).toBe(2 / 8);
    expect(kpi('service_level', withQ, { sl_formula: 'include_abandoned_within' })).toBe(4 / 8);
  });
  it('counts waits past the longest threshold bucket correctly', () => {
    expect(kpi('service_level', [answered(5 * 3600_000), answered(100)], { sl_threshold_s: 3600 })).toBe(1 / 2);
  });
});

describe('aht_ms', () => {
  it('is Σ handle_ms ÷ wrapups', () => {
    expect(kpi('aht_ms', [ev('wrapup_completed', { handle_ms: 300_000 }), ev('wrapup_completed', { handle_ms: 100_000 })])).toBe(200_000);
    expect(kpi('aht_ms', [])).toBeNull();
  });
});

describe('csat and nps', () => {
  const survey = (survey_kind: 'csat' | 'nps', score: number, scale_min: number, scale_max: number) =>
    ev('survey_response', { survey_kind, score, scale_min, scale_max });
  it('csat is the top-two-box share on 1–5', () => {
    expect(kpi('csat', [survey('csat', 5, 1, 5), survey('csat', 4, 1, 5), survey('csat', 3, 1, 5), survey('csat', 1, 1, 5)])).toBe(0.5);
  });
  it('csat scales to other scales: 1–7 top two boxes are 6 and 7; 1–10 counts 8 and up', () => {
    expect(kpi('csat', [survey('csat', 6, 1, 7), survey('csat', 7, 1, 7), survey('csat', 5, 1, 7)])).toBe(2 / 3);
    expect(kpi('csat', [survey('csat', 8, 1, 10), survey('csat', 7, 1, 10)])).toBe(1 / 2);
  });
  it('nps is %promoters − %detractors on 0–10', () => {
    const es = [survey('nps', 10, 0, 10), survey('nps', 9, 0, 10), survey('nps', 8, 0, 10), survey('nps', 6, 0, 10), survey('nps', 0, 0, 10)];
    expect(kpi('nps', es)).toBe(0);
    expect(kpi('nps', [survey('nps', 9, 0, 10)])).toBe(100);
    expect(kpi('nps', [survey('nps', 3, 0, 10)])).toBe(-100);
  });
  it('nps on a 1–5 scale maps linearly onto 0–10 (5 promoter, 4 passive, ≤ 3 detractor)', () => {
    expect(kpi('nps', [survey('nps', 5, 1, 5), survey('nps', 4, 1, 5), survey('nps', 3, 1, 5), survey('nps', 1, 1, 5)])).toBe(-25);
  });
  it('csat and nps ignore each other and other survey kinds', () => {
    expect(kpi('csat', [survey('nps', 10, 0, 10)])).toBeNull();
    expect(kpi('nps', [ev('survey_response', { survey_kind: 'ces', score: 3, scale_min: 1, scale_max: 7 })])).toBeNull();
  });
});

describe('windows', () => {
  it('assign by event time to UTC-aligned windows', () => {
    const t = Date.parse('2026-11-22T10:14:59.999Z');
    expect(new Date(windowStart(t, '1m')).toISOString()).toBe('2026-11-22T10:14:00.000Z');
    expect(new Date(windowStart(t, '15m')).toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(new Date(windowStart(t + 1, '15m')).toISOString()).toBe('2026-11-22T10:15:00.000Z');
    expect(new Date(windowStart(t, '1d')).toISOString()).toBe('2026-11-22T00:00:00.000Z');
  });
  it('cover [from, to) with from aligned down', () => {
    const from = Date.parse('2026-11-22T10:07:00Z');
    const to = Date.parse('2026-11-22T11:00:00Z');
    expect(windowStarts(from, to, '15m').map((w) => new Date(w).toISOString().slice(11, 16))).toEqual(['10:00', '10:15', '10:30', '10:45']);
  });
});

describe('catalogue', () => {
  it('every KPI has a reference definition and distinct quantity keys', () => {
    for (const k of KPIS) expect(() => referenceMetric(k.id, [], DEFAULT_OPTIONS)).not.toThrow();
    const keys = [...requiredQuantities(KPIS, DEFAULT_OPTIONS).values()].map(quantityKey);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
