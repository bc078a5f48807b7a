import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DIMENSIONS, GRANULARITY_IDS, KPI_BY_ID, granularityMs, kpiOptionsSchema, parseInstant, staffingGrainProblem, type Granularity, type KpiOptions } from '@switchboard/kpi';
import { MAX_WINDOWS, readKpis } from '@switchboard/warehouse';
import type { TenantResolver } from '@switchboard/service-kit';
import { durationSchema, parseDuration } from './duration';
import { ID_RE, breaches, type FieldProblem } from './rules';
import type { AlertStore } from './store';

/**
 * Targets (docs/alerts.md, "Targets and goals"): a KPI, a scope, a comparison and a threshold — `service_level ≥ 0.8` for
 * queue billing — reported as attainment per window. Goals: a target with a baseline and a
 * deadline ("cut complaints 15 % in 6 months"), with progress against the straight line from
 * the baseline to the target.
 */

const kpiRef = {
  name: z.string().max(200).optional(),
  kpi: z.string(),
  options: z.record(z.string(), z.union([z.string(), z.number(), z.array(z.string())])).default({}),
  scope: z.partialRecord(z.enum(DIMENSIONS), z.string().max(256)).default({}),
};

export const targetSchema = z.strictObject({
  ...kpiRef,
  /** met when `value <comparison> threshold` */
  comparison: z.enum(['>=', '>', '<=', '<']),
  threshold: z.number(),
});
export type Target = z.infer<typeof targetSchema>;

const isoSchema = z.string().refine((v) => v.includes('T') && typeof parseInstant(v) === 'number', 'must be a real ISO-8601 timestamp with a UTC offset, 1970–2100');

export const goalSchema = z.strictObject({
  ...kpiRef,
  /** the value when the goal was set, and when */
  baseline: z.number(),
  baseline_at: isoSchema,
  /** the value to reach by the deadline */
  target: z.number(),
  deadline: isoSchema,
  /** the current value is measured over this trailing window */
  window: durationSchema({ min: 60_000, max: 90 * 86_400_000, wholeMinutes: true }).default('1d'),
});
export type Goal = z.infer<typeof goalSchema>;

function problemsOf(schema: z.ZodType, body: unknown): { value: unknown; problems: FieldProblem[] } {
  const r = schema.safeParse(body);
  if (!r.success) return { value: null, problems: r.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', reason: i.message })) };
  const v = r.data as { kpi: string; options: Record<string, unknown>; baseline?: number; target?: number; baseline_at?: string; deadline?: string };
  const problems: FieldProblem[] = [];
  if (!KPI_BY_ID.has(v.kpi)) problems.push({ field: 'kpi', reason: `unknown KPI "${v.kpi}"` });
  const known = new Set(Object.keys(kpiOptionsSchema.shape));
  for (const k of Object.keys(v.options)) if (!known.has(k)) problems.push({ field: `options.${k}`, reason: 'unknown KPI option' });
  const o = kpiOptionsSchema.safeParse(v.options);
  if (!o.success) for (const i of o.error.issues) problems.push({ field: `options.${i.path.join('.')}`, reason: i.message });
  if (v.deadline && v.baseline_at && Date.parse(v.deadline) <= Date.parse(v.baseline_at)) problems.push({ field: 'deadline', reason: 'must be after baseline_at' });
  if (v.baseline !== undefined && v.baseline === v.target) problems.push({ field: 'target', reason: 'must differ from baseline' });
  return { value: v, problems };
}

const optionsOf = (o: Record<string, unknown>): KpiOptions => kpiOptionsSchema.parse(o);
const filtersOf = (scope: Record<string, string | undefined>) => Object.fromEntries(Object.entries(scope).map(([d, v]) => [d, [v!]]));

/** The KPI of a target or goal over [from, to) merged, at the coarsest grain that fits both ends. */
export async function readMerged(client: ClickHouseClient, tenant: string, ref: { kpi: string; options: Record<string, unknown>; scope: Record<string, string | undefined> }, from: number, to: number): Promise<number | null> {
  if (KPI_BY_ID.get(ref.kpi)?.staffing) {
    // staffing KPIs count whole 15-minute intervals back from a minute (docs/staffing.md)
    const end = Math.floor(to / 60_000) * 60_000;
    [from, to] = [end - Math.max(1, Math.ceil((end - from) / 900_000)) * 900_000, end];
  }
  const g = (['1d', '1h', '1m'] as Granularity[]).find((x) => from % granularityMs(x) === 0 && to % granularityMs(x) === 0) ?? '1m';
  const [s] = await readKpis(client, tenant, { kpis: [KPI_BY_ID.get(ref.kpi)!], from, to, granularity: g, groupBy: [], filters: filtersOf(ref.scope), options: optionsOf(ref.options) }, { merge: true });
  const v = s?.points[0]?.[ref.kpi];
  return typeof v === 'number' ? v : null;
}

/** Where the straight line from baseline to target is at `at`, and how far along the actual value is. */
export function goalProgress(goal: Goal, current: number | null, at: number) {
  const t0 = Date.parse(goal.baseline_at);
  const t1 = Date.parse(goal.deadline);
  const elapsed = Math.min(1, Math.max(0, (at - t0) / (t1 - t0)));
  const expected = goal.baseline + (goal.target - goal.baseline) * elapsed;
  const progress = current === null ? null : (current - goal.baseline) / (goal.target - goal.baseline);
  const improving = goal.target > goal.baseline;
  const onTrack = current === null ? null : improving ? current >= expected : current <= expected;
  const reached = current === null ? null : improving ? current >= goal.target : current <= goal.target;
  const status = current === null ? 'no_data' : reached ? 'reached' : at >= t1 ? 'missed' : onTrack ? 'on_track' : 'behind';
  return { elapsed, expected, progress, on_track: onTrack, status };
}

export interface TargetRouteDeps {
  client: ClickHouseClient;
  alerts: AlertStore;
  tenantOf: TenantResolver;
  now?: () => number;
}

export function registerTargetRoutes(app: FastifyInstance, deps: TargetRouteDeps): void {
  const now = deps.now ?? Date.now;
  for (const [kind, path, schema] of [['target', 'targets', targetSchema], ['goal', 'goals', goalSchema]] as const) {
    app.get(`/v1/${path}`, async (req) => {
      const tenant = deps.tenantOf(req).tenant;
      return { [path]: (await deps.alerts.listConfig(kind, tenant)).map((r) => ({ id: r.id, ...(r.body as object) })) };
    });
    app.get<{ Params: { id: string } }>(`/v1/${path}/:id`, async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      const found = (await deps.alerts.listConfig(kind, tenant)).find((r) => r.id === req.params.id);
      if (!found) return reply.code(404).send({ error: `no ${kind} "${req.params.id}"` });
      return { id: found.id, ...(found.body as object) };
    });
    app.put<{ Params: { id: string } }>(`/v1/${path}/:id`, async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      if (!ID_RE.test(req.params.id)) return reply.code(400).send({ error: `invalid ${kind}`, details: [{ field: 'id', reason: 'must be 1–128 letters, digits, _ . -' }] });
      const { id: _ignored, ...body } = (req.body ?? {}) as Record<string, unknown>;
      const { value, problems } = problemsOf(schema, body);
      if (problems.length) return reply.code(400).send({ error: `invalid ${kind}`, details: problems });
      await deps.alerts.putConfig(kind, tenant, req.params.id, value);
      return { id: req.params.id, ...(value as object) };
    });
    app.delete<{ Params: { id: string } }>(`/v1/${path}/:id`, async (req, reply) => {
      const tenant = deps.tenantOf(req).tenant;
      if (!(await deps.alerts.listConfig(kind, tenant)).some((r) => r.id === req.params.id)) return reply.code(404).send({ error: `no ${kind} "${req.params.id}"` });
      await deps.alerts.deleteConfig(kind, tenant, req.params.id);
      return reply.code(204).send();
    });
  }

  const find = async (kind: 'target' | 'goal', tenant: string, id: string) => (await deps.alerts.listConfig(kind, tenant)).find((r) => r.id === id)?.body;

  // attainment per window: the KPI per window and whether the target was met in it
  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/v1/targets/:id/attainment', async (req, reply) => {
    const tenant = deps.tenantOf(req).tenant;
    const target = (await find('target', tenant, req.params.id)) as Target | undefined;
    if (!target) return reply.code(404).send({ error: `no target "${req.params.id}"` });
    const q = req.query;
    const details: { param: string; reason: string }[] = [];
    const g = (q.granularity ?? '1h') as Granularity;
    if (!GRANULARITY_IDS.includes(g)) details.push({ param: 'granularity', reason: `must be one of ${GRANULARITY_IDS.join(', ')}` });
    const instant = (param: 'from' | 'to') => {
      const v = q[param];
      const t = v ? parseInstant(v) : { reason: 'is required (ISO-8601, e.g. 2026-11-22T00:00:00Z)' };
      if (typeof t === 'number') return t;
      details.push({ param, reason: t.reason });
      return NaN;
    };
    const from = instant('from');
    const to = instant('to');
    if (Number.isFinite(from) && Number.isFinite(to) && to <= from) details.push({ param: 'to', reason: 'must be after from' });
    if (!details.length && GRANULARITY_IDS.includes(g) && (to - from) / granularityMs(g) > MAX_WINDOWS) details.push({ param: 'granularity', reason: `more than ${MAX_WINDOWS} windows` });
    const finer = GRANULARITY_IDS.includes(g) && KPI_BY_ID.has(target.kpi) ? staffingGrainProblem([KPI_BY_ID.get(target.kpi)!], g) : null;
    if (finer) details.push({ param: 'granularity', reason: finer });
    for (const k of Object.keys(q)) if (!['from', 'to', 'granularity'].includes(k)) details.push({ param: k, reason: 'unknown parameter' });
    if (details.length) return reply.code(400).send({ error: 'invalid query', details });
    const [s] = await readKpis(deps.client, tenant, { kpis: [KPI_BY_ID.get(target.kpi)!], from, to, granularity: g, groupBy: [], filters: filtersOf(target.scope), options: optionsOf(target.options) });
    const windows = (s?.points ?? []).map((p) => {
      const v = p[target.kpi];
      const value = typeof v === 'number' ? v : null;
      return { ts: p.ts, value, met: value === null ? null : breaches(target.comparison, value, target.threshold) };
    });
    const judged = windows.filter((w) => w.met !== null);
    return {
      target: { id: req.params.id, ...target },
      granularity: g,
      windows,
      windows_with_data: judged.length,
      windows_met: judged.filter((w) => w.met).length,
      attainment: judged.length ? judged.filter((w) => w.met).length / judged.length : null,
    };
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, string> }>('/v1/goals/:id/progress', async (req, reply) => {
    const tenant = deps.tenantOf(req).tenant;
    const goal = (await find('goal', tenant, req.params.id)) as Goal | undefined;
    if (!goal) return reply.code(404).send({ error: `no goal "${req.params.id}"` });
    const unknown = Object.keys(req.query).filter((k) => k !== 'at');
    const parsedAt = req.query.at ? parseInstant(req.query.at) : now();
    const at = typeof parsedAt === 'number' ? parsedAt : NaN;
    if (unknown.length || typeof parsedAt !== 'number') return reply.code(400).send({ error: 'invalid query', details: [...unknown.map((param) => ({ param, reason: 'unknown parameter' })), ...(typeof parsedAt === 'number' ? [] : [{ param: 'at', reason: parsedAt.reason }])] });
    const windowMs = parseDuration(goal.window)!;
    const to = Math.floor(at / 60_000) * 60_000;
    const from = to - windowMs;
    const current = await readMerged(deps.client, tenant, goal, from, to);
    return {
      goal: { id: req.params.id, ...goal },
      at: new Date(to).toISOString(),
      current: { value: current, window: { from: new Date(from).toISOString(), to: new Date(to).toISOString() } },
      ...goalProgress(goal, current, to),
    };
  });
}
