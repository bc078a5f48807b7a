import { describe, expect, it } from 'vitest';
import { InvalidRule, alertIdOf, parseRule, publicRule, scopeKey } from '../src/rules';
import { kpiLink } from '../src/events';

const ok = {
  id: 'billing-sl', kpi: 'service_level', options: { sl_threshold_s: 20 }, scope: { queue_id: 'billing' },
  comparison: '<', threshold: 0.8, recovery_threshold: 0.85, window: '15m', pending_evaluations: 2,
  min_sample: 20, renotify_every: '1h', notify: [{ url: 'https://hooks.example.com/x', format: 'slack', secret: 's3cret' }],
};

function problems(input: unknown): { field: string; reason: string }[] {
  try {
    parseRule(input, 'acme');
  } catch (err) {
    if (err instanceof InvalidRule) return err.problems;
    throw err;
  }
  return [];
}

describe('rule validation', () => {
  it('accepts a full rule and fills defaults', () => {
    const r = parseRule(ok, 'acme');
    expect(r).toMatchObject({ tenant: 'acme', windowMs: 15 * 60_000, renotifyMs: 3_600_000, recoveryThreshold: 0.85, source: 'api' });
    expect(r.options.sl_threshold_s).toBe(20);
    const minimal = parseRule({ id: 'x', kpi: 'abandonment_rate', comparison: '>', threshold: 0.05 }, 'acme');
    expect(minimal.spec).toMatchObject({ window: '15m', pending_evaluations: 1, recovery_evaluations: 1, min_sample: 0, sample_kpi: 'offered', renotify_every: null, enabled: true, notify: [] });
    expect(minimal.recoveryThreshold).toBe(0.05);
  });

  it('says what is wrong, field by field, all at once', () => {
    const p = problems({ ...ok, kpi: 'service_levle', window: '7m30s', threshold: 'high', notify: [{ url: 'ftp://x' }], bogus: 1 });
    const fields = p.map((x) => x.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['window', 'threshold', 'notify.0.url', '(body)']));
    expect(p.find((x) => x.field === 'window')!.reason).toMatch(/duration/);
  });

  it('checks KPI ids, options, sample KPI, scope vs each, and the side of the recovery threshold', () => {
    expect(problems({ ...ok, kpi: 'service_levle' })).toEqual([expect.objectContaining({ field: 'kpi', reason: expect.stringMatching(/unknown KPI "service_levle"/) })]);
    expect(problems({ ...ok, options: { sl_threshold_s: 0 } })[0]!.field).toBe('options.sl_threshold_s');
    expect(problems({ ...ok, options: { sl_treshold_s: 20 } })[0]!.field).toBe('options.sl_treshold_s');
    expect(problems({ ...ok, sample_kpi: 'service_level' })[0]).toMatchObject({ field: 'sample_kpi', reason: expect.stringMatching(/count KPI/) });
    expect(problems({ ...ok, each: 'queue_id' })[0]).toMatchObject({ field: 'each' });
    expect(problems({ ...ok, recovery_threshold: 0.75 })[0]).toMatchObject({ field: 'recovery_threshold', reason: expect.stringMatching(/≥ threshold/) });
    expect(problems({ ...ok, comparison: '>', threshold: 0.1, recovery_threshold: 0.2 })[0]).toMatchObject({ field: 'recovery_threshold', reason: expect.stringMatching(/≤ threshold/) });
    expect(problems({ ...ok, tenant: 'other' })[0]).toMatchObject({ field: 'tenant' });
    expect(problems({ ...ok, scope: { queue: 'billing' } })[0]!.field).toMatch(/^scope/);
  });

  it('redacts webhook secrets in what GET returns', () => {
    const pub = publicRule(parseRule(ok, 'acme'));
    expect(pub.notify[0]!.secret).toBe('***');
    expect(JSON.stringify(pub)).not.toContain('s3cret');
  });

  it('alert ids are deterministic per rule, scope and first breach', () => {
    const k = scopeKey({ channel: 'voice', queue_id: 'billing' });
    expect(k).toBe('queue_id=billing&channel=voice');
    expect(alertIdOf('acme', 'r', k, 1)).toBe(alertIdOf('acme', 'r', k, 1));
    expect(alertIdOf('acme', 'r', k, 1)).not.toBe(alertIdOf('acme', 'r', k, 2));
    expect(alertIdOf('acme', 'r', k, 1)).not.toBe(alertIdOf('acme', 'r2', k, 1));
  });
});

describe('rules on staffing KPIs', () => {
  const gap = { id: 'short', kpi: 'staffing_gap', scope: { queue_id: 'billing' }, comparison: '<', threshold: 0, options: { sl_target: 0.9, shrinkage: 0.2 } };

  it('need a window of whole 15-minute staffing intervals', () => {
    expect(problems({ ...gap, window: '10m' })).toEqual([{ field: 'window', reason: expect.stringMatching(/whole 15-minute staffing intervals .*staffing_gap/) }]);
    expect(problems({ ...gap, window: '20m' })).toHaveLength(1);
    for (const window of ['15m', '30m', '1h', '1d']) expect(parseRule({ ...gap, window }, 'acme').windowMs % 900_000).toBe(0);
    // the staffing options are KPI options like any other
    expect(parseRule({ ...gap, window: '15m' }, 'acme').options).toMatchObject({ sl_target: 0.9, shrinkage: 0.2, max_occupancy: 0.85 });
    expect(problems({ ...gap, options: { sl_target: 1.5 } }).map((p) => p.field)).toEqual(['options.sl_target']);
  });

  it('link to /v1/kpis at 15m, the finest grain that serves them', () => {
    const rule = parseRule({ ...gap, window: '30m' }, 'acme');
    const link = new URL(kpiLink('http://q.example', rule, { queue_id: 'billing' }, Date.parse('2026-11-22T10:00:00Z'), Date.parse('2026-11-22T10:30:00Z')));
    expect(link.searchParams.get('granularity')).toBe('15m');
    expect(link.searchParams.get('metrics')).toBe('staffing_gap,offered');
  });
});
