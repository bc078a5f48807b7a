// The wallboard's pure rules, apart from the DOM so the unit tests can check them
// (packages/wallboard/test/logic.test.ts): the local day, which target applies to a tile, how a
// tile is coloured, and how numbers are written. The behaviour is described in docs/wallboard.md.

export type Comparison = '>=' | '>' | '<=' | '<';
export type OptionValue = string | number | string[];

/** One target as `GET /v1/targets` lists it (docs/alerts.md, "Targets and goals"). */
export interface Target {
  id: string;
  name?: string;
  kpi: string;
  options: Record<string, OptionValue>;
  scope: Record<string, string>;
  comparison: Comparison;
  threshold: number;
}

/** The fields of a `GET /v1/alerts` entry the wallboard reads. */
export interface AlertSummary {
  alert_id: string;
  state: 'pending' | 'firing' | 'resolved' | 'cancelled';
  rule_id: string;
  rule_name?: string | null;
  kpi: string;
  scope: Record<string, string | null>;
  comparison: Comparison;
  threshold: number;
  last_value: number | null;
  started_at: string;
  fired_at: string | null;
}

/** The KPIs a tile shows that a target can be set on. */
export const TARGETED_KPIS = ['service_level', 'asa_ms', 'abandonment_rate'] as const;
export type TargetedKpi = (typeof TARGETED_KPIS)[number];

// ---------------------------------------------------------------------------------------------
// Time: "today" in the chosen zone

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's offset from UTC at instant `t` in ms (positive east of Greenwich). */
export function zoneOffsetMs(tz: string, t: number): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return wall - Math.floor(t / 1000) * 1000;
}

const DAY = 86_400_000;

/** Start of the local day holding `t` in zone `tz`: the same instant `/v1/kpis` starts its `1d` window at for that `tz`. */
export function zonedDayStart(t: number, tz: string): number {
  const localStart = Math.floor((t + zoneOffsetMs(tz, t)) / DAY) * DAY;
  // local midnight's own offset may differ from t's when a DST change lies in between
  let u = localStart - zoneOffsetMs(tz, t);
  for (let i = 0; i < 2; i++) u = localStart - zoneOffsetMs(tz, u);
  return u;
}

/** Today in zone `tz`: [start, end) of the local day holding `t` (23 or 25 hours across a DST change). */
export function zonedDay(t: number, tz: string): { start: number; end: number } {
  const start = zonedDayStart(t, tz);
  return { start, end: zonedDayStart(start + DAY + 3 * 3_600_000, tz) };
}

/** Whether the browser knows the zone (an unknown one would make every request a 400). */
export function isKnownZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Targets and colours

/**
 * The target a queue's tile is measured against for `kpi`: one scoped to exactly that queue,
 * else one without scope (the tenant's default). Targets scoped by other dimensions (a channel,
 * a team) do not apply to a whole queue's tile; among equals the first id in order wins.
 */
export function targetFor(targets: readonly Target[], kpi: string, queue: string | null): Target | undefined {
  const ofKpi = targets.filter((t) => t.kpi === kpi).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const keys = (t: Target) => Object.keys(t.scope ?? {});
  return (
    ofKpi.find((t) => keys(t).length === 1 && t.scope.queue_id !== undefined && t.scope.queue_id === (queue ?? '')) ??
    ofKpi.find((t) => keys(t).length === 0)
  );
}

/** The target the whole tenant (every queue together) is measured against: one without scope. */
export function tenantTarget(targets: readonly Target[], kpi: string): Target | undefined {
  return targets.filter((t) => t.kpi === kpi && Object.keys(t.scope ?? {}).length === 0).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0];
}

export type Judgement = 'met' | 'breached' | 'none';

/** Met when `value <comparison> threshold` (as `/v1/targets/{id}/attainment` judges a window); no value, no judgement. */
export function judge(value: number | null | undefined, target: Pick<Target, 'comparison' | 'threshold'> | undefined): Judgement {
  if (!target || value === null || value === undefined || Number.isNaN(value)) return 'none';
  const { comparison: c, threshold: x } = target;
  const met = c === '>=' ? value >= x : c === '>' ? value > x : c === '<=' ? value <= x : value < x;
  return met ? 'met' : 'breached';
}

export type TileStatus = 'breach' | 'warn' | 'ok' | 'none';

/**
 * A tile's colour: red (`breach`) when a target is breached or an alert on the queue fires;
 * amber (`warn`) when an alert on it is pending; green (`ok`) when at least one target applies
 * and every one is met; else neutral.
 */
export function tileStatus(judgements: readonly Judgement[], alerts: readonly Pick<AlertSummary, 'state'>[]): TileStatus {
  if (judgements.includes('breached') || alerts.some((a) => a.state === 'firing')) return 'breach';
  if (alerts.some((a) => a.state === 'pending')) return 'warn';
  if (judgements.includes('met')) return 'ok';
  return 'none';
}

/** The active alerts about one queue: those whose scope names it. */
export function alertsOfQueue<A extends Pick<AlertSummary, 'scope' | 'state'>>(alerts: readonly A[], queue: string | null): A[] {
  return alerts.filter((a) => (a.state === 'firing' || a.state === 'pending') && a.scope?.queue_id !== undefined && (a.scope.queue_id ?? null) === queue);
}

/** A canonical text of KPI options, so targets asking for the same options share one request. */
export function optionsKey(options: Record<string, OptionValue> | undefined): string {
  const o = options ?? {};
  return JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/** KPI options as `/v1/kpis` query parameters (lists comma-separated). */
export function optionParams(options: Record<string, OptionValue> | undefined): [string, string][] {
  return Object.entries(options ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]);
}

// ---------------------------------------------------------------------------------------------
// How numbers are written

export function formatRatio(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  // one decimal, dropped when it is 0: 83.3%, 80%
  const pct = Math.round(v * 1000) / 10;
  return `${Number.isInteger(pct) ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** Milliseconds as m:ss (h:mm:ss from an hour on); under 10 s with a tenth. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function formatCount(v: number | null | undefined): string {
  if (v === null || v === undefined) return '–';
  return v.toLocaleString('en-US');
}

const UNITS: Record<string, (v: number | null | undefined) => string> = {
  service_level: formatRatio,
  abandonment_rate: formatRatio,
  asa_ms: formatDuration,
  aht_ms: formatDuration,
  longest_wait_ms: formatDuration,
};

/** A KPI value as the tile writes it. */
export function formatKpi(kpi: string, v: number | null | undefined): string {
  return (UNITS[kpi] ?? formatCount)(v);
}

/** "≥ 80%", "≤ 0:30": a target as the tile writes it. */
export function formatTarget(t: Pick<Target, 'kpi' | 'comparison' | 'threshold'>): string {
  const sym = { '>=': '≥', '>': '>', '<=': '≤', '<': '<' }[t.comparison];
  return `${sym} ${formatKpi(t.kpi, t.threshold)}`;
}

export const queueLabel = (q: string | null): string => (q === null || q === '' ? '(no queue)' : q);
