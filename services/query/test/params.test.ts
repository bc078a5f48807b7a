import { describe, expect, it } from 'vitest';
import { BadQuery, parseKpiQuery } from '../src';

const ok = { metrics: 'offered,service_level', from: '2026-11-22T00:00:00Z', to: '2026-11-23T00:00:00Z' };
const problems = (raw: Record<string, unknown>) => {
  try {
    parseKpiQuery(raw);
  } catch (err) {
    if (err instanceof BadQuery) return err.problems;
    throw err;
  }
  throw new Error('expected BadQuery');
};

describe('parseKpiQuery', () => {
  it('parses metrics, times, grain, group_by, filters and options', () => {
    const q = parseKpiQuery({ ...ok, granularity: '15m', group_by: 'queue_id,channel', 'filter.channel': 'voice,chat', 'filter.team_id': 'null', sl_threshold_s: '30' });
    expect(q.kpis.map((k) => k.id)).toEqual(['offered', 'service_level']);
    expect(q.from).toBe(Date.parse('2026-11-22T00:00:00Z'));
    expect(q.granularity).toBe('15m');
    expect(q.groupBy).toEqual(['queue_id', 'channel']);
    expect(q.filters).toEqual({ channel: ['voice', 'chat'], team_id: [''] });
    expect(q.options).toEqual({
      sl_threshold_s: 30, short_abandon_s: 5, sl_formula: 'exclude_short_abandons', fcr_window: 7 * 86_400_000, complaint_topics: ['complaint'],
      sl_target: 0.8, max_occupancy: 0.85, shrinkage: 0,
    });
  });

  it('refuses staffing KPIs below their 15-minute interval, naming the grain and the KPIs', () => {
    const base = { from: '2026-11-22T00:00:00Z', to: '2026-11-22T01:00:00Z' };
    for (const granularity of ['1m', '5m']) {
      try {
        parseKpiQuery({ ...base, granularity, metrics: 'offered,agents_required,staffing_gap' });
        expect.unreachable();
      } catch (e) {
        expect((e as BadQuery).problems).toEqual([{ param: 'granularity', reason: expect.stringMatching(new RegExp(`^${granularity} .*agents_required, staffing_gap`)) }]);
      }
    }
    for (const granularity of ['15m', '30m', '1h', '1d']) expect(parseKpiQuery({ ...base, granularity, metrics: 'agents_required,agents_staffed', sl_target: '0.9' }).granularity).toBe(granularity);
  });

  it('checks the staffing options', () => {
    try {
      parseKpiQuery({ from: '2026-11-22T00:00:00Z', to: '2026-11-22T01:00:00Z', granularity: '15m', metrics: 'agents_required', sl_target: '1', max_occupancy: '0', shrinkage: '-0.1' });
      expect.unreachable();
    } catch (e) {
      expect((e as BadQuery).problems.map((p) => p.param).sort()).toEqual(['max_occupancy', 'shrinkage', 'sl_target']);
    }
  });

  it('refuses instants that do not exist or that the store cannot hold, naming the parameter', () => {
    expect(problems({ ...ok, from: '1969-12-31' })).toEqual([{ param: 'from', reason: '"1969-12-31" is outside 1970-01-01T00:00:00Z … 2100-01-01T00:00:00Z' }]);
    expect(problems({ ...ok, to: '2026-11-31T00:00:00Z' })).toEqual([{ param: 'to', reason: '"2026-11-31T00:00:00Z" is not a real date and time' }]);
    expect(problems({ ...ok, to: '2100-01-01' })[0]!.param).toBe('to');
    expect(problems({ ...ok, from: '2026-11-22 00:00' })[0]!.reason).toMatch(/not an ISO-8601 timestamp/);
    expect(parseKpiQuery({ ...ok, from: '2026-11-22', to: '2026-11-22T06:30:00+05:30' }).to).toBe(Date.parse('2026-11-22T01:00:00Z'));
  });

  it('takes list parameters repeated as well as comma-separated (generated clients repeat them); a repeated scalar is refused', () => {
    const q = parseKpiQuery({ ...ok, metrics: ['offered', 'service_level,asa_ms'], group_by: ['queue_id', 'channel'], 'filter.channel': ['voice', 'chat'] });
    expect(q.kpis.map((k) => k.id)).toEqual(['offered', 'service_level', 'asa_ms']);
    expect(q.groupBy).toEqual(['queue_id', 'channel']);
    expect(q.filters).toEqual({ channel: ['voice', 'chat'] });
    expect(problems({ ...ok, granularity: ['1h', '15m'] })).toContainEqual({ param: 'granularity', reason: 'given more than once' });
  });

  it('defaults to hourly windows and the catalogue option defaults', () => {
    const q = parseKpiQuery(ok);
    expect(q.granularity).toBe('1h');
    expect(q.options.sl_threshold_s).toBe(20);
  });

  it('reports every problem with the parameter it concerns', () => {
    const p = problems({ metrics: 'offered,bogus', from: 'yesterday', granularity: '2m', group_by: 'queue_id;DROP TABLE', 'filter.password': 'x', foo: '1', sl_threshold_s: '-3' });
    const byParam = Object.fromEntries(p.map((x) => [x.param, x.reason]));
    expect(byParam.metrics).toMatch(/unknown KPI "bogus"/);
    expect(byParam.from).toMatch(/not an ISO-8601/);
    expect(byParam.to).toMatch(/required/);
    expect(byParam.granularity).toMatch(/one of 1m, 5m/);
    expect(byParam.group_by).toMatch(/unknown dimension/);
    expect(byParam['filter.password']).toMatch(/unknown dimension/);
    expect(byParam.foo).toBe('unknown parameter');
    expect(byParam.sl_threshold_s).toBeDefined();
    expect(problems({ ...ok, format: 'xml' })).toEqual([{ param: 'format', reason: 'must be one of points, columns, csv' }]);
  });

  it('refuses to < from, repeated parameters and ranges of too many windows', () => {
    expect(problems({ ...ok, to: '2026-11-21T00:00:00Z' })[0]!.param).toBe('to');
    expect(problems({ ...ok, from: [ok.from, ok.from] })[0]).toMatchObject({ param: 'from', reason: 'given more than once' });
    expect(problems({ ...ok, granularity: '1m', to: '2027-11-23T00:00:00Z' })[0]!.reason).toMatch(/coarser/);
  });

  it('requires a UTC offset so a time is never read in the server zone', () => {
    expect(problems({ ...ok, from: '2026-11-22T00:00:00' })[0]!.param).toBe('from');
    expect(parseKpiQuery({ ...ok, from: '2026-11-22T01:00:00+01:00' }).from).toBe(Date.parse('2026-11-22T00:00:00Z'));
  });
});
