import { z } from 'zod';
import { DEFAULT_OPTIONS, DIMENSIONS, GRANULARITY_IDS, KPIS, TOP_TOPICS_DEFINITION, TOP_TOPICS_ID, kpiOptionsSchema, type KpiDefinition, type KpiUnit } from '@switchboard/kpi';
import {
  AUTH_ERRORS, TENANT_HEADER, errorResponse, jsonResponse, jsonSchema, listParam, paramsOf,
  type OpenApiFragment, type OpenApiParameter,
} from '@switchboard/service-kit';
import { AGENT_STATES, MAX_WINDOWS, REALTIME_DIMENSIONS } from '@switchboard/warehouse';
import { KPI_FORMATS } from './kpi-json';
import { realtimeParamsSchema } from './realtime-params';

// The query service's part of the OpenAPI document (docs/api.md, "The contract"), generated
// from the zod schemas and the KPI catalogue the routes validate with, so a KPI, option or
// dimension added in code is in the document without anyone editing it. Every KPI value is
// typed by its unit: counts are integers, the rest a number or null (a ratio over nothing).

const UNIT_WORDS: Record<KpiUnit, string> = {
  count: 'a count', ratio: 'a fraction (1 = 100 %)', ms: 'milliseconds', nps: '−100…100', score: 'a score',
  minor_currency: 'minor currency units (cents)', currency: 'currency units',
};

const OPTION_DESCRIPTIONS: Record<string, string> = {
  short_abandon_s: 'abandons with a wait below this many seconds are short abandons (abandoned, abandonment_rate, service_level)',
  sl_threshold_s: 'service-level threshold T in seconds',
  sl_formula: 'service-level denominator: exclude_short_abandons (Genesys-style), offered, include_abandoned_within (Amazon Connect-style)',
  fcr_window: 'FCR repeat-contact window: 7d (default), 48h, … between 1h and 90d (fcr_rate, repeat_contact_rate)',
  complaint_topics: 'comma-separated topics whose created contacts count as complaints',
  hourly_cost: 'cost of a staffed agent hour for teams without their own rate (cost_per_resolution)',
  team_hourly_costs: 'per-team hourly costs, team:rate,team:rate (cost_per_resolution)',
  sl_target: 'staffing: the share of contacts to answer within sl_threshold_s, e.g. 0.8 (agents_required and its variants, staffing_gap)',
  max_occupancy: 'staffing: the most a busy agent may be occupied, load ÷ agents (agents_required and its variants, staffing_gap)',
  shrinkage: 'staffing: the share of paid time not on the phones (agents_required_scheduled)',
};

export const kpiIdSchema = z.enum([...KPIS.map((k) => k.id), TOP_TOPICS_ID] as unknown as [string, ...string[]]);
const timestamp = z.string().describe('ISO-8601 with a UTC offset (or a date, read as 00:00Z)');

function kpisParameters(): OpenApiParameter[] {
  const kpiList = [...KPIS.map((k) => k.id), TOP_TOPICS_ID].map((id) => `\`${id}\``).join(', ');
  return [
    listParam('metrics', kpiIdSchema, `KPI ids, comma-separated: ${kpiList}`, true),
    { name: 'from', in: 'query', required: true, description: 'inclusive; rounded down to its window', schema: jsonSchema(timestamp) },
    { name: 'to', in: 'query', required: true, description: `exclusive; at most ${MAX_WINDOWS} windows per series`, schema: jsonSchema(timestamp) },
    ...paramsOf({ granularity: z.enum(GRANULARITY_IDS as [string, ...string[]]).default('1h') }, { granularity: 'window size; windows are UTC-aligned, or aligned to `tz` for 30m, 1h and 1d; the staffing KPIs (per 15-minute interval) from 15m up' }),
    ...paramsOf({ n: z.number().int().min(1).max(100).default(5) }, { n: 'with top_topics: how many topics it lists' }),
    ...paramsOf({ format: z.enum(KPI_FORMATS).default('points') }, { format: 'answer layout: `points` (one object per window), `columns` (the window starts once, then per group one array per KPI: a sixth of the bytes for a wide answer) or `csv` (one row per group and window, for spreadsheets)' }),
    ...paramsOf({ tz: z.string().default('UTC') }, { tz: 'IANA time zone of 30m, 1h and 1d windows (e.g. America/New_York): local days, 23 or 25 hours long across a DST change' }),
    listParam('group_by', z.enum(DIMENSIONS), 'dimensions to group by; a dimension an event does not carry is null in `group`'),
    ...DIMENSIONS.map((d) => listParam(`filter.${d}`, z.string(), `only these values of ${d}; \`null\` selects events without one`)),
    ...paramsOf(kpiOptionsSchema.shape as Record<string, z.ZodType>, OPTION_DESCRIPTIONS),
  ];
}

function realtimeParameters(): OpenApiParameter[] {
  return [
    ...paramsOf(realtimeParamsSchema.shape as Record<string, z.ZodType>),
    ...REALTIME_DIMENSIONS.map((d) => listParam(`filter.${d}`, z.string(), `only groups whose ${d} is one of these; \`null\` selects none`)),
  ];
}

const TOP_TOPIC = z.object({
  topic: z.string(), created: z.number(), share: z.number().nullable(), previous: z.number(), change: z.number().nullable(),
});

/**
 * A KPI's value in an answer, typed by what it can be: null exactly where its formula gives
 * null over nothing (docs/kpis.md, "Null rules"), else a number; counts are whole numbers.
 */
function kpiValue(k: KpiDefinition): z.ZodType {
  const zeros = Object.fromEntries(Object.keys(k.inputs(DEFAULT_OPTIONS)).map((name) => [name, 0]));
  const nullable = k.compute(zeros, DEFAULT_OPTIONS) === null;
  const about = `${k.name}, ${UNIT_WORDS[k.unit]}${nullable ? '; null when there is nothing to measure' : ''}`;
  let v: z.ZodNumber = z.number();
  if (k.unit === 'count') v = v.int();
  if (k.unit === 'nps') v = v.min(-100).max(100);
  if (k.unit === 'ms') v = v.min(0);
  return (nullable ? v.nullable() : v).describe(about);
}
const topTopics = z.array(TOP_TOPIC).describe(TOP_TOPICS_DEFINITION);
const KPI_VALUES: Record<string, z.ZodType> = { ...Object.fromEntries(KPIS.map((k) => [k.id, kpiValue(k)])), [TOP_TOPICS_ID]: topTopics };

const kpisMeta = (format: (typeof KPI_FORMATS)[number]) => z.object({
  granularity: z.enum(GRANULARITY_IDS as [string, ...string[]]),
  from: z.string(),
  to: z.string(),
  metrics: z.array(kpiIdSchema),
  group_by: z.array(z.enum(DIMENSIONS)),
  tz: z.string(),
  options: z.record(z.string(), z.unknown()),
  format: z.literal(format),
  open_from: z.string().describe('windows starting at or after this may still change: late events up to the lateness horizon (7 days by default) still count in them, and an agent state such an event ends counts in the windows of the up to 24 hours it lasted'),
  fcr_provisional_from: z.string().optional().describe('with fcr_rate or repeat_contact_rate: their values for windows starting at or after this are provisional until fcr_window has passed after the window'),
});
const groupSchema = z.partialRecord(z.enum(DIMENSIONS), z.string().nullable()).describe('the group\'s value of each group_by dimension; null where events had none');

const kpisPointsResponse = z.object({
  meta: kpisMeta('points'),
  series: z.array(z.object({
    group: groupSchema,
    points: z.array(
      z.strictObject({ ts: z.string().describe('window start, ISO-8601 UTC'), ...Object.fromEntries(Object.entries(KPI_VALUES).map(([id, v]) => [id, v.optional()])) })
        .describe('one member per requested KPI id'),
    ),
  })),
});

const kpisColumnsResponse = z.object({
  meta: kpisMeta('columns'),
  windows: z.array(z.string()).describe('window starts, ISO-8601 UTC: the i-th value of every array below is of the i-th window'),
  series: z.array(z.object({
    group: groupSchema,
    values: z.strictObject(Object.fromEntries(Object.entries(KPI_VALUES).map(([id, v]) => [id, z.array(v).optional()])))
      .describe('one array per requested KPI id, one value per window'),
  })),
});

const kpisResponse = z.union([kpisPointsResponse, kpisColumnsResponse]);

const realtimeResponse = z.object({
  meta: z.object({
    at: z.string().describe('the server clock the waits and ages are measured to (now)'),
    lookback_h: z.number().int(),
    group_by: z.array(z.enum(REALTIME_DIMENSIONS)),
    filters: z.partialRecord(z.enum(REALTIME_DIMENSIONS), z.array(z.string())),
    staffing: z.object({ window_ms: z.number().int(), sl_threshold_s: z.number(), sl_target: z.number(), max_occupancy: z.number(), shrinkage: z.number() }).describe('how agents_required was sized'),
    sla: z.object({ at_risk_ms: z.number().int() }).describe('sla_at_risk: a clock passes its target within this long'),
  }),
  groups: z.array(z.object({
    group: z.partialRecord(z.enum(REALTIME_DIMENSIONS), z.string().nullable()),
    contacts_in_queue: z.number().int().describe('contacts whose latest queue event is queued'),
    longest_wait_ms: z.number().nullable().describe('how long the longest-waiting of them has waited'),
    contacts_in_service: z.number().int().describe('contacts answered and not yet ended'),
    agents: z.object(Object.fromEntries(AGENT_STATES.map((s) => [s, z.number().int()]))).describe('agents by their latest state'),
    agents_logged_in: z.number().int().describe('agents in any state but offline'),
    open_backlog: z.number().int().describe('tickets created or reopened and not resolved'),
    oldest_open_ticket_age_ms: z.number().nullable().describe('age of the oldest of them, since it was created or last reopened'),
    offered_15m: z.number().int().describe('staffing: contacts offered over the trailing 15 whole minutes'),
    aht_ms: z.number().nullable().describe('staffing: their average handle time (over the trailing 2 hours when none ended in the 15 minutes)'),
    agents_required: z.number().int().nullable().describe('staffing: Erlang C agents for that load, the service-level target and the occupancy cap (docs/staffing.md); null without a handle time'),
    agents_required_scheduled: z.number().int().nullable().describe('staffing: agents_required ÷ (1 − shrinkage)'),
    staffing_gap: z.number().int().nullable().describe('staffing: agents_logged_in − agents_required (negative: understaffed)'),
    sla_breached_open: z.number().int().describe('SLA: open tickets whose first-reply or resolution clock has passed its target (docs/sla.md)'),
    sla_at_risk: z.number().int().describe('SLA: open tickets not breached whose clock will pass its target within meta.sla.at_risk_ms (15 minutes)'),
  })),
});

/** JSON (points or columns), or CSV with format=csv */
function kpisAnswer() {
  const json = jsonResponse(kpisResponse, 'one series per group: one point per window (format=points), one array per KPI (format=columns), or one CSV row per group and window (format=csv)');
  return {
    ...json,
    headers: {
      'Content-Disposition': { description: 'format=csv: a file name for the download', schema: { type: 'string' } },
      'X-Switchboard-Open-From': { description: 'format=csv: meta.open_from of the JSON answer (windows from here may still change)', schema: { type: 'string' } },
    },
    content: {
      ...json.content,
      'text/csv': { schema: { type: 'string', description: 'RFC 4180, CRLF; a header row `window_start, <group_by…>, <metrics…>`; null is an empty cell; top_topics a JSON list; text cells a spreadsheet would run as a formula start with an apostrophe' } },
    },
  };
}

const bad = errorResponse('invalid parameters: every problem, with the parameter and the reason');

export function queryOpenApi(): OpenApiFragment {
  return {
    tag: { name: 'query', description: 'KPIs per window and group, and the real-time state (the query service)' },
    paths: {
      '/v1/kpis': {
        get: {
          operationId: 'getKpis',
          summary: 'KPIs per window and group',
          description: 'Ratios are fractions 0…1 (nps −100…100), durations in ms; a ratio over nothing is null. Every window starting before `to` is returned. Unknown parameters are refused. Lists may be given comma-separated or as repeated parameters.',
          parameters: [...kpisParameters(), TENANT_HEADER],
          responses: { '200': kpisAnswer(), '400': bad, ...AUTH_ERRORS },
        },
      },
      '/v1/realtime': {
        get: {
          operationId: 'getRealtime',
          summary: 'Current state per queue, team or channel',
          description: 'Contacts in queue, longest current wait, contacts in service, agents by state, open backlog and oldest open ticket, as of now, from the latest event of each contact and agent within the lookback.',
          parameters: [...realtimeParameters(), TENANT_HEADER],
          responses: { '200': jsonResponse(realtimeResponse, 'one entry per group with something to report'), '400': bad, ...AUTH_ERRORS },
        },
      },
    },
  };
}
