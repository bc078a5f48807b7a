
import {
  DIMENSIONS, GRANULARITY_IDS, KPI_BY_ID, TOP_TOPICS_ID, granularityMs, isTimeZone, kpiOptionsSchema, parseInstant, staffingGrainProblem, windowStart,
  type Dimension, type Granularity, type KpiDefinition, type KpiOptions,
} from '@switchboard/kpi';
import { MAX_WINDOWS, type KpiQuery } from '@switchboard/warehouse';
import { KPI_FORMATS, type KpiFormat } from './kpi-json';

/** A /v1/kpis request: the warehouse's query and the answer's layout. */
export interface KpiRequest extends KpiQuery {
  /** the answer's layout (points when absent) */
  format?: KpiFormat;
}

/**
 * A list parameter may come as a comma list or repeated (`metrics=a&metrics=b`, what generated
 * clients send by default): both mean the same list. A repeated scalar stays an array, and is
 * refused as "given more than once".
 */
export function joinRepeatedLists(raw: Record<string, unknown>, lists: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) out[k] = Array.isArray(v) && (lists.includes(k) || k.startsWith('filter.')) ? v.map(String).join(',') : v;
  return out;
}

export interface ParamProblem {
  param: string;
  reason: string;
}

export class BadQuery extends Error {
  constructor(readonly problems: ParamProblem[]) {
    super(problems.map((p) => `${p.param}: ${p.reason}`).join('; '));
  }
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

function parseTime(param: string, v: unknown, problems: ParamProblem[]): number {
  if (typeof v !== 'string' || v === '') {
    problems.push({ param, reason: 'is required (ISO-8601, e.g. 2026-11-22T00:00:00Z)' });
    return NaN;
  }
  const t = parseInstant(v);
  if (typeof t === 'number') return t;
  problems.push({ param, reason: t.reason });
  return NaN;
}

/** Turns /v1/kpis query parameters into a typed query, or every problem found with them. */
export function parseKpiQuery(input: Record<string, unknown>): KpiRequest {
  const problems: ParamProblem[] = [];
  const raw = joinRepeatedLists(input, ['metrics', 'group_by', 'complaint_topics']);
  const known = new Set(['metrics', 'from', 'to', 'granularity', 'group_by', 'tz', 'n', 'format', ...Object.keys(kpiOptionsSchema.shape)]);
  for (const k of Object.keys(raw)) {
    if (known.has(k)) continue;
    if (k.startsWith('filter.') && (DIMENSIONS as readonly string[]).includes(k.slice(7))) continue;
    problems.push({ param: k, reason: k.startsWith('filter.') ? `unknown dimension; one of ${DIMENSIONS.join(', ')}` : 'unknown parameter' });
  }
  const str = (k: string) => (Array.isArray(raw[k]) ? problems.push({ param: k, reason: 'given more than once' }) && '' : raw[k]);

  const metricsRaw = str('metrics');
  const metricIds = typeof metricsRaw === 'string' ? list(metricsRaw) : [];
  if (metricIds.length === 0 && !Array.isArray(raw.metrics)) problems.push({ param: 'metrics', reason: `is required: comma-separated KPI ids (${[...KPI_BY_ID.keys(), TOP_TOPICS_ID].join(', ')})` });
  const kpis: KpiDefinition[] = [];
  let topTopics: number | undefined;
  for (const id of metricIds) {
    const k = KPI_BY_ID.get(id);
    if (k) kpis.push(k);
    else if (id === TOP_TOPICS_ID) topTopics = 5;
    else problems.push({ param: 'metrics', reason: `unknown KPI "${id}"` });
  }
  const nRaw = str('n');
  if (nRaw !== undefined) {
    const n = Number(nRaw);
    if (!Number.isInteger(n) || n < 1 || n > 100) problems.push({ param: 'n', reason: `"${nRaw}" is not a whole number from 1 to 100 (how many topics top_topics lists)` });
    // like the other options, n is accepted with any metrics and used only by top_topics
    else if (topTopics !== undefined) topTopics = n;
  }

  const from = parseTime('from', str('from'), problems);
  const to = parseTime('to', str('to'), problems);
  const g = str('granularity') ?? '1h';
  const granularity = (GRANULARITY_IDS as string[]).includes(g as string) ? (g as Granularity) : null;
  if (!granularity) problems.push({ param: 'granularity', reason: `must be one of ${GRANULARITY_IDS.join(', ')}` });
  const finer = granularity && staffingGrainProblem(kpis, granularity);
  if (finer) problems.push({ param: 'granularity', reason: finer });
  if (Number.isFinite(from) && Number.isFinite(to)) {
    if (to <= from) problems.push({ param: 'to', reason: 'must be after from' });
    else if (granularity && (to - windowStart(from, granularity)) / granularityMs(granularity) > MAX_WINDOWS) {
      problems.push({ param: 'granularity', reason: `the range spans more than ${MAX_WINDOWS} windows; choose a coarser granularity or a shorter range` });
    }
  }

  const groupBy: Dimension[] = [];
  const gb = str('group_by');
  for (const d of typeof gb === 'string' ? list(gb) : []) {
    if (!(DIMENSIONS as readonly string[]).includes(d)) problems.push({ param: 'group_by', reason: `unknown dimension "${d}"; one of ${DIMENSIONS.join(', ')}` });
    else if (!groupBy.includes(d as Dimension)) groupBy.push(d as Dimension);
  }

  const filters: KpiQuery['filters'] = {};
  for (const d of DIMENSIONS) {
    const v = str(`filter.${d}`);
    if (typeof v !== 'string') continue;
    // "null" selects events without the dimension
    filters[d] = v.split(',').map((x) => (x === 'null' ? '' : x));
  }

  const optionInput: Record<string, unknown> = {};
  for (const k of Object.keys(kpiOptionsSchema.shape)) if (raw[k] !== undefined) optionInput[k] = str(k);
  const opts = kpiOptionsSchema.safeParse(optionInput);
  if (!opts.success) for (const i of opts.error.issues) problems.push({ param: i.path.join('.'), reason: i.message });

  const tzRaw = str('tz');
  const tz = typeof tzRaw === 'string' && tzRaw !== '' ? tzRaw : 'UTC';
  // the name reaches SQL as a literal: IANA names only, checked against the runtime's zones
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz) || !isTimeZone(tz)) problems.push({ param: 'tz', reason: `"${tz}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York)` });

  const formatRaw = str('format') ?? 'points';
  if (!(KPI_FORMATS as readonly unknown[]).includes(formatRaw)) problems.push({ param: 'format', reason: `must be one of ${KPI_FORMATS.join(', ')}` });

  if (problems.length > 0) throw new BadQuery(problems);
  return { kpis, from, to, granularity: granularity!, groupBy, filters, options: opts.data!, tz, ...(topTopics ? { topTopics } : {}), format: formatRaw as KpiFormat };
}

