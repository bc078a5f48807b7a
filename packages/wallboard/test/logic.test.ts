import { describe, expect, it } from 'vitest';
import { zonedWindowEnd, zonedWindowStart } from '@switchboard/kpi';
import { alertsOfQueue, formatDuration, formatKpi, formatRatio, formatTarget, judge, optionParams, optionsKey, targetFor, tenantTarget, tileStatus, zonedDay, type AlertSummary, type Target } from '../web/logic';

// The wallboard's rules without a browser (the page itself is tested in Chromium by
// services/single-node/test/wallboard.int.test.ts).

describe('today in a time zone', () => {
  const zones = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/Santiago', 'Asia/Kathmandu'];
  it('starts and ends where /v1/kpis starts and ends its 1d window for that tz (DST days included)', () => {
    const from = Date.UTC(2026, 0, 1);
    for (const tz of zones) {
      // every 7 h 1 min across a year: several instants of every day (DST days too), drifting through the hours
      for (let t = from; t < from + 366 * 86_400_000; t += 421 * 60_000) {
        const day = zonedDay(t, tz);
        const start = zonedWindowStart(t, '1d', tz);
        expect(day.start, `${tz} ${new Date(t).toISOString()}`).toBe(start);
        expect(day.end, `${tz} ${new Date(t).toISOString()}`).toBe(zonedWindowEnd(start, '1d', tz));
      }
    }
  });
  it('is 23 or 25 hours long across a DST change', () => {
    expect(zonedDay(Date.UTC(2026, 2, 29, 12), 'Europe/Paris').end - zonedDay(Date.UTC(2026, 2, 29, 12), 'Europe/Paris').start).toBe(23 * 3_600_000);
    expect(zonedDay(Date.UTC(2026, 9, 25, 12), 'Europe/Paris').end - zonedDay(Date.UTC(2026, 9, 25, 12), 'Europe/Paris').start).toBe(25 * 3_600_000);
  });
});

const target = (id: string, kpi: string, scope: Record<string, string>, comparison: Target['comparison'] = '>=', threshold = 0.8, options = {}): Target => ({ id, kpi, scope, comparison, threshold, options });

describe('which target a tile is measured against', () => {
  const targets = [
    target('sl-all', 'service_level', {}),
    target('sl-billing', 'service_level', { queue_id: 'billing' }, '>=', 0.9),
    target('sl-voice', 'service_level', { channel: 'voice' }, '>=', 0.95),
    target('sl-sales-voice', 'service_level', { queue_id: 'sales', channel: 'voice' }),
  ];
  it("prefers the queue's own target, then the tenant's", () => {
    expect(targetFor(targets, 'service_level', 'billing')?.id).toBe('sl-billing');
    expect(targetFor(targets, 'service_level', 'sales')?.id).toBe('sl-all');
    expect(targetFor(targets, 'asa_ms', 'billing')).toBeUndefined();
    expect(tenantTarget(targets, 'service_level')?.id).toBe('sl-all');
  });
  it('ignores targets scoped by other dimensions (they do not measure a whole queue)', () => {
    expect(targetFor(targets.filter((t) => t.id !== 'sl-all'), 'service_level', 'sales')).toBeUndefined();
  });
  it('picks the first id among equals, whatever the order of the list', () => {
    const two = [target('b', 'asa_ms', {}, '<=', 30_000), target('a', 'asa_ms', {}, '<=', 20_000)];
    expect(targetFor(two, 'asa_ms', 'x')?.id).toBe('a');
    expect(targetFor([...two].reverse(), 'asa_ms', 'x')?.id).toBe('a');
  });
});

describe('colours', () => {
  it('judges a value against a target in its comparison, and nothing without a value or target', () => {
    expect(judge(0.8, { comparison: '>=', threshold: 0.8 })).toBe('met');
    expect(judge(0.8, { comparison: '>', threshold: 0.8 })).toBe('breached');
    expect(judge(20_000, { comparison: '<=', threshold: 20_000 })).toBe('met');
    expect(judge(20_001, { comparison: '<', threshold: 20_000 })).toBe('breached');
    expect(judge(null, { comparison: '>=', threshold: 0.8 })).toBe('none');
    expect(judge(0.5, undefined)).toBe('none');
  });
  it('a breached target or a firing alert is red; a pending alert amber; met targets green', () => {
    expect(tileStatus(['met', 'breached'], [])).toBe('breach');
    expect(tileStatus(['met'], [{ state: 'firing' }])).toBe('breach');
    expect(tileStatus(['none'], [{ state: 'firing' }])).toBe('breach');
    expect(tileStatus(['met'], [{ state: 'pending' }])).toBe('warn');
    expect(tileStatus(['met', 'none'], [])).toBe('ok');
    expect(tileStatus(['none'], [])).toBe('none');
  });
  it("a queue's alerts are the active ones scoped to it", () => {
    const alerts: Pick<AlertSummary, 'state' | 'scope'>[] = [
      { state: 'firing' as const, scope: { queue_id: 'support' } },
      { state: 'resolved' as const, scope: { queue_id: 'support' } },
      { state: 'pending' as const, scope: { queue_id: 'sales', channel: 'voice' } },
      { state: 'firing' as const, scope: {} },
    ];
    expect(alertsOfQueue(alerts, 'support')).toEqual([alerts[0]]);
    expect(alertsOfQueue(alerts, 'sales')).toEqual([alerts[2]]);
    expect(alertsOfQueue(alerts, 'billing')).toEqual([]);
  });
});

describe('requests and numbers', () => {
  it('KPI options: one key per set whatever the order, lists comma-separated', () => {
    expect(optionsKey({ sl_threshold_s: 30, sl_formula: 'offered' })).toBe(optionsKey({ sl_formula: 'offered', sl_threshold_s: 30 }));
    expect(optionsKey({ sl_threshold_s: 30 })).not.toBe(optionsKey({ sl_threshold_s: 20 }));
    expect(optionParams({ sl_threshold_s: 30, complaint_topics: ['a', 'b'] })).toEqual([['sl_threshold_s', '30'], ['complaint_topics', 'a,b']]);
  });
  it('writes ratios, durations and counts for a wall', () => {
    expect(formatRatio(0.8)).toBe('80%');
    expect(formatRatio(0.83333)).toBe('83.3%');
    expect(formatRatio(0.99999)).toBe('100%');
    expect(formatRatio(null)).toBe('–');
    expect(formatDuration(4_250)).toBe('4.3s');
    expect(formatDuration(48_210)).toBe('0:48');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatKpi('offered', 12345)).toBe('12,345');
    expect(formatTarget({ kpi: 'asa_ms', comparison: '<=', threshold: 30_000 })).toBe('≤ 0:30');
    expect(formatTarget({ kpi: 'service_level', comparison: '>=', threshold: 0.8 })).toBe('≥ 80%');
  });
});
