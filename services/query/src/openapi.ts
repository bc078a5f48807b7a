import { z } from 'zod';
import { DIMENSIONS, GRANULARITY_IDS, KPIS, TOP_TOPICS_DEFINITION, TOP_TOPICS_ID, kpiOptionsSchema } from '@switchboard/kpi';
import { AGENT_STATES, MAX_WINDOWS, REALTIME_DIMENSIONS } from '@switchboard/warehouse';
import { KPI_FORMATS } from './kpi-json';
import { realtimeParamsSchema } from './realtime-params';

// The OpenAPI 3.1 document of the query service, generated from the zod schemas and the KPI
// catalogue the service itself validates with (zod v4's toJSONSchema emits JSON Schema
// 2020-12, the dialect of OpenAPI 3.1), so a KPI, option or dimension added in code is in the
// document without anyone editing it.

type JsonSchema = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

interface Parameter {
  name: string;
  in: 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
  style?: 'form';
  explode?: boolean;
}

/** A comma-separated list parameter (`a,b,c`): OpenAPI's form style without explode. */
const listParam = (name: string, items: z.ZodType, description: string, required = false): Parameter => ({
  name, in: 'query', required, description, style: 'form', explode: false, schema: jsonSchema(z.array(items).min(required ? 1 : 0)),
});

/** One query parameter per field of a zod object, required when it has neither a default nor optional(). */
function paramsOf(shape: Record<string, z.ZodType>, describe: Record<string, string> = {}): Parameter[] {
  return Object.entries(shape).map(([name, field]) => {
    const schema = jsonSchema(field);
    const description = describe[name] ?? (typeof schema.description === 'string' ? schema.description : undefined);
    delete schema.description;
    return { name, in: 'query', required: !field.safeParse(undefined).success, ...(description ? { description } : {}), schema };
  });
}

const OPTION_DESCRIPTIONS: Record<string, string> = {
  short_abandon_s: 'abandons with a wait below this many seconds are short abandons (abandoned, abandonment_rate, service_level)',
  sl_threshold_s: 'service-level threshold T in seconds',
  sl_formula: 'service-level denominator: exclude_short_abandons (Genesys-style), offered, include_abandoned_within (Amazon Connect-style)',
  fcr_window: 'FCR repeat-contact window: 7d (default), 48h, … between 1h and 90d (fcr_rate, repeat_contact_rate)',
  complaint_topics: 'comma-separated topics whose created contacts count as complaints',
  hourly_cost: 'cost of a staffed agent hour for teams without their own rate (cost_per_resolution)',
  team_hourly_costs: 'per-team hourly costs, team:rate,team:rate (cost_per_resolution)',
};

export const kpiIdSchema = z.enum([...KPIS.map((k) => k.id), TOP_TOPICS_ID] as unknown as [string, ...string[]]);
const timestamp = z.string().describe('ISO-8601 with a UTC offset (or a date, read as 00:00Z)');

function kpisParameters(): Parameter[] {
  const kpiList = [...KPIS.map((k) => k.id), TOP_TOPICS_ID].map((id) => `\`${id}\``).join(', ');
  return [
    listParam('metrics', kpiIdSchema, `KPI ids, comma-separated: ${kpiList}`, true),
    { name: 'from', in: 'query', required: true, description: 'inclusive; rounded down to its window', schema: jsonSchema(timestamp) },
    { name: 'to', in: 'query', required: true, description: `exclusive; at most ${MAX_WINDOWS} windows per series`, schema: jsonSchema(timestamp) },
    ...paramsOf({ granularity: z.enum(GRANULARITY_IDS as [string, ...string[]]).default('1h') }, { granularity: 'window size; windows are UTC-aligned, or aligned to `tz` for 30m, 1h and 1d' }),
    ...paramsOf({ n: z.number().int().min(1).max(100).default(5) }, { n: 'with top_topics: how many topics it lists' }),
    ...paramsOf({ format: z.enum(KPI_FORMATS).default('points') }, { format: 'answer layout: `points` (one object per window) or `columns` (the window starts once, then per group one array per KPI: a sixth of the bytes for a wide answer)' }),
    ...paramsOf({ tz: z.string().default('UTC') }, { tz: 'IANA time zone of 30m, 1h and 1d windows (e.g. America/New_York): local days, 23 or 25 hours long across a DST change' }),
    listParam('group_by', z.enum(DIMENSIONS), 'dimensions to group by; a dimension an event does not carry is null in `group`'),
    ...DIMENSIONS.map((d) => listParam(`filter.${d}`, z.string(), `only these values of ${d}; \`null\` selects events without one`)),
    ...paramsOf(kpiOptionsSchema.shape as Record<string, z.ZodType>, OPTION_DESCRIPTIONS),
  ];
}

function realtimeParameters(): Parameter[] {
  return [
    ...paramsOf(realtimeParamsSchema.shape as Record<string, z.ZodType>),
    ...REALTIME_DIMENSIONS.map((d) => listParam(`filter.${d}`, z.string(), `only groups whose ${d} is one of these; \`null\` selects none`)),
  ];
}

const problemSchema = z.object({
  error: z.string(),
  details: z.array(z.object({ param: z.string(), reason: z.string() })).describe('every problem with the parameters, at once'),
});

const TOP_TOPIC = z.object({
  topic: z.string(), created: z.number(), share: z.number().nullable(), previous: z.number(), change: z.number().nullable(),
});

const kpisMeta = (format: (typeof KPI_FORMATS)[number]) => z.object({
  granularity: z.enum(GRANULARITY_IDS as [string, ...string[]]),
  from: z.string(),
  to: z.string(),
  metrics: z.array(kpiIdSchema),
  group_by: z.array(z.enum(DIMENSIONS)),
  tz: z.string(),
  options: z.record(z.string(), z.unknown()),
  format: z.literal(format),
  open_from: z.string().describe('windows starting at or after this may still change: late events up to the lateness horizon (7 days by default) still count in them'),
  fcr_provisional_from: z.string().optional().describe('with fcr_rate or repeat_contact_rate: their values for windows starting at or after this are provisional until fcr_window has passed after the window'),
});
const groupSchema = z.partialRecord(z.enum(DIMENSIONS), z.string().nullable()).describe('the group\'s value of each group_by dimension; null where events had none');

const kpisPointsResponse = z.object({
  meta: kpisMeta('points'),
  series: z.array(z.object({
    group: groupSchema,
    points: z.array(
      z.object({ ts: z.string().describe('window start, ISO-8601 UTC') })
        .catchall(z.union([z.number().nullable(), z.array(TOP_TOPIC).describe(TOP_TOPICS_DEFINITION)]))
        .describe('one key per requested KPI id: a number, or null when its denominator is 0; top_topics is a list'),
    ),
  })),
});

const kpisColumnsResponse = z.object({
  meta: kpisMeta('columns'),
  windows: z.array(z.string()).describe('window starts, ISO-8601 UTC: the i-th value of every array below is of the i-th window'),
  series: z.array(z.object({
    group: groupSchema,
    values: z.record(z.string(), z.union([z.array(z.number().nullable()), z.array(z.array(TOP_TOPIC)).describe(TOP_TOPICS_DEFINITION)]))
      .describe('one array per requested KPI id, one value per window: a number, or null when its denominator is 0; top_topics: one list per window'),
  })),
});

const kpisResponse = z.union([kpisPointsResponse, kpisColumnsResponse]);

const realtimeResponse = z.object({
  meta: z.object({
    at: z.string().describe('the server clock the waits and ages are measured to (now)'),
    lookback_h: z.number().int(),
    group_by: z.array(z.enum(REALTIME_DIMENSIONS)),
    filters: z.partialRecord(z.enum(REALTIME_DIMENSIONS), z.array(z.string())),
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
  })),
});

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema: jsonSchema(schema, 'output') } } });
const bad = json(problemSchema, 'invalid parameters: every problem, with the parameter and the reason');
const tenantHeader = {
  name: 'X-Tenant-Id', in: 'header', required: false,
  description: 'the tenant while AUTH_MODE=off (default `demo`); with API keys, the key\'s tenant (another one is refused with 403)',
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$' },
};
const authErrors = {
  '401': json(z.object({ message: z.string() }).passthrough(), 'missing or unknown API key (AUTH_MODE=api_key)'),
  '403': json(z.object({ message: z.string() }).passthrough(), 'X-Tenant-Id names a tenant the API key does not belong to'),
};

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Switchboard query API',
      version: '1',
      description: 'Contact-center KPIs computed exactly from the event stream, per window and group, and the real-time state.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'an API key bound to one tenant (AUTH_MODE=api_key)' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
      },
    },
    // auth is off by default (npm start): then no key is needed
    security: [{}, { bearer: [] }, { apiKey: [] }],
    paths: {
      '/v1/kpis': {
        get: {
          operationId: 'getKpis',
          summary: 'KPIs per window and group',
          description: 'Ratios are fractions 0…1 (nps −100…100), durations in ms; a ratio over nothing is null. Every window starting before `to` is returned. Unknown parameters are refused.',
          parameters: [...kpisParameters(), tenantHeader],
          responses: { '200': json(kpisResponse, 'one series per group: one point per window (format=points), or one array per KPI (format=columns)'), '400': bad, ...authErrors },
        },
      },
      '/v1/realtime': {
        get: {
          operationId: 'getRealtime',
          summary: 'Current state per queue, team or channel',
          description: 'Contacts in queue, longest current wait, contacts in service, agents by state, open backlog and oldest open ticket, as of now, from the latest event of each contact and agent within the lookback.',
          parameters: [...realtimeParameters(), tenantHeader],
          responses: { '200': json(realtimeResponse, 'one entry per group with something to report'), '400': bad, ...authErrors },
        },
      },
      '/v1/openapi.json': {
        get: { operationId: 'getOpenApi', summary: 'This document', security: [{}], responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } },
      },
      '/healthz': {
        get: { operationId: 'healthz', summary: 'The process is alive', security: [{}], responses: { '200': json(z.object({ status: z.literal('ok') }), 'alive') } },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'The process should get traffic (ClickHouse answering; not shutting down)',
          security: [{}],
          responses: {
            '200': json(z.object({ status: z.literal('ready') }), 'ready'),
            '503': json(z.object({ status: z.string(), failing: z.record(z.string(), z.string()).optional() }), 'not ready, or draining after SIGTERM'),
          },
        },
      },
    },
  };
}
