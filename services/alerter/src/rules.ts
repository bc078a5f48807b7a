import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DIMENSIONS, KPI_BY_ID, kpiOptionsSchema, type Dimension, type KpiOptions } from '@switchboard/kpi';
import { maskUrl } from '@switchboard/service-kit';
import { durationSchema, parseDuration } from './duration';

export const COMPARISONS = ['<', '<=', '>', '>='] as const;
export type Comparison = (typeof COMPARISONS)[number];

export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const TENANT_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
/** Shown instead of a webhook secret; sent back unchanged by a PUT, it keeps the stored secret. */
export const REDACTED = '***';

export const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /** `slack`: {text, blocks} for a Slack (or Mattermost, Teams-workflow…) incoming webhook; `json`: the alert event */
  format: z.enum(['slack', 'json']).default('json'),
  /** HMAC-SHA256 key for the X-Switchboard-Signature header; none: ALERTER_WEBHOOK_SECRET, else unsigned */
  secret: z.string().min(1).max(512).optional(),
});
export type Webhook = z.infer<typeof webhookSchema>;

const scopeSchema = z.partialRecord(z.enum(DIMENSIONS), z.string().max(256));

/** A rule as written in the rules file or sent to PUT /v1/alert-rules (durations as strings). */
export const ruleSpecSchema = z.strictObject({
  id: z.string().regex(ID_RE, 'must be 1–128 letters, digits, _ . -, starting with a letter or digit'),
  /** only in the rules file; over HTTP the tenant is the request's */
  tenant: z.string().regex(TENANT_RE, 'must be 1–128 letters, digits, _ . -').optional(),
  name: z.string().max(200).optional(),
  enabled: z.boolean().default(true),
  /** a KPI id of the catalogue, e.g. service_level */
  kpi: z.string(),
  /** KPI options as on /v1/kpis, e.g. {sl_threshold_s: 20} */
  options: z.record(z.string(), z.union([z.string(), z.number(), z.array(z.string())])).default({}),
  /** fixed dimension values, e.g. {queue_id: "billing", channel: "voice"} */
  scope: scopeSchema.default({}),
  /** one alert per value of this dimension ("each queue": queue_id) */
  each: z.enum(DIMENSIONS).optional(),
  /** breach when `value <comparison> threshold` */
  comparison: z.enum(COMPARISONS),
  threshold: z.number(),
  /** hysteresis: a firing alert resolves only once the breach condition is false against this value */
  recovery_threshold: z.number().optional(),
  /** sliding evaluation window, whole minutes */
  window: durationSchema({ min: 60_000, max: 86_400_000, wholeMinutes: true }).default('15m'),
  /** consecutive breached evaluations before firing (1: fire at the first) */
  pending_evaluations: z.number().int().min(1).max(1440).default(1),
  /** consecutive recovered evaluations before resolving */
  recovery_evaluations: z.number().int().min(1).max(1440).default(1),
  /** evaluations where sample_kpi is below this are skipped (no breach, no recovery) */
  min_sample: z.number().int().min(0).default(0),
  /** a count KPI measuring the sample; default offered */
  sample_kpi: z.string().default('offered'),
  /** repeat the firing notification this often while the alert stays firing; null: never */
  renotify_every: durationSchema({ min: 60_000, max: 30 * 86_400_000, wholeMinutes: true }).nullable().default(null),
  notify: z.array(webhookSchema).max(10).default([]),
});
export type RuleSpec = z.infer<typeof ruleSpecSchema>;

/** A validated rule with everything the evaluator needs precomputed. */
export interface AlertRule {
  tenant: string;
  spec: RuleSpec;
  options: KpiOptions;
  windowMs: number;
  renotifyMs: number | null;
  recoveryThreshold: number;
  /** where the rule came from: the file is read-only over HTTP */
  source: 'api' | 'file';
}

export interface FieldProblem {
  field: string;
  reason: string;
}

export class InvalidRule extends Error {
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.reason}`).join('; '));
  }
}

export const breaches = (c: Comparison, value: number, threshold: number): boolean =>
  c === '<' ? value < threshold : c === '<=' ? value <= threshold : c === '>' ? value > threshold : value >= threshold;

const path = (p: readonly PropertyKey[]) => p.map(String).join('.') || '(body)';

/**
 * Validates a rule (from the file or HTTP) and returns every problem at once, each naming its
 * field. Beyond the shape: the KPI ids exist, the sample KPI is a count, options are valid KPI
 * options, `each` is not also fixed in `scope`, and the recovery threshold lies on the
 * recovered side of the threshold (else the alert could resolve while still breaching).
 */
export function parseRule(input: unknown, tenant: string, source: AlertRule['source'] = 'api'): AlertRule {
  const r = ruleSpecSchema.safeParse(input);
  if (!r.success) throw new InvalidRule(r.error.issues.map((i) => ({ field: path(i.path), reason: i.message })));
  const spec = r.data;
  const problems: FieldProblem[] = [];
  const kpi = KPI_BY_ID.get(spec.kpi);
  if (!kpi) problems.push({ field: 'kpi', reason: `unknown KPI "${spec.kpi}"; one of ${[...KPI_BY_ID.keys()].join(', ')}` });
  const sample = KPI_BY_ID.get(spec.sample_kpi);
  if (!sample) problems.push({ field: 'sample_kpi', reason: `unknown KPI "${spec.sample_kpi}"` });
  else if (sample.unit !== 'count') problems.push({ field: 'sample_kpi', reason: `must be a count KPI (e.g. offered, answered, created), not ${sample.unit}` });
  const opts = kpiOptionsSchema.safeParse(spec.options);
  const known = new Set(Object.keys(kpiOptionsSchema.shape));
  for (const k of Object.keys(spec.options)) if (!known.has(k)) problems.push({ field: `options.${k}`, reason: `unknown KPI option; one of ${[...known].join(', ')}` });
  if (!opts.success) for (const i of opts.error.issues) problems.push({ field: `options.${path(i.path)}`, reason: i.message });
  // staffing KPIs are computed per 15-minute interval, counted back from the evaluation time
  const staffingKpis = [kpi, sample].filter((k) => k?.staffing).map((k) => k!.id);
  const windowMs = parseDuration(spec.window);
  if (staffingKpis.length && windowMs !== null && windowMs % 900_000 !== 0) {
    problems.push({ field: 'window', reason: `must be whole 15-minute staffing intervals (15m, 30m, 1h …) for ${staffingKpis.join(', ')}` });
  }
  if (spec.each && spec.scope[spec.each] !== undefined) problems.push({ field: 'each', reason: `${spec.each} is also fixed in scope; use one or the other` });
  const recovery = spec.recovery_threshold ?? spec.threshold;
  if (!Number.isFinite(spec.threshold)) problems.push({ field: 'threshold', reason: 'must be a finite number' });
  if (spec.comparison.startsWith('<') && recovery < spec.threshold) {
    problems.push({ field: 'recovery_threshold', reason: `must be ≥ threshold (${spec.threshold}) for a "${spec.comparison}" rule: it resolves once the value is back above it` });
  }
  if (spec.comparison.startsWith('>') && recovery > spec.threshold) {
    problems.push({ field: 'recovery_threshold', reason: `must be ≤ threshold (${spec.threshold}) for a "${spec.comparison}" rule: it resolves once the value is back below it` });
  }
  if (spec.tenant && source === 'api' && spec.tenant !== tenant) problems.push({ field: 'tenant', reason: 'names another tenant than the request' });
  if (problems.length) throw new InvalidRule(problems);
  return {
    tenant: spec.tenant ?? tenant,
    spec: { ...spec, tenant: undefined },
    options: opts.data!,
    windowMs: parseDuration(spec.window)!,
    renotifyMs: spec.renotify_every === null ? null : parseDuration(spec.renotify_every)!,
    recoveryThreshold: recovery,
    source,
  };
}

/** The rule as GET returns it: secrets redacted, webhook URLs (secrets too: a Slack URL is its own credential) cut to their origin. */
export function publicRule(rule: AlertRule): RuleSpec & { tenant: string; source: string } {
  return {
    ...rule.spec,
    tenant: rule.tenant,
    source: rule.source,
    notify: rule.spec.notify.map((w) => ({ ...w, url: maskUrl(w.url), ...(w.secret ? { secret: REDACTED } : {}) })),
  };
}

/** The scope of one alert of a rule: the fixed scope plus the `each` dimension's value. */
export type Scope = Partial<Record<Dimension, string | null>>;

/** Canonical text of a scope: dimensions in catalogue order. */
export function scopeKey(scope: Scope): string {
  return DIMENSIONS.filter((d) => scope[d] !== undefined).map((d) => `${d}=${scope[d] ?? ''}`).join('&');
}

/**
 * Deterministic alert id: the same rule, scope and first breached evaluation always name the
 * same alert, so two replicas (or a replica and its restarted self) agree on it.
 */
export function alertIdOf(tenant: string, ruleId: string, key: string, startedAt: number): string {
  return createHash('sha256').update(`${tenant}\u001f${ruleId}\u001f${key}\u001f${startedAt}`).digest('hex').slice(0, 24);
}
