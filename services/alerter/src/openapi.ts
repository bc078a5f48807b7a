import { z } from 'zod';
import { CALENDAR_ID_RE, DIMENSIONS, GRANULARITY_IDS, slaPolicyListSchema, slaPolicySchema, tenantCalendarSchema } from '@switchboard/kpi';
import {
  AUTH_ERRORS, TENANT_HEADER, errorResponse, jsonResponse, jsonSchema, pathParam,
  type OpenApiFragment, type OpenApiOperation, type OpenApiParameter,
} from '@switchboard/service-kit';
import { COMPARISONS, ID_RE, ruleSpecSchema } from './rules';
import { goalSchema, targetSchema } from './targets';

// The alerter's part of the OpenAPI document (docs/api.md, "The contract"): request bodies are
// the zod schemas PUT validates with (ruleSpecSchema, targetSchema, goalSchema), answers the
// same schemas as GET returns them (webhook URLs masked, secrets redacted: docs/alerts.md).

const idParam = (what: string) => pathParam('id', `the ${what}'s id`, { type: 'string', pattern: ID_RE.source });
const calendarId = pathParam('id', 'the calendar\'s id', { type: 'string', pattern: CALENDAR_ID_RE.source });
const scope = z.partialRecord(z.enum(DIMENSIONS), z.string().nullable());
const iso = z.string().describe('ISO-8601, UTC');

const publicRule = ruleSpecSchema.extend({
  tenant: z.string(),
  source: z.enum(['api', 'file']).describe('file: from ALERT_RULES_FILE, read-only over HTTP'),
  notify: z.array(z.strictObject({
    url: z.string().describe('the webhook\'s origin followed by /*** (a webhook URL is a secret; a PUT that sends it back keeps the stored one)'),
    format: z.enum(['slack', 'json']),
    secret: z.literal('***').optional().describe('present when the webhook has its own signing secret (redacted)'),
  })),
});

const transition = z.object({
  event_id: z.string(), alert_id: z.string(), seq: z.number().int(),
  kind: z.enum(['pending', 'firing', 'renotify', 'resolved', 'cancelled']),
  tenant_id: z.string(), rule_id: z.string(), rule_name: z.string().nullable(),
  kpi: z.string(), kpi_options: z.record(z.string(), z.unknown()), scope, scope_key: z.string(),
  comparison: z.enum(COMPARISONS), threshold: z.number(), recovery_threshold: z.number(),
  value: z.number().nullable(), sample_kpi: z.string(), sample: z.number(),
  window: z.object({ from: iso, to: iso, duration: z.string() }),
  at: iso, started_at: iso, fired_at: iso.nullable(), reason: z.string().nullable(),
  link: z.string().describe('GET /v1/kpis over the evaluated window and scope'),
}).describe('one transition of an alert, as its webhooks carry it');

const alertSummary = z.object({
  alert_id: z.string(),
  state: z.enum(['pending', 'firing', 'resolved', 'cancelled']),
  tenant_id: z.string(), rule_id: z.string(), rule_name: z.string().nullable(),
  kpi: z.string(), kpi_options: z.record(z.string(), z.unknown()), scope,
  comparison: z.enum(COMPARISONS), threshold: z.number(), recovery_threshold: z.number(),
  started_at: iso, fired_at: iso.nullable(), ended_at: iso.nullable(),
  last_value: z.number().nullable(),
  last_transition: z.object({ kind: z.string(), seq: z.number().int(), at: iso, reason: z.string().nullable() }),
  link: z.string(),
  events: z.array(transition).optional().describe('with include=events: every transition'),
});

const source = (file: string) => z.enum(['api', 'file']).describe(`file: from ${file}, read-only over HTTP`);
const storedCalendar = tenantCalendarSchema.extend({ id: z.string(), source: source('CALENDARS_FILE') });
const slaVersion = z.object({
  effective_from: iso.nullable().describe('in force from (null: always, a file list without effective_from)'),
  source: source('SLA_POLICIES_FILE'),
  policies: z.array(slaPolicySchema),
});
const slaPolicies = z.object({
  source: source('SLA_POLICIES_FILE').nullable().describe('null: no list in force'),
  effective_from: iso.nullable(),
  policies: z.array(slaPolicySchema).describe('the ordered list in force now (empty: none)'),
  versions: z.array(slaVersion).describe('every version, oldest effective_from first: an event is measured with the one in force at its occurred_at'),
});
const readOnly = (what: string, file: string) => errorResponse(`the ${what} comes from ${file} and is read-only over HTTP`);

const storedTarget = targetSchema.extend({ id: z.string() });
const storedGoal = goalSchema.extend({ id: z.string() });

const attainment = z.object({
  target: storedTarget,
  granularity: z.enum(GRANULARITY_IDS as [string, ...string[]]),
  windows: z.array(z.object({ ts: iso, value: z.number().nullable(), met: z.boolean().nullable().describe('null without data') })),
  windows_with_data: z.number().int(),
  windows_met: z.number().int(),
  attainment: z.number().min(0).max(1).nullable().describe('windows met ÷ windows with data'),
});

const progress = z.object({
  goal: storedGoal,
  at: iso,
  current: z.object({ value: z.number().nullable(), window: z.object({ from: iso, to: iso }) }),
  elapsed: z.number().min(0).max(1).describe('share of the time from baseline_at to deadline gone by'),
  expected: z.number().describe('where the straight line from baseline to target is now'),
  progress: z.number().nullable().describe('(current − baseline) ÷ (target − baseline)'),
  on_track: z.boolean().nullable(),
  status: z.enum(['no_data', 'reached', 'missed', 'on_track', 'behind']),
});

const invalid = errorResponse('invalid: every problem, with the field (or parameter) and the reason');
const notFound = (what: string) => errorResponse(`no ${what} with this id for the tenant`);
/** rules may also be sent as YAML, like the rules file */
const body = (schema: z.ZodType, description: string, yaml = false) => ({
  required: true,
  description,
  content: { 'application/json': { schema: jsonSchema(schema) }, ...(yaml ? { 'application/yaml': { schema: jsonSchema(schema) } } : {}) },
});
const op = (o: Omit<OpenApiOperation, 'parameters'> & { parameters?: OpenApiParameter[] }): OpenApiOperation => ({
  ...o,
  parameters: [...(o.parameters ?? []), TENANT_HEADER],
  responses: { ...o.responses, ...AUTH_ERRORS },
});
const timeParam = (name: string, description: string, required = false): OpenApiParameter => ({ name, in: 'query', required, description, schema: { type: 'string' } });

/** GET/PUT/DELETE of targets and goals: the same routes for both. */
function configPaths(kind: 'target' | 'goal', path: 'targets' | 'goals', schema: z.ZodType, stored: z.ZodType): OpenApiFragment['paths'] {
  const Kind = kind[0]!.toUpperCase() + kind.slice(1);
  return {
    [`/v1/${path}`]: {
      get: op({ operationId: `list${Kind}s`, summary: `The tenant's ${path}`, responses: { '200': jsonResponse(z.object({ [path]: z.array(stored) }), `every ${kind}`) } }),
    },
    [`/v1/${path}/{id}`]: {
      get: op({ operationId: `get${Kind}`, summary: `One ${kind}`, parameters: [idParam(kind)], responses: { '200': jsonResponse(stored, `the ${kind}`), '404': notFound(kind) } }),
      put: op({
        operationId: `put${Kind}`, summary: `Create or replace a ${kind}`, parameters: [idParam(kind)],
        requestBody: body(schema, `the ${kind} (an id in the body is ignored: the path's counts)`),
        responses: { '200': jsonResponse(stored, `the ${kind} as stored`), '400': invalid },
      }),
      delete: op({ operationId: `delete${Kind}`, summary: `Delete a ${kind}`, parameters: [idParam(kind)], responses: { '204': { description: 'deleted' }, '404': notFound(kind) } }),
    },
  };
}

export function alerterOpenApi(): OpenApiFragment {
  const alertFilters: OpenApiParameter[] = [
    { name: 'state', in: 'query', required: false, description: 'active: pending or firing now; resolved: ended', schema: { type: 'string', enum: ['active', 'resolved', 'all'], default: 'all' } },
    { name: 'rule_id', in: 'query', required: false, schema: { type: 'string' } },
    { name: 'kpi', in: 'query', required: false, schema: { type: 'string' } },
    timeParam('from', 'alerts started at or after (ISO-8601)'),
    timeParam('to', 'alerts started before (ISO-8601)'),
    { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
    { name: 'include', in: 'query', required: false, description: '`events`: every transition of each alert', schema: { type: 'string', enum: ['events'] } },
    ...DIMENSIONS.map((d): OpenApiParameter => ({ name: `filter.${d}`, in: 'query', required: false, description: `only alerts whose scope has this ${d}`, schema: { type: 'string' } })),
  ];
  return {
    tag: { name: 'alerts', description: 'Alert rules and alerts, targets and goals, calendars and SLA policies (the alerter): docs/alerts.md, docs/business-hours.md, docs/sla.md' },
    paths: {
      '/v1/alert-rules': {
        get: op({ operationId: 'listAlertRules', summary: 'The tenant\'s rules, from the API and the rules file', responses: { '200': jsonResponse(z.object({ rules: z.array(publicRule) }), 'every rule') } }),
        put: op({
          operationId: 'replaceAlertRules', summary: 'Replace every API-managed rule at once (the rules file\'s stay)',
          requestBody: body(z.union([z.array(ruleSpecSchema), z.object({ rules: z.array(ruleSpecSchema) })]), 'a list of rules, or {rules: [...]}', true),
          responses: { '200': jsonResponse(z.object({ rules: z.array(publicRule) }), 'every rule now'), '400': invalid },
        }),
      },
      '/v1/alert-rules/{id}': {
        get: op({ operationId: 'getAlertRule', summary: 'One rule', parameters: [idParam('rule')], responses: { '200': jsonResponse(publicRule, 'the rule'), '404': notFound('rule') } }),
        put: op({
          operationId: 'putAlertRule', summary: 'Create or replace a rule', parameters: [idParam('rule')],
          requestBody: body(ruleSpecSchema.partial({ id: true }), 'the rule (its id, if given, must equal the path\'s)', true),
          responses: {
            '200': jsonResponse(publicRule, 'replaced'), '201': jsonResponse(publicRule, 'created'), '400': invalid,
            '409': errorResponse('the rule comes from the rules file and is read-only over HTTP'),
          },
        }),
        delete: op({
          operationId: 'deleteAlertRule', summary: 'Delete a rule (its open alerts are cancelled)', parameters: [idParam('rule')],
          responses: { '204': { description: 'deleted' }, '404': notFound('rule'), '409': errorResponse('the rule comes from the rules file') },
        }),
      },
      '/v1/alerts': {
        get: op({
          operationId: 'listAlerts', summary: 'Alerts, newest first', parameters: alertFilters,
          responses: { '200': jsonResponse(z.object({ alerts: z.array(alertSummary) }), 'the alerts matching the filters'), '400': invalid },
        }),
      },
      '/v1/calendars': {
        get: op({ operationId: 'listCalendars', summary: 'The tenant\'s calendars, from the API and the calendars file (docs/business-hours.md)', responses: { '200': jsonResponse(z.object({ calendars: z.array(storedCalendar) }), 'every calendar') } }),
      },
      '/v1/calendars/{id}': {
        get: op({ operationId: 'getCalendar', summary: 'One calendar', parameters: [calendarId], responses: { '200': jsonResponse(storedCalendar, 'the calendar'), '404': notFound('calendar') } }),
        put: op({
          operationId: 'putCalendar', summary: 'Create or replace a calendar, with the queues it judges (or as the tenant\'s default)', parameters: [calendarId],
          requestBody: body(tenantCalendarSchema.extend({ id: z.string().optional().describe('if given, must equal the path\'s') }), 'the calendar: versions (zone, weekly hours, holidays), queues, default', true),
          responses: {
            '200': jsonResponse(storedCalendar, 'replaced'), '201': jsonResponse(storedCalendar, 'created'),
            '400': invalid, '409': readOnly('calendar', 'CALENDARS_FILE'),
          },
        }),
        delete: op({
          operationId: 'deleteCalendar', summary: 'Delete a calendar (its queues fall to the default calendar, or 24/7)', parameters: [calendarId],
          responses: { '204': { description: 'deleted' }, '404': notFound('calendar'), '409': readOnly('calendar', 'CALENDARS_FILE') },
        }),
      },
      '/v1/sla-policies': {
        get: op({ operationId: 'getSlaPolicies', summary: 'The tenant\'s ordered SLA policy list in force now, and every version (docs/sla.md)', responses: { '200': jsonResponse(slaPolicies, 'the list and its versions') } }),
        put: op({
          operationId: 'putSlaPolicies', summary: 'Replace the ordered SLA policy list: a new version, in force from effective_from (default now)',
          requestBody: body(z.union([slaPolicyListSchema, z.array(slaPolicySchema)]), '{policies: [...], effective_from?}, or the list alone', true),
          responses: { '200': jsonResponse(slaVersion, 'the version written'), '400': invalid, '409': readOnly('tenant\'s SLA policy list', 'SLA_POLICIES_FILE') },
        }),
      },
      ...configPaths('target', 'targets', targetSchema, storedTarget),
      ...configPaths('goal', 'goals', goalSchema, storedGoal),
      '/v1/targets/{id}/attainment': {
        get: op({
          operationId: 'getTargetAttainment', summary: 'The target\'s KPI per window, and whether it was met',
          parameters: [
            idParam('target'), timeParam('from', 'inclusive (ISO-8601)', true), timeParam('to', 'exclusive (ISO-8601)', true),
            { name: 'granularity', in: 'query', required: false, schema: { type: 'string', enum: GRANULARITY_IDS, default: '1h' } },
          ],
          responses: { '200': jsonResponse(attainment, 'per window, and the share of windows with data that met it'), '400': invalid, '404': notFound('target') },
        }),
      },
      '/v1/goals/{id}/progress': {
        get: op({
          operationId: 'getGoalProgress', summary: 'Where the goal stands against the straight line from baseline to target',
          parameters: [idParam('goal'), timeParam('at', 'the moment to judge (default now)')],
          responses: { '200': jsonResponse(progress, 'the current value over the goal\'s window, and the progress'), '400': invalid, '404': notFound('goal') },
        }),
      },
    },
  };
}
