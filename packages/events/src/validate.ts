import { z } from 'zod';
import {
  AGENT_STATES, BUSINESS_KINDS, CHANNELS, DIRECTIONS, EVENT_TYPES, PRIORITIES, SURVEY_KINDS,
  makeEvent, type ContactEvent, type SurveyKind,
} from './types.js';

// Bounds that catch garbage (a timestamp sent as seconds, a negative duration) without
// second-guessing real data: no contact-center measure runs past 90 days.
const MAX_DURATION_MS = 90 * 24 * 3600 * 1000;
const MAX_ID_LEN = 256;
const MAX_ATTRIBUTES = 64;
const MAX_ATTRIBUTE_LEN = 1024;
/** occurred_at may run this far ahead of the receiver's clock (source clock skew). */
export const DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60 * 1000;
/** How late an event may arrive and still be counted (LATE_HORIZON_HOURS): the aggregator dead-letters older ones. */
export const DEFAULT_LATE_HORIZON_HOURS = 7 * 24;

/** Avro's long as avsc encodes it without precision loss (JavaScript numbers): ±(2^53 − 2). */
const AVRO_SAFE_LONG = 9_007_199_254_740_990;

// Ids are compared and stored as UTF-8: a lone surrogate (invalid UTF-16) would become U+FFFD
// and two different ids one; control characters break logs, CSV and terminals.
const id = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_ID_LEN, `must be at most ${MAX_ID_LEN} characters`)
  .refine((s) => !/\p{Cs}/u.test(s), 'must be valid Unicode (it holds a lone surrogate)')
  .refine((s) => !/\p{Cc}/u.test(s), 'must not contain control characters');
const optId = id.nullable().optional();
const duration = z
  .number()
  .int('must be a whole number of milliseconds')
  .min(0, 'must not be negative')
  .max(MAX_DURATION_MS, 'must be at most 90 days in milliseconds')
  .nullable()
  .optional();
const finite = z.number().finite().nullable().optional();

// ISO-8601 with an explicit offset (a bare local time would be ambiguous), or epoch ms.
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const occurredAt = z.union([
  z.number().int('epoch milliseconds must be an integer').min(946684800000, 'epoch milliseconds before 2000 (seconds instead of ms?)').max(4102444800000, 'too far in the future'),
  z.string().regex(ISO_WITH_OFFSET, 'must be ISO-8601 with a UTC offset (e.g. 2026-11-22T10:15:03.250Z) or epoch milliseconds')
    .refine(isRealDateTime, 'is not a real date and time (month 1–12, a day the month has, hour 0–23, minute and second 0–59, offset at most ±14:00)'),
]);

/** Date.parse rolls 2026-11-31 over to December 1; a timestamp must name a real instant as written. */
export function isRealDateTime(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59) return false;
  if (d < 1 || d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return false;
  const off = /([+-])(\d{2}):?(\d{2})$/.exec(s);
  if (off && (Number(off[2]) > 14 || Number(off[3]) > 59)) return false;
  return Number.isFinite(Date.parse(s));
}

const SURVEY_DEFAULT_SCALES: Record<(typeof SURVEY_KINDS)[number], [number, number]> = {
  csat: [1, 5],
  nps: [0, 10],
  ces: [1, 7],
};

export interface SemanticProblem {
  field: string;
  reason: string;
}

type SemanticInput = Pick<ContactEvent, 'type'> & Partial<Record<keyof ContactEvent, unknown>>;

/**
 * Rules the Avro schema cannot express: the measures each event type must carry, and survey
 * and QA scores within their scales. Shared by the HTTP edge and the aggregator, which must
 * not trust producers that wrote to Kafka directly.
 */
export function semanticProblems(e: SemanticInput, opts: { ranges: boolean } = { ranges: true }): SemanticProblem[] {
  const out: SemanticProblem[] = [];
  const need = (field: keyof ContactEvent, why: string) => {
    if (e[field] === undefined || e[field] === null) out.push({ field, reason: `required on ${e.type} events (${why})` });
  };
  switch (e.type) {
    case 'answered':
    case 'abandoned':
      need('wait_ms', 'time in queue');
      break;
    case 'hold_ended':
      need('hold_ms', 'time on hold');
      break;
    case 'wrapup_completed':
      need('handle_ms', 'talk + hold + after-contact work');
      break;
    case 'survey_response': {
      need('survey_kind', 'csat, nps or ces');
      need('score', 'the answer');
      const kind = e.survey_kind as SurveyKind | null | undefined;
      if (kind && typeof e.score === 'number') {
        const [dMin, dMax] = SURVEY_DEFAULT_SCALES[kind];
        const min = typeof e.scale_min === 'number' ? e.scale_min : dMin;
        const max = typeof e.scale_max === 'number' ? e.scale_max : dMax;
        if (!(max > min)) out.push({ field: 'scale_max', reason: `must be greater than scale_min (${min})` });
        else if (e.score < min || e.score > max) out.push({ field: 'score', reason: `must lie within the scale ${min}..${max}` });
      }
      break;
    }
    case 'qa_evaluation':
      need('score', 'points awarded');
      need('max_score', 'points possible');
      if (typeof e.max_score === 'number' && e.max_score <= 0) out.push({ field: 'max_score', reason: 'must be positive' });
      if (typeof e.score === 'number' && typeof e.max_score === 'number' && (e.score < 0 || e.score > e.max_score)) {
        out.push({ field: 'score', reason: 'must lie within 0..max_score' });
      }
      break;
    case 'agent_state_changed':
      need('agent_id', 'whose state changed');
      need('agent_state', 'the new state');
      break;
    case 'customer_business_event':
      need('business_kind', 'purchase, return, churned or referred');
      need('customer_id', 'whose outcome it is');
      break;
    default:
      break;
  }
  if (opts.ranges) for (const f of ['wait_ms', 'response_ms', 'talk_ms', 'hold_ms', 'acw_ms', 'handle_ms', 'resolution_ms', 'previous_state_ms'] as const) {
    const v = e[f];
    if (typeof v === 'number' && (v < 0 || v > MAX_DURATION_MS)) out.push({ field: f, reason: 'must be between 0 and 90 days in milliseconds' });
  }
  return out;
}

const jsonEvent = z
  .strictObject({
    event_id: id,
    tenant_id: id.optional(),
    contact_id: id,
    type: z.enum(EVENT_TYPES),
    occurred_at: occurredAt,
    channel: z.enum(CHANNELS),
    direction: z.enum(DIRECTIONS),
    queue_id: optId,
    agent_id: optId,
    team_id: optId,
    customer_id: optId,
    topic: optId,
    resolution_code: optId,
    source: id.optional(),
    wait_ms: duration,
    response_ms: duration,
    first_response: z.boolean().nullable().optional(),
    talk_ms: duration,
    hold_ms: duration,
    acw_ms: duration,
    handle_ms: duration,
    resolution_ms: duration,
    survey_kind: z.enum(SURVEY_KINDS).nullable().optional(),
    score: finite,
    scale_min: finite,
    scale_max: finite,
    max_score: finite,
    agent_state: z.enum(AGENT_STATES).nullable().optional(),
    previous_agent_state: z.enum(AGENT_STATES).nullable().optional(),
    previous_state_ms: duration,
    business_kind: z.enum(BUSINESS_KINDS).nullable().optional(),
    amount_minor: z.number().int('must be a whole number of minor units').min(-AVRO_SAFE_LONG, `must be at least -${AVRO_SAFE_LONG}`).max(AVRO_SAFE_LONG, `must be at most ${AVRO_SAFE_LONG}`).nullable().optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO-4217 code such as EUR').nullable().optional(),
    attributes: z
      .record(z.string().max(MAX_ID_LEN), z.string().max(MAX_ATTRIBUTE_LEN))
      .refine((a) => Object.keys(a).length <= MAX_ATTRIBUTES, `at most ${MAX_ATTRIBUTES} attributes`)
      .optional(),
    priority: z.enum(PRIORITIES).nullable().optional(),
  })
  .superRefine((e, ctx) => {
    // zod has already range-checked the measures; only the cross-field rules remain.
    for (const p of semanticProblems(e, { ranges: false })) ctx.addIssue({ code: 'custom', path: [p.field], message: p.reason });
  });

export type JsonEventInput = z.input<typeof jsonEvent>;
/** An event as POST /v1/events takes it: the schema behind validateEvent, for the API's OpenAPI document. */
export const jsonEventSchema: z.ZodType<unknown, JsonEventInput> = jsonEvent;

export interface FieldError {
  /** position of the event in the request body */
  index: number;
  /** dotted path of the offending field, or '' for the event as a whole */
  field: string;
  reason: string;
}

export interface ValidationContext {
  /** tenant for events that carry none (the API key's, or X-Tenant-Id when auth is off) */
  defaultTenant: string;
  /** when set, every event must belong to this tenant (auth on: the key's tenant) */
  requiredTenant?: string;
  /** receiver's clock, for the future-skew check */
  now?: number;
  maxFutureSkewMs?: number;
  /** events older than this (ms before `now`) are refused: they would never be counted */
  lateHorizonMs?: number;
  defaultSource?: string;
}

export type ValidationResult = { ok: true; event: ContactEvent } | { ok: false; errors: FieldError[] };

/** Validates one event in the flat JSON form of docs/api.md, "POST /v1/events" and normalizes it to a ContactEvent. */
export function validateEvent(input: unknown, index: number, ctx: ValidationContext): ValidationResult {
  const parsed = jsonEvent.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => ({ index, field: i.path.map(String).join('.'), reason: describeIssue(i, input) })),
    };
  }
  const e = parsed.data;
  const occurred = typeof e.occurred_at === 'number' ? e.occurred_at : Date.parse(e.occurred_at);
  if (!Number.isFinite(occurred)) return { ok: false, errors: [{ index, field: 'occurred_at', reason: 'is not a valid date' }] };
  const now = ctx.now ?? Date.now();
  const skew = ctx.maxFutureSkewMs ?? DEFAULT_MAX_FUTURE_SKEW_MS;
  if (occurred > now + skew) {
    return { ok: false, errors: [{ index, field: 'occurred_at', reason: `is more than ${Math.round(skew / 1000)} s in the future of the receiver's clock` }] };
  }
  if (ctx.lateHorizonMs !== undefined && occurred < now - ctx.lateHorizonMs) {
    return { ok: false, errors: [{ index, field: 'occurred_at', reason: `is older than the lateness horizon (${ctx.lateHorizonMs / 3_600_000} h, LATE_HORIZON_HOURS): it would never be counted` }] };
  }
  const tenant = e.tenant_id ?? ctx.defaultTenant;
  if (ctx.requiredTenant !== undefined && tenant !== ctx.requiredTenant) {
    return { ok: false, errors: [{ index, field: 'tenant_id', reason: 'does not match the tenant of the API key' }] };
  }
  const event = makeEvent({
    ...e,
    tenant_id: tenant,
    occurred_at: occurred,
    source: e.source ?? ctx.defaultSource ?? 'api',
    attributes: e.attributes ?? {},
  } as Parameters<typeof makeEvent>[0]);
  if (event.type === 'survey_response' && event.survey_kind) {
    const [dMin, dMax] = SURVEY_DEFAULT_SCALES[event.survey_kind];
    event.scale_min ??= dMin;
    event.scale_max ??= dMax;
  }
  return { ok: true, event };
}

/** What was sent at `path` (zod 4 leaves the input out of its issues). */
function valueAt(input: unknown, path: readonly PropertyKey[]): { present: boolean; value?: unknown } {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, k)) return { present: false };
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return { present: true, value: v };
}

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v} (${JSON.stringify(v)?.slice(0, 40)})`);

function describeIssue(i: z.core.$ZodIssue, input: unknown): string {
  if (i.code === 'unrecognized_keys') return `unknown field(s): ${i.keys.join(', ')}`;
  if (i.code === 'invalid_type' || i.code === 'invalid_union') {
    const sent = valueAt(input, i.path);
    if (!sent.present || sent.value === undefined) return 'is required';
    if (i.code === 'invalid_type') return `must be ${i.expected === 'number' ? 'a number' : i.expected === 'string' ? 'a string' : i.expected === 'boolean' ? 'true or false' : `of type ${i.expected}`}, got ${kindOf(sent.value)}`;
    // occurred_at: a string or a number, neither valid; the first branch's own message says why
    const inner = i.errors.flat().find((e) => e.code !== 'invalid_type');
    return inner?.message ?? `must be ISO-8601 with a UTC offset or epoch milliseconds, got ${kindOf(sent.value)}`;
  }
  return i.message;
}

export const JSON_EVENT_FIELDS: readonly string[] = Object.keys(jsonEvent.shape);
