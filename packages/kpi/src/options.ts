import { z } from 'zod';

export const SL_FORMULAS = ['exclude_short_abandons', 'offered', 'include_abandoned_within'] as const;
export type SlFormula = (typeof SL_FORMULAS)[number];

/** Longest wait the threshold buckets resolve to the second; longer waits share one bucket. */
export const MAX_THRESHOLD_S = 3600;

/** Topics counted as complaints when a query names none (docs/kpis.md: the tenant's complaint set). */
export const DEFAULT_COMPLAINT_TOPICS = ['complaint'];

/** A comma-separated list (or an array) of topic ids, trimmed and deduplicated. */
const topicList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => [...new Set((Array.isArray(v) ? v : v.split(',')).map((x) => x.trim()).filter(Boolean))])
  .pipe(z.array(z.string().max(256, 'topic ids are at most 256 characters')).min(1, 'needs at least one topic').max(100, 'at most 100 topics'));

/** `team:rate,team:rate` — hourly cost of a staffed hour per team (cost_per_resolution). */
const teamRates = z
  .string()
  .transform((v, ctx) => {
    const out: Record<string, number> = {};
    for (const part of v.split(',').map((x) => x.trim()).filter(Boolean)) {
      const i = part.lastIndexOf(':');
      const rate = Number(part.slice(i + 1));
      if (i <= 0 || !Number.isFinite(rate) || rate < 0) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not team:rate with a rate ≥ 0` });
        return z.NEVER;
      }
      out[part.slice(0, i)] = rate;
    }
    return out;
  });

/** `7d`, `48h` or a whole number of days: how long after a resolution a repeat contact counts against FCR. */
const fcrWindow = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const m = /^(\d+)\s*(d|h)?$/.exec(String(v).trim());
    const ms = m ? Number(m[1]) * (m[2] === 'h' ? 3_600_000 : 86_400_000) : NaN;
    if (!(ms >= 3_600_000 && ms <= 90 * 86_400_000)) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a window between 1h and 90d (e.g. 7d, 48h)` });
      return z.NEVER;
    }
    return ms;
  });

/** Named KPI options of docs/kpis.md, with their defaults. */
export const kpiOptionsSchema = z.object({
  short_abandon_s: z.coerce.number().int().min(0).max(MAX_THRESHOLD_S).default(5),
  sl_threshold_s: z.coerce.number().int().min(1).max(MAX_THRESHOLD_S).default(20),
  sl_formula: z.enum(SL_FORMULAS).default('exclude_short_abandons'),
  /** FCR repeat-contact window, in ms once parsed (`fcr_window=7d`) */
  fcr_window: fcrWindow.prefault('7d'),
  /** topics whose created contacts count as complaints, comma-separated */
  complaint_topics: topicList.prefault(DEFAULT_COMPLAINT_TOPICS.join(',')),
  /** cost of a staffed agent hour (cost_per_resolution), for teams without their own rate; none by default */
  hourly_cost: z.coerce.number().min(0).max(1_000_000).optional(),
  /** per-team hourly costs, `team:rate,…`; `:rate` alone is not allowed (use hourly_cost) */
  team_hourly_costs: teamRates.optional(),
  /** staffing (docs/staffing.md): the share to answer within sl_threshold_s */
  sl_target: z.coerce.number().gt(0, 'must be above 0').lt(1, 'must be below 1 (Erlang C never promises everyone)').default(0.8),
  /** staffing: the most a busy agent may be occupied (load ÷ agents) */
  max_occupancy: z.coerce.number().gt(0, 'must be above 0').max(1).default(0.85),
  /** staffing: the share of paid time not on the phones (agents_required_scheduled) */
  shrinkage: z.coerce.number().min(0).lt(1, 'must be below 1').default(0),
});
export type KpiOptions = z.infer<typeof kpiOptionsSchema>;
export const DEFAULT_OPTIONS: KpiOptions = kpiOptionsSchema.parse({});
