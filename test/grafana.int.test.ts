import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { ContactEvent } from '@switchboard/events';
import { DEFAULT_OPTIONS, KPI_BY_ID, feedsAggregates, referenceSeries, type Series } from '@switchboard/kpi';
import { generateEvents } from '@switchboard/simulator';
import { KpiWriter, aggregateMinuteRows, migrate, openStore, readKpis, type Store } from '@switchboard/warehouse';
import type { AlertEvent } from '@switchboard/alerter';
// the alerter's own writer of alert_events (not part of its public surface: the test reaches in)
import { AlertStore } from '../services/alerter/src/store';
import { expandMacros, interpolate, type VariableValue } from './grafana-sql';
// @ts-expect-error plain ESM module without types: the dashboards' source
import { DATASOURCE, LABELS, dashboards as generate, render } from '../deploy/grafana/dashboards.mjs';

// Every panel and variable of deploy/grafana/dashboards is executed against the real store
// (embedded chDB with the migrations applied), its SQL first interpolated and macro-expanded
// as Grafana and the ClickHouse plugin would (test/grafana-sql.ts), for a fixed UTC day and
// interval. The data is written through the real writers: the simulator's events through the
// KPI writer, alert transitions through the alerter's AlertStore. Each statement must run, and
// the queue overview's and agent view's numbers must equal the reference implementation
// (packages/kpi/src/reference.ts) over the same events and range, so a panel cannot silently
// break or drift from the KPI definitions.

type Row = Record<string, unknown>;
interface Target { rawSql: string; datasource: { type: string; uid: string }; format: number; refId: string }
interface Panel { id: number; type: string; title: string; datasource?: { uid: string }; targets?: Target[]; panels?: Panel[]; gridPos: unknown; timeFrom?: string }
interface Variable { name: string; type: string; query: string; multi: boolean; includeAll: boolean; datasource: { uid: string } }
interface Dashboard { uid: string; title: string; schemaVersion: number; timezone: string; panels: Panel[]; templating: { list: Variable[] } }

/** the KPI id behind each column label of the dashboards */
const KPI_OF: Record<string, string> = Object.fromEntries(Object.entries(LABELS as Record<string, string>).map(([k, l]) => [l, k]));
const label = (kpi: string) => (LABELS as Record<string, string>)[kpi]!;

const ROOT = join(import.meta.dirname, '..');
const DIR = join(ROOT, 'deploy/grafana/dashboards');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const boards: Record<string, Dashboard> = Object.fromEntries(files.map((f) => [f, JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Dashboard]));

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const day = Date.parse('2026-11-20T00:00:00Z');
// Grafana's "today" in UTC (now/d): the day's start to its last millisecond
const RANGE = { from: day, to: day + DAY - 1 };
const TENANT = 'grafana-check';
const OTHER = 'grafana-other';

let store: Store;
let dir: string;
let events: ContactEvent[];

const panelsOf = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const same = (got: number | null, want: number | null): boolean =>
  want === null ? got === null : got !== null && Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want));

async function run(sql: string): Promise<Row[]> {
  const rs = await store.client.query({
    query: sql,
    format: 'JSONEachRow',
    // times as epoch seconds, 64-bit integers as numbers: what the test compares
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0, date_time_output_format: 'unix_timestamp' },
  });
  return rs.json<Row>();
}

/** Resolves the dashboard's variables in order, as Grafana does on load: each query runs with the values before it. */
async function resolveVariables(d: Dashboard, chosen: Record<string, VariableValue>, intervalMs: number): Promise<{ values: Record<string, VariableValue>; options: Record<string, string[]> }> {
  const values: Record<string, VariableValue> = {};
  const options: Record<string, string[]> = {};
  for (const v of d.templating.list) {
    expect(v.type, `${d.uid} $${v.name}`).toBe('query');
    const sql = expandMacros(interpolate(v.query, values), { ...RANGE, intervalMs });
    const rows = await run(sql);
    options[v.name] = rows.map((r) => String(Object.values(r)[0]));
    const pick = chosen[v.name];
    // a multi-value variable left at "All" (no custom all-value) expands to every option
    values[v.name] = pick ?? (v.multi ? options[v.name]! : options[v.name]![0]!);
  }
  return { values, options };
}

/** Every panel's SQL, interpolated and expanded, executed: rows by panel id. */
async function runPanels(d: Dashboard, values: Record<string, VariableValue>, intervalMs: number): Promise<Map<number, Row[]>> {
  const out = new Map<number, Row[]>();
  for (const p of panelsOf(d)) {
    for (const t of p.targets ?? []) {
      const sql = expandMacros(interpolate(t.rawSql, values), { ...RANGE, intervalMs });
      try {
        out.set(p.id, await run(sql));
      } catch (e) {
        throw new Error(`${d.uid} panel ${p.id} "${p.title}" failed: ${(e as Error).message}\n${sql}`);
      }
    }
  }
  return out;
}

const inDay = (e: ContactEvent) => e.occurred_at >= RANGE.from && e.occurred_at <= RANGE.to;
const startOf = (t: number, ms: number) => Math.floor(t / ms) * ms;

/** reference points by [window start ms, group value] */
function refPoints(series: Series[], dim: 'queue_id' | 'agent_id' | null): Map<string, Record<string, unknown>> {
  const m = new Map<string, Record<string, unknown>>();
  for (const s of series) for (const p of s.points) m.set(JSON.stringify([Date.parse(p.ts), dim ? (s.group[dim] ?? '') : '']), p);
  return m;
}

/** wrapup_completed per [window, agent]: the "handled" count (AHT's denominator) */
function handledBy(es: ContactEvent[], windowMs: number | null): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of es) {
    if (e.type !== 'wrapup_completed') continue;
    const k = JSON.stringify([windowMs ? startOf(e.occurred_at, windowMs) : 0, e.agent_id ?? '']);
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-grafana-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
  events = generateEvents({ seed: TENANT, tenantId: TENANT, start: day + 6 * HOUR, durationMs: 6 * HOUR, arrivalsPerHour: 150, drain: true, queueCount: 3 });
  // another tenant on the same day: a panel that forgets the tenant filter counts its events too
  const other = generateEvents({ seed: OTHER, tenantId: OTHER, start: day + 8 * HOUR, durationMs: 2 * HOUR, arrivalsPerHour: 100, drain: true, queueCount: 3 });
  const writer = new KpiWriter(store.client);
  for (const [name, es] of [[TENANT, events], [OTHER, other]] as const) {
    for (let i = 0; i < es.length; i += 5000) await writer.write(aggregateMinuteRows(es.slice(i, i + 5000).filter(feedsAggregates)), `${name}:${i}`);
  }
  expect(events.every(inDay)).toBe(true);
}, 120_000);

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Grafana dashboards: structure', () => {
  const provisioned = parse(readFileSync(join(ROOT, 'deploy/grafana/provisioning/datasources/clickhouse.yaml'), 'utf8')) as { datasources: { uid: string; type: string; jsonData: Record<string, unknown> }[] };

  it('are the files deploy/grafana/dashboards.mjs writes', () => {
    const want = generate() as Record<string, unknown>;
    expect(files).toEqual(Object.keys(want).sort());
    for (const [name, d] of Object.entries(want)) expect(readFileSync(join(DIR, name), 'utf8'), `${name}: run node deploy/grafana/dashboards.mjs`).toBe(render(d));
  });

  it('name the provisioned data source, with unique uids, panel ids and a current schema', () => {
    expect(provisioned.datasources).toHaveLength(1);
    const ds = provisioned.datasources[0]!;
    expect(ds).toMatchObject({ uid: DATASOURCE.uid, type: DATASOURCE.type, jsonData: { port: 8123, protocol: 'http' } });
    expect(new Set(Object.values(boards).map((d) => d.uid)).size).toBe(files.length);
    for (const [name, d] of Object.entries(boards)) {
      expect(d.schemaVersion, name).toBeGreaterThanOrEqual(36);
      expect(d.timezone, `${name}: the views' windows are UTC`).toBe('utc');
      const panels = panelsOf(d);
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size, `${name}: panel ids are unique`).toBe(ids.length);
      for (const p of panels) {
        expect(p.gridPos, `${name} panel ${p.id}`).toBeDefined();
        if (p.type === 'row') continue;
        expect(p.datasource?.uid, `${name} panel ${p.id}`).toBe(ds.uid);
        expect(p.targets?.length, `${name} panel ${p.id} has a query`).toBe(1);
        for (const t of p.targets!) {
          expect(t.datasource, `${name} panel ${p.id}`).toEqual({ type: ds.type, uid: ds.uid });
          expect(t.rawSql, `${name} panel ${p.id}`).toMatch(/\S/);
          expect([0, 1]).toContain(t.format);
          // every query is scoped to the tenant variable
          expect(t.rawSql, `${name} panel ${p.id} filters tenant_id`).toContain('tenant_id = ${tenant:singlequote}');
        }
      }
      for (const v of d.templating.list) {
        expect(v.datasource, `${name} $${v.name}`).toEqual({ type: ds.type, uid: ds.uid });
        // the test expands "All" to every option, which Grafana does only without a custom all-value
        if (v.multi) expect(v, `${name} $${v.name}`).toMatchObject({ includeAll: true, current: { value: ['$__all'] } });
        expect((v as { allValue?: string }).allValue ?? null, `${name} $${v.name}`).toBeNull();
      }
      expect(d.templating.list.map((v) => v.name), name).toContain('tenant');
    }
  });
});

describe('Grafana dashboards: every query runs against the store', () => {
  it.each(files)('%s: every variable and panel query executes', async (name) => {
    const d = boards[name]!;
    const { values } = await resolveVariables(d, { tenant: TENANT }, 900_000);
    const rows = await runPanels(d, values, 900_000);
    expect(rows.size).toBe(panelsOf(d).filter((p) => p.targets?.length).length);
  }, 60_000);
});

describe('Queue overview', () => {
  const d = boards['queue-overview.json']!;
  const queues = () => [...new Set(events.map((e) => e.queue_id).filter((q): q is string => !!q))].sort();

  it('lists the tenants and the tenant\'s queues in its variables', async () => {
    const { options } = await resolveVariables(d, { tenant: TENANT }, 900_000);
    expect(options.tenant).toEqual([OTHER, TENANT].sort());
    expect(options.queue).toEqual(queues());
  });

  it.each([[900, '15m'], [3600, '1h']] as const)('per queue over time at %i s: every point equals the reference at %s', async (intervalS, granularity) => {
    const { values } = await resolveVariables(d, { tenant: TENANT }, intervalS * 1000);
    const rows = await runPanels(d, values, intervalS * 1000);
    const series = panelsOf(d).filter((p) => p.type === 'timeseries');
    expect(series.length).toBe(6);
    const metrics = ['offered', 'answered', 'service_level', 'asa_ms', 'abandonment_rate', 'aht_ms'];
    const ref = refPoints(referenceSeries(events, { tenant: TENANT, ...RANGE, to: RANGE.to + 1, granularity, metrics, groupBy: ['queue_id'], filters: {}, options: DEFAULT_OPTIONS }), 'queue_id');
    const problems: string[] = [];
    let compared = 0;
    for (const p of series) {
      const got = rows.get(p.id)!;
      const col = Object.keys(got[0] ?? {}).find((k) => k !== 'time' && k !== 'queue_id')!;
      const kpi = KPI_OF[col]!;
      expect(metrics, `panel ${p.id}`).toContain(kpi);
      const seen = new Set<string>();
      for (const r of got) {
        const key = JSON.stringify([Number(r.time) * 1000, r.queue_id]);
        seen.add(key);
        const want = ref.get(key);
        if (!want) { problems.push(`${p.title} ${key}: no reference window`); continue; }
        compared++;
        if (!same(num(r[col]), num(want[kpi]))) problems.push(`${p.title} ${key}: panel ${String(r[col])}, reference ${String(want[kpi])}`);
      }
      // no window with activity is missing from the chart
      for (const [key, want] of ref) if (!seen.has(key) && JSON.parse(key)[1] !== '' && (num(want.offered) || num(want.answered))) problems.push(`${p.title} ${key}: missing`);
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(granularity === '15m' ? 6 * 24 * 3 : 6 * 6 * 3);
  }, 60_000);

  it("today's stats and the per-queue table equal the reference, for all queues and for a subset", async () => {
    const all = queues();
    for (const selected of [all, all.slice(0, 2)]) {
      const { values } = await resolveVariables(d, { tenant: TENANT, queue: selected }, 900_000);
      const rows = await runPanels(d, values, 900_000);
      const mine = events.filter((e) => e.queue_id !== null && selected.includes(e.queue_id));
      const metrics = ['offered', 'answered', 'abandoned', 'service_level', 'asa_ms', 'abandonment_rate', 'aht_ms'];
      const total = referenceSeries(mine, { tenant: TENANT, from: day, to: day + DAY, granularity: '1d', metrics, groupBy: [], filters: {}, options: DEFAULT_OPTIONS })[0]!.points[0]!;
      // what GET /v1/kpis serves for the same scope and day (the query service's reader)
      const api = (await readKpis(store.client, TENANT, {
        kpis: metrics.map((id) => KPI_BY_ID.get(id)!), from: day, to: day + DAY, granularity: '1d', groupBy: [], filters: { queue_id: selected }, options: DEFAULT_OPTIONS,
      }))[0]!.points[0]!;
      const stats = panelsOf(d).filter((p) => p.type === 'stat');
      expect(stats.length).toBe(6);
      for (const p of stats) {
        const [r] = rows.get(p.id)!;
        const [col, v] = Object.entries(r!)[0]!;
        const kpi = KPI_OF[col]!;
        expect(p.timeFrom, `${p.title} shows today`).toBe('now/d');
        expect(same(num(v), num(total[kpi])), `${p.title} (${kpi}): panel ${String(v)}, reference ${String(total[kpi])}`).toBe(true);
        expect(same(num(v), num(api[kpi] as number | null)), `${p.title} (${kpi}): panel ${String(v)}, /v1/kpis ${String(api[kpi])}`).toBe(true);
      }
      const perQueue = refPoints(referenceSeries(mine, { tenant: TENANT, from: day, to: day + DAY, granularity: '1d', metrics, groupBy: ['queue_id'], filters: {}, options: DEFAULT_OPTIONS }), 'queue_id');
      const table = rows.get(panelsOf(d).find((p) => p.type === 'table')!.id)!;
      expect(table.map((r) => r.queue_id)).toEqual(selected);
      for (const r of table) {
        const want = perQueue.get(JSON.stringify([day, r.queue_id]))!;
        for (const k of metrics) expect(same(num(r[label(k)]), num(want[k])), `${String(r.queue_id)} ${k}: panel ${String(r[label(k)])}, reference ${String(want[k])}`).toBe(true);
      }
    }
  }, 60_000);
});

describe('Agent view', () => {
  const d = boards['agents.json']!;
  const agentsOf = (es: ContactEvent[]) => [...new Set(es.map((e) => e.agent_id).filter((a): a is string => !!a))].sort();

  it("lists teams, and the chosen teams' agents", async () => {
    const { options } = await resolveVariables(d, { tenant: TENANT }, 900_000);
    const teams = [...new Set(events.map((e) => e.team_id).filter((t): t is string => !!t))].sort();
    expect(options.team).toEqual(teams);
    expect(options.agent).toEqual(agentsOf(events));
    const one = await resolveVariables(d, { tenant: TENANT, team: [teams[0]!] }, 900_000);
    expect(one.options.agent).toEqual(agentsOf(events.filter((e) => e.team_id === teams[0])));
    expect(one.options.agent!.length).toBeLessThan(options.agent!.length);
  });

  it('per agent: handled, AHT, occupancy and utilization equal the reference (stats, table, series)', async () => {
    const { values } = await resolveVariables(d, { tenant: TENANT }, 900_000);
    const rows = await runPanels(d, values, 900_000);
    const selected = values.agent as string[];
    const mine = events.filter((e) => e.agent_id !== null && selected.includes(e.agent_id));
    const metrics = ['aht_ms', 'occupancy', 'utilization'];
    const q = { tenant: TENANT, from: day, to: day + DAY, metrics, filters: {}, options: DEFAULT_OPTIONS };
    const problems: string[] = [];

    const total = referenceSeries(mine, { ...q, granularity: '1d', groupBy: [] })[0]!.points[0]!;
    const handledTotal = mine.filter((e) => e.type === 'wrapup_completed').length;
    expect(handledTotal).toBeGreaterThan(100);
    for (const p of panelsOf(d).filter((x) => x.type === 'stat')) {
      const [col, v] = Object.entries(rows.get(p.id)![0]!)[0]!;
      const kpi = KPI_OF[col]!;
      const want = kpi === 'handled' ? handledTotal : num(total[kpi]);
      if (!same(num(v), want)) problems.push(`stat ${kpi}: panel ${String(v)}, reference ${String(want)}`);
    }

    const perAgent = refPoints(referenceSeries(mine, { ...q, granularity: '1d', groupBy: ['agent_id'] }), 'agent_id');
    const handled = handledBy(mine, null);
    const table = rows.get(panelsOf(d).find((p) => p.type === 'table')!.id)!;
    expect(table.map((r) => r.agent_id)).toEqual(selected);
    for (const r of table) {
      const want = perAgent.get(JSON.stringify([day, r.agent_id]))!;
      for (const k of metrics) if (!same(num(r[label(k)]), num(want[k]))) problems.push(`${String(r.agent_id)} ${k}: panel ${String(r[label(k)])}, reference ${String(want[k])}`);
      if (!same(num(r[label('handled')]), handled.get(JSON.stringify([0, r.agent_id])) ?? 0)) problems.push(`${String(r.agent_id)} handled: panel ${String(r[label('handled')])}`);
    }

    const per15 = refPoints(referenceSeries(mine, { ...q, granularity: '15m', groupBy: ['agent_id'] }), 'agent_id');
    const handled15 = handledBy(mine, 15 * 60_000);
    let compared = 0;
    for (const p of panelsOf(d).filter((x) => x.type === 'timeseries')) {
      for (const r of rows.get(p.id)!) {
        const col = Object.keys(r).find((k) => k !== 'time' && k !== 'agent_id')!;
        const kpi = KPI_OF[col]!;
        const key = JSON.stringify([Number(r.time) * 1000, r.agent_id]);
        const want = kpi === 'handled' ? (handled15.get(key) ?? 0) : num(per15.get(key)?.[kpi]);
        compared++;
        if (!same(num(r[col]), want)) problems.push(`${p.title} ${key}: panel ${String(r[col])}, reference ${String(want)}`);
      }
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(compared).toBeGreaterThan(100);
  }, 60_000);
});

describe('Alerts', () => {
  const d = boards['alerts.json']!;
  const t = (h: number, m = 0) => day + h * HOUR + m * 60_000;
  const transition = (tenant: string, alertId: string, seq: number, kind: AlertEvent['kind'], at: number, startedAt: number): AlertEvent => ({
    event_id: `${alertId}:${seq}`, alert_id: alertId, seq, kind, tenant_id: tenant, rule_id: `rule-${alertId}`, rule_name: null,
    kpi: 'service_level', kpi_options: {}, scope: { queue_id: 'q1' }, scope_key: 'queue_id=q1', comparison: '<', threshold: 0.8,
    recovery_threshold: 0.85, value: 0.5, sample_kpi: 'offered', sample: 10,
    window: { from: new Date(at - 600_000).toISOString(), to: new Date(at).toISOString(), duration: '10m' },
    at: new Date(at).toISOString(), started_at: new Date(startedAt).toISOString(), fired_at: null, reason: null, link: '',
  });

  beforeAll(async () => {
    const alerts = new AlertStore(store.client);
    const firing = [transition(TENANT, 'a-firing', 1, 'pending', t(8), t(8)), transition(TENANT, 'a-firing', 2, 'firing', t(8, 5), t(8))];
    await alerts.insertEvents(firing);
    // the same transition written again (a retried batch of another shape): one transition to every panel
    await alerts.insertEvents([firing[1]!]);
    await alerts.insertEvents([
      transition(TENANT, 'a-resolved', 1, 'pending', t(9), t(9)), transition(TENANT, 'a-resolved', 2, 'firing', t(9, 5), t(9)),
      transition(TENANT, 'a-resolved', 3, 'resolved', t(10), t(9)),
      transition(TENANT, 'a-pending', 1, 'pending', t(11), t(11)),
      transition(OTHER, 'b-firing', 1, 'firing', t(8), t(8)),
    ]);
  });

  it('shows what fires now and every transition of the range, per tenant', async () => {
    const { values, options } = await resolveVariables(d, { tenant: TENANT }, 3_600_000);
    expect(options.tenant).toEqual([OTHER, TENANT].sort());
    const rows = await runPanels(d, values, 3_600_000);
    const byTitle = (title: string, type: string) => rows.get(panelsOf(d).find((p) => p.title === title && p.type === type)!.id)!;
    expect(byTitle('Firing now', 'stat')).toEqual([{ alerts: 1 }]);
    expect(byTitle('Pending now', 'stat')).toEqual([{ alerts: 1 }]);
    const firing = byTitle('Firing now', 'table');
    expect(firing.map((r) => [r.alert_id, r.rule_id, r.kpi, r.scope, r.value, Number(r.fired_at) * 1000])).toEqual([['a-firing', 'rule-a-firing', 'service_level', 'queue_id=q1', 0.5, t(8, 5)]]);
    const history = byTitle('History', 'table');
    expect(history.map((r) => [r.alert_id, r.seq, r.kind])).toEqual([
      ['a-pending', 1, 'pending'], ['a-resolved', 3, 'resolved'], ['a-resolved', 2, 'firing'], ['a-resolved', 1, 'pending'], ['a-firing', 2, 'firing'], ['a-firing', 1, 'pending'],
    ]);
    const overTime = byTitle('Transitions over time', 'timeseries');
    expect(overTime.map((r) => [Number(r.time) * 1000, r.kind, r.transitions])).toEqual([
      [t(8), 'firing', 1], [t(8), 'pending', 1], [t(9), 'firing', 1], [t(9), 'pending', 1], [t(10), 'resolved', 1], [t(11), 'pending', 1],
    ]);
  });
});
