import { KPI_BY_ID } from '@switchboard/kpi';
import { formatDuration } from './duration';
import type { AlertRule, Comparison, Scope } from './rules';
import type { Transition, TransitionKind } from './state-machine';

/**
 * One alert transition, as published to alerts.v1 (keyed by alert_id), stored in
 * alert_events and carried by the generic JSON webhook. `event_id` = `alert_id:seq` is
 * unique per transition: consumers de-duplicate on it.
 */
export interface AlertEvent {
  event_id: string;
  alert_id: string;
  seq: number;
  kind: TransitionKind;
  tenant_id: string;
  rule_id: string;
  rule_name: string | null;
  kpi: string;
  kpi_options: Record<string, unknown>;
  scope: Scope;
  scope_key: string;
  comparison: Comparison;
  threshold: number;
  recovery_threshold: number;
  value: number | null;
  sample_kpi: string;
  sample: number;
  /** the sliding window evaluated: [from, to) */
  window: { from: string; to: string; duration: string };
  /** evaluation time (= window.to) */
  at: string;
  started_at: string;
  fired_at: string | null;
  /** why a resolve did not come from the data: "rule deleted", "rule disabled" */
  reason: string | null;
  /** GET /v1/kpis over the evaluated window and scope */
  link: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * /v1/kpis URL reproducing the evaluated value: the window at 1m grain, filtered to the scope.
 * Staffing KPIs are served from 15m up: their link shows the window's 15-minute intervals.
 */
export function kpiLink(base: string, rule: AlertRule, scope: Scope, from: number, to: number): string {
  const metrics = [...new Set([rule.spec.kpi, rule.spec.sample_kpi])];
  const granularity = metrics.some((id) => KPI_BY_ID.get(id)?.staffing) ? '15m' : '1m';
  const p = new URLSearchParams({ metrics: metrics.join(','), from: iso(from), to: iso(to), granularity });
  for (const [d, v] of Object.entries(scope)) p.set(`filter.${d}`, v === null || v === '' ? 'null' : v);
  for (const [k, v] of Object.entries(rule.spec.options)) p.set(k, Array.isArray(v) ? v.join(',') : String(v));
  return `${base.replace(/\/$/, '')}/v1/kpis?${p.toString()}`;
}

export function toAlertEvent(rule: AlertRule, scope: Scope, key: string, t: Transition, linkBase: string, reason: string | null = null): AlertEvent {
  const from = t.at - rule.windowMs;
  return {
    event_id: `${t.alertId}:${t.seq}`,
    alert_id: t.alertId,
    seq: t.seq,
    kind: t.kind,
    tenant_id: rule.tenant,
    rule_id: rule.spec.id,
    rule_name: rule.spec.name ?? null,
    kpi: rule.spec.kpi,
    kpi_options: rule.spec.options,
    scope,
    scope_key: key,
    comparison: rule.spec.comparison,
    threshold: rule.spec.threshold,
    recovery_threshold: rule.recoveryThreshold,
    value: t.value,
    sample_kpi: rule.spec.sample_kpi,
    sample: t.sample,
    window: { from: iso(from), to: iso(t.at), duration: formatDuration(rule.windowMs) },
    at: iso(t.at),
    started_at: iso(t.startedAt),
    fired_at: t.firedAt === null ? null : iso(t.firedAt),
    reason,
    link: kpiLink(linkBase, rule, scope, from, t.at),
  };
}

/** A KPI value as a person reads it: ratios in %, durations in s. */
export function formatValue(kpi: string, v: number | null): string {
  if (v === null) return 'no data';
  const unit = KPI_BY_ID.get(kpi)?.unit;
  if (unit === 'ratio') return `${(100 * v).toFixed(1)}%`;
  if (unit === 'ms') return `${(v / 1000).toFixed(1)} s`;
  if (unit === 'count') return String(Math.round(v));
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

export function scopeText(scope: Scope): string {
  const parts = Object.entries(scope).map(([d, v]) => `${d}=${v ?? '(none)'}`);
  return parts.length ? parts.join(', ') : 'whole tenant';
}

/** One line: what breached (or recovered), the value, the threshold, the scope. */
export function summary(e: AlertEvent): string {
  const what = `${e.kpi} ${formatValue(e.kpi, e.value)}`;
  const scope = scopeText(e.scope);
  const name = e.rule_name ?? e.rule_id;
  if (e.kind === 'resolved') {
    const cond = e.reason ? e.reason : `${what}, back past ${formatValue(e.kpi, e.recovery_threshold)}`;
    return `RESOLVED ${name} (${scope}): ${cond} over the last ${e.window.duration}`;
  }
  const label = e.kind === 'renotify' ? 'STILL FIRING' : e.kind.toUpperCase();
  return `${label} ${name} (${scope}): ${what} ${e.comparison} ${formatValue(e.kpi, e.threshold)} over the last ${e.window.duration} (${e.sample} ${e.sample_kpi})`;
}
