import type { ContactEvent } from '@switchboard/events';
import { businessMs, isOpenAt, type Calendar } from './calendar';
import { MAX_THRESHOLD_S } from './options';

/**
 * What the store keeps per (tenant, window, dimensions): numerators and denominators only,
 * never ratios, so any window, group or rollup merges exactly (docs/kpis.md).
 *
 * - `sum` columns add up (UInt64 counts and millisecond totals).
 * - `fsum` columns add up fractional or signed values (Float64: survey scores, QA score
 *   ratios, net revenue); sums of whole numbers are exact up to 2^53.
 * - `max` columns keep the largest value (0 when nothing was seen; the KPI says null then).
 * - `waitmap` columns count events by whole seconds of wait, so a service-level or
 *   short-abandon threshold of any whole number of seconds is exact at read time:
 *   `ceil` keys answer "wait ≤ T s", `floor` keys answer "wait < S s".
 * - `keymap` columns count events by a string key (a contact, a customer, a topic), merged
 *   with sumMap: the number of keys is an exact distinct count at every grain and group,
 *   and the counts per key answer "at least n" (repeat purchasers) or "key in a set"
 *   (complaint topics chosen at read time).
 */
export type AggregateKind = 'sum' | 'fsum' | 'max' | 'waitmap' | 'keymap';

export interface AggregateColumn {
  name: string;
  kind: AggregateKind;
  doc: string;
}

// Append only: the order is the table's column order (migrations add columns at the end).
export const AGGREGATE_COLUMNS = [
  { name: 'queued', kind: 'sum', doc: 'count(queued)' },
  { name: 'answered', kind: 'sum', doc: 'count(answered)' },
  { name: 'answered_wait_ms', kind: 'sum', doc: 'Σ wait_ms of answered' },
  { name: 'answered_wait_ceil_s', kind: 'waitmap', doc: 'answered by ceil(wait_ms / 1000)' },
  { name: 'abandoned_all', kind: 'sum', doc: 'count(abandoned), short ones included' },
  { name: 'abandoned_wait_ceil_s', kind: 'waitmap', doc: 'abandoned by ceil(wait_ms / 1000)' },
  { name: 'abandoned_wait_floor_s', kind: 'waitmap', doc: 'abandoned by floor(wait_ms / 1000)' },
  { name: 'wrapups', kind: 'sum', doc: 'count(wrapup_completed)' },
  { name: 'handle_ms', kind: 'sum', doc: 'Σ handle_ms of wrapup_completed' },
  { name: 'csat_responses', kind: 'sum', doc: 'count(survey_response, csat)' },
  { name: 'csat_satisfied', kind: 'sum', doc: 'CSAT responses in the top two boxes (scaled)' },
  { name: 'nps_responses', kind: 'sum', doc: 'count(survey_response, nps)' },
  { name: 'nps_promoters', kind: 'sum', doc: 'NPS responses of 9–10 (scaled to 0–10)' },
  { name: 'nps_detractors', kind: 'sum', doc: 'NPS responses of 0–6 (scaled to 0–10)' },
  // 0002: the rest of the windowed catalogue
  { name: 'blocked', kind: 'sum', doc: 'count(blocked)' },
  { name: 'created', kind: 'sum', doc: 'count(contact_created)' },
  { name: 'created_by_topic', kind: 'keymap', doc: "count(contact_created) by topic ('' without one)" },
  { name: 'resolved', kind: 'sum', doc: 'count(resolved)' },
  { name: 'resolution_n', kind: 'sum', doc: 'count(resolved carrying resolution_ms)' },
  { name: 'resolution_ms', kind: 'sum', doc: 'Σ resolution_ms of resolved' },
  { name: 'reopened', kind: 'sum', doc: 'count(reopened)' },
  { name: 'agent_messages', kind: 'sum', doc: 'count(agent_message)' },
  { name: 'response_n', kind: 'sum', doc: 'count(agent_message carrying response_ms)' },
  { name: 'response_ms', kind: 'sum', doc: 'Σ response_ms of agent_message' },
  { name: 'first_response_n', kind: 'sum', doc: 'count(agent_message with first_response and response_ms)' },
  { name: 'first_response_ms', kind: 'sum', doc: 'Σ response_ms of first-response agent messages' },
  { name: 'transferred_contacts', kind: 'keymap', doc: 'count(transferred) by contact_id' },
  { name: 'escalated_contacts', kind: 'keymap', doc: 'count(escalated) by contact_id' },
  { name: 'longest_wait_ms', kind: 'max', doc: 'max wait_ms of answered and abandoned' },
  { name: 'talk_n', kind: 'sum', doc: 'count(contact_ended carrying talk_ms)' },
  { name: 'talk_ms', kind: 'sum', doc: 'Σ talk_ms of contact_ended' },
  { name: 'hold_n', kind: 'sum', doc: 'count(contact_ended carrying hold_ms)' },
  { name: 'hold_ms', kind: 'sum', doc: 'Σ hold_ms of contact_ended' },
  { name: 'held', kind: 'sum', doc: 'count(contact_ended with hold_ms > 0)' },
  { name: 'acw_n', kind: 'sum', doc: 'count(wrapup_completed carrying acw_ms)' },
  { name: 'acw_ms', kind: 'sum', doc: 'Σ acw_ms of wrapup_completed' },
  { name: 'csat_score', kind: 'fsum', doc: 'Σ score of the counted CSAT responses (as answered)' },
  { name: 'ces_responses', kind: 'sum', doc: 'count(survey_response, ces, with a score)' },
  { name: 'ces_score', kind: 'fsum', doc: 'Σ score of CES responses (as answered)' },
  { name: 'qa_evaluations', kind: 'sum', doc: 'count(qa_evaluation with score and max_score > 0)' },
  { name: 'qa_score_ratio', kind: 'fsum', doc: 'Σ score ÷ max_score of qa_evaluation' },
  { name: 'kb_views', kind: 'sum', doc: 'count(kb_article_viewed)' },
  { name: 'self_service', kind: 'sum', doc: 'count(self_service_resolved)' },
  { name: 'state_busy_ms', kind: 'sum', doc: 'ms agents spent busy within the window (previous_state_ms of agent_state_changed leaving busy, split across the minutes it spanned)' },
  { name: 'state_acw_ms', kind: 'sum', doc: 'ms in after_call_work within the window (split likewise)' },
  { name: 'state_available_ms', kind: 'sum', doc: 'ms available within the window (split likewise)' },
  { name: 'state_away_ms', kind: 'sum', doc: 'ms away within the window (split likewise)' },
  { name: 'customers_active', kind: 'keymap', doc: 'interactions (contact_created, self_service_resolved, kb_article_viewed, customer_business_event) by customer_id' },
  { name: 'customer_purchases', kind: 'keymap', doc: 'count(customer_business_event purchase) by customer_id' },
  { name: 'customers_churned', kind: 'keymap', doc: 'count(customer_business_event churned) by customer_id' },
  { name: 'customers_referred', kind: 'keymap', doc: 'count(customer_business_event referred) by customer_id' },
  { name: 'net_revenue_minor', kind: 'fsum', doc: 'Σ amount_minor of purchases − Σ amount_minor of returns' },
  // 0004
  { name: 'resolved_by_topic_code', kind: 'keymap', doc: "count(resolved with resolution_code) by topic ␟ code (topic '' without one)" },
  // 0005
  { name: 'staffed_ms_by_team', kind: 'keymap', doc: "ms in a staffed state (not offline) within the window, by team_id ('' without one); split likewise" },
  // 0007: log-scale duration histograms (keys from durationBucket) for frt and art percentiles
  { name: 'first_response_log', kind: 'waitmap', doc: 'first-response agent messages by durationBucket(response_ms)' },
  { name: 'resolution_log', kind: 'waitmap', doc: 'resolved (with resolution_ms) by durationBucket(resolution_ms)' },
  // 0014: customers' patience for Erlang A (docs/staffing.md)
  { name: 'abandoned_wait_ms', kind: 'sum', doc: 'Σ wait_ms of abandoned' },
  // 0015: business time (the queue's calendar) and SLA policies (docs/business-hours.md, docs/sla.md)
  { name: 'first_response_bh_ms', kind: 'sum', doc: 'Σ business_ms of the response of first-response agent messages' },
  { name: 'first_response_bh_log', kind: 'waitmap', doc: 'first-response agent messages by durationBucket(business ms of the response)' },
  { name: 'response_bh_ms', kind: 'sum', doc: 'Σ business_ms of the response of agent messages carrying response_ms' },
  { name: 'resolution_bh_ms', kind: 'sum', doc: 'Σ business_ms of resolution_ms of resolved' },
  { name: 'resolution_bh_log', kind: 'waitmap', doc: 'resolved (with resolution_ms) by durationBucket(business ms of the resolution)' },
  { name: 'in_hours_queued', kind: 'sum', doc: 'count(queued at an instant the queue is open)' },
  { name: 'in_hours_answered', kind: 'sum', doc: 'count(answered whose queueing instant, occurred_at − wait_ms, is open)' },
  { name: 'in_hours_answered_wait_ceil_s', kind: 'waitmap', doc: 'answered queued in hours, by ceil(wait_ms / 1000)' },
  { name: 'in_hours_abandoned_all', kind: 'sum', doc: 'count(abandoned queued in hours), short ones included' },
  { name: 'in_hours_abandoned_wait_ceil_s', kind: 'waitmap', doc: 'abandoned queued in hours, by ceil(wait_ms / 1000)' },
  { name: 'in_hours_abandoned_wait_floor_s', kind: 'waitmap', doc: 'abandoned queued in hours, by floor(wait_ms / 1000)' },
  { name: 'sla_first_reply_n', kind: 'sum', doc: 'first replies (first-response agent messages with response_ms) measured against an SLA policy' },
  { name: 'sla_first_reply_met', kind: 'sum', doc: 'of those, within the first_reply target' },
  { name: 'sla_next_reply_n', kind: 'sum', doc: 'later replies (agent messages with response_ms, not first) measured against an SLA policy' },
  { name: 'sla_next_reply_met', kind: 'sum', doc: 'of those, within the next_reply target' },
  { name: 'sla_resolution_n', kind: 'sum', doc: 'resolutions (resolved with resolution_ms) measured against an SLA policy' },
  { name: 'sla_resolution_met', kind: 'sum', doc: 'of those, within the resolution target' },
] as const satisfies readonly AggregateColumn[];

type Column = (typeof AGGREGATE_COLUMNS)[number];
export type AggregateName = Column['name'];
/** columns holding one number: sums and maxima */
export type ScalarName = Extract<Column, { kind: 'sum' | 'fsum' | 'max' }>['name'];
export type WaitMapName = Extract<Column, { kind: 'waitmap' }>['name'];
export type KeyMapName = Extract<Column, { kind: 'keymap' }>['name'];

/** One aggregate row's measures; wait maps are keyed by whole seconds, key maps by strings. */
export type Measures = { [K in ScalarName]: number }
  & { [K in WaitMapName]: Map<number, number> }
  & { [K in KeyMapName]: Map<string, number> };

/**
 * The empty map every map measure starts as, shared: most rows touch one or two of the
 * seventeen maps, so each is allocated on its first write (mapFor) instead of with the row.
 * Never written to: every writer goes through mapFor.
 */
const NO_ENTRIES = new Map<never, number>() as Map<unknown, number>;
// one object literal of every column, compiled from AGGREGATE_COLUMNS: each row is made from its
// boilerplate (faster than cloning a template by spread, and a row is made for every minute an
// agent state spanned)
const makeEmpty = new Function('NONE', `return () => ({ ${AGGREGATE_COLUMNS.map((c) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(c.name)) throw new Error(`measure name ${c.name}`);
  return `${c.name}: ${c.kind === 'waitmap' || c.kind === 'keymap' ? 'NONE' : '0'}`;
}).join(', ')} });`)(NO_ENTRIES) as () => Measures;

export function emptyMeasures(): Measures {
  return makeEmpty();
}

/** A row's map measure, ready to be written (allocated on the first write). */
export function mapFor<K extends WaitMapName | KeyMapName>(m: Measures, name: K): Measures[K] {
  const had = m[name];
  if (had !== NO_ENTRIES) return had;
  const fresh = new Map() as Measures[K];
  m[name] = fresh;
  return fresh;
}

/** The bucket past MAX_THRESHOLD_S, so long waits still count without unbounded keys. */
export const WAIT_OVERFLOW_KEY = MAX_THRESHOLD_S + 1;
export const ceilSeconds = (ms: number) => Math.min(Math.ceil(ms / 1000), WAIT_OVERFLOW_KEY);
export const floorSeconds = (ms: number) => Math.min(Math.floor(ms / 1000), WAIT_OVERFLOW_KEY);

/**
 * Log-scale duration buckets for percentiles of durations that span milliseconds to days:
 * bucket 0 holds 0 ms, bucket k ≥ 1 holds (1.02^(k−2), 1.02^(k−1)] ms, so a percentile read
 * back as the bucket's upper bound is at most 2 % above the true value (and never below).
 * 90 days in ms is bucket 1152, well inside UInt16.
 */
export const DURATION_BUCKET_BASE = 1.02;
export const durationBucket = (ms: number) => (ms <= 0 ? 0 : 1 + Math.max(0, Math.ceil(Math.log(ms) / Math.log(DURATION_BUCKET_BASE))));
export const durationBucketUpperMs = (k: number) => (k === 0 ? 0 : DURATION_BUCKET_BASE ** (k - 1));

const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

/** CSAT top-two-box on a 1–5 scale is ≥ 4, i.e. ≥ 3/4 of the way up; other scales scale. */
export function isCsatSatisfied(score: number, min: number, max: number): boolean {
  return (score - min) * 4 >= 3 * (max - min);
}
/** NPS classes on the 0–10 scale; other scales are mapped linearly onto it. */
export function npsClass(score: number, min: number, max: number): 'promoter' | 'passive' | 'detractor' {
  const scaled10 = (score - min) * 10;
  if (scaled10 >= 9 * (max - min)) return 'promoter';
  if (scaled10 <= 6 * (max - min)) return 'detractor';
  return 'passive';
}

/** Key of resolved_by_topic_code: the topic, the unit separator, the resolution code. */
export const TOPIC_CODE_SEPARATOR = '\u001f';
export const topicCodeKey = (topic: string, code: string) => `${topic}${TOPIC_CODE_SEPARATOR}${code}`;

/** Agent states whose time feeds occupancy and utilization, by the column that sums it. */
const STATE_COLUMN = {
  busy: 'state_busy_ms',
  after_call_work: 'state_acw_ms',
  available: 'state_available_ms',
  away: 'state_away_ms',
} as const satisfies Partial<Record<NonNullable<ContactEvent['agent_state']>, ScalarName>>;

/**
 * The measures foldStateTime writes, in table order: all a row of agent state time alone holds,
 * and the columns of the narrow state-time tables (STORED_TABLES' `split`, migration 0017).
 */
export const STATE_TIME_COLUMNS = [...Object.values(STATE_COLUMN), 'staffed_ms_by_team'] as const;

/** The state columns (busy, after-call work, available, away): what a row of state time alone keeps. */
type StateColumn = (typeof STATE_COLUMN)[keyof typeof STATE_COLUMN];

/**
 * The measures of a row that holds agent state time and nothing else: most rows keyed by agent
 * (an agent state's minutes, foldEventByMinute), kept narrow so a flush does not allocate, copy
 * and collect every other measure's zero for each of them. Its `staffed_ms_by_team` is not kept
 * but implied: every row is keyed by team_id, and a state's time goes to the team of its event,
 * so a row's staffed time by team is its team's total of the four states (widenStateTime).
 */
export type StateTimeMeasures = Pick<Measures, StateColumn>;

/** A row of state time alone, empty. */
export function emptyStateTime(): StateTimeMeasures {
  return { state_busy_ms: 0, state_acw_ms: 0, state_available_ms: 0, state_away_ms: 0 };
}

/** A row's staffed time: the sum of its four states. */
export const staffedMs = (s: StateTimeMeasures) => s.state_busy_ms + s.state_acw_ms + s.state_available_ms + s.state_away_ms;

/** Every measure of a row of state time alone, keyed by `team` (its team_id dimension), in a new row. */
export function widenStateTime(s: StateTimeMeasures, team: string): Measures {
  const m = makeEmpty();
  addStateTime(m, s, team);
  return m;
}

/** Adds one narrow row's state time into another (narrow). */
export function mergeStateTime(into: StateTimeMeasures, from: StateTimeMeasures): void {
  into.state_busy_ms += from.state_busy_ms;
  into.state_acw_ms += from.state_acw_ms;
  into.state_available_ms += from.state_available_ms;
  into.state_away_ms += from.state_away_ms;
}

/** Adds a narrow row's state time, keyed by `team` (its team_id dimension), into a row with every measure. */
export function addStateTime(into: Measures, from: StateTimeMeasures, team: string): void {
  mergeStateTime(into, from);
  const ms = staffedMs(from);
  if (ms === 0) return;
  const staffed = mapFor(into, 'staffed_ms_by_team');
  staffed.set(team, (staffed.get(team) ?? 0) + ms);
}

/** An SLA policy's target for one clock: a duration, in business time (the queue's calendar) or calendar time. */
export interface SlaTarget {
  ms: number;
  business: boolean;
}
/** The targets that apply to one event (the first matching policy's, for the event's priority). */
export interface SlaTargets {
  first_reply?: SlaTarget;
  next_reply?: SlaTarget;
  resolution?: SlaTarget;
}

/**
 * What a fold needs beyond the event: the tenant's business configuration (docs/business-hours.md).
 * An implementation answers with the configuration in force at the event's occurred_at (calendar
 * and policy versions), so a later change never rewrites what an event was measured with.
 */
export interface FoldContext {
  /** the calendar the queue is judged by (the tenant's default when the queue maps to none); undefined: 24/7 */
  calendarFor(tenantId: string, queueId: string | null, at: number): Calendar | undefined;
  /** the targets of the first SLA policy matching the event (channel, queue, priority); undefined: none applies */
  slaTargetsFor(e: ContactEvent): SlaTargets | undefined;
}

/** No calendars, no SLA policies: every queue open 24/7, nothing measured against a policy. */
export const NO_BUSINESS_CONFIG: FoldContext = {
  calendarFor: () => undefined,
  slaTargetsFor: () => undefined,
};

/** A clock met its target: its elapsed time (business or calendar, as the target says) is at most the target. */
const withinTarget = (t: SlaTarget, calendarMs: number, businessMs: number) => (t.business ? businessMs : calendarMs) <= t.ms;

/**
 * The longest stretch of one agent state that is apportioned (docs/staffing.md, "Where time is
 * booked"): an agent_state_changed counts at most the 24 hours before the change, and time
 * before that is not counted. A state of days is an agent left logged in, not days of staffed
 * time; and a late event may then change windows up to this long before the lateness
 * horizon (the query service moves `meta.open_from` back by it), never older ones. Also keeps
 * one event to at most 1,440 minute rows.
 */
export const MAX_STATE_SPAN_MS = 24 * 3_600_000;

/**
 * The staffed interval an agent_state_changed reports, [occurred_at − previous_state_ms,
 * occurred_at) cut to MAX_STATE_SPAN_MS: null when the state left was offline (or unknown), or
 * lasted no time.
 */
export function stateSpan(e: ContactEvent): { from: number; to: number } | null {
  const prev = e.previous_agent_state;
  const ms = e.previous_state_ms;
  if (e.type !== 'agent_state_changed' || prev === null || prev === 'offline' || ms === null || ms <= 0) return null;
  return { from: e.occurred_at - Math.min(ms, MAX_STATE_SPAN_MS), to: e.occurred_at };
}

/** Books `ms` of the state an agent_state_changed leaves (its previous_agent_state, not offline) into a row. */
function foldStateTime(m: StateTimeMeasures | Measures, e: ContactEvent, ms: number): void {
  m[STATE_COLUMN[e.previous_agent_state as keyof typeof STATE_COLUMN]] += ms;
  // a narrow row's staffed time by team is implied by its team_id (StateTimeMeasures)
  if (!('staffed_ms_by_team' in m)) return;
  const team = e.team_id ?? '';
  const staffed = mapFor(m, 'staffed_ms_by_team');
  staffed.set(team, (staffed.get(team) ?? 0) + ms);
}

const MINUTE_MS = 60_000;

/**
 * Folds one event into the 1-minute rows of its tenant and dimensions (`rowAt(minute start)`
 * gives, creating it when needed, the row of a minute; `stateAt` likewise a row that only state
 * time is written to, which may be narrow): everything into the minute of its
 * occurred_at, except the time of the agent state it leaves, which is split exactly across the
 * minutes the state spanned, each minute getting the milliseconds inside it, as contact-center
 * platforms' interval reports do (docs/staffing.md). A state of 3 hours touches 180 or 181 rows.
 */
export function foldEventByMinute(
  e: ContactEvent,
  rowAt: (minute: number) => Measures,
  ctx: FoldContext = NO_BUSINESS_CONFIG,
  stateAt: (minute: number) => StateTimeMeasures | Measures = rowAt,
): void {
  const own = Math.floor(e.occurred_at / MINUTE_MS) * MINUTE_MS;
  if (e.type !== 'agent_state_changed') {
    foldEvent(rowAt(own), e, ctx);
    return;
  }
  // the change's own minute has a row even when no time is booked (an agent logging in):
  // the agent is seen in that window
  stateAt(own);
  const span = stateSpan(e);
  if (!span) return;
  for (let w = Math.floor(span.from / MINUTE_MS) * MINUTE_MS; w < span.to; w += MINUTE_MS) {
    const piece = Math.min(span.to, w + MINUTE_MS) - Math.max(span.from, w);
    foldStateTime(stateAt(w), e, piece);
  }
}

/**
 * Adds one event's contributions to one row's measures: each event type feeds the KPIs of the
 * window it completes in (the event's own occurred_at), the whole of an agent state's time
 * included. That is the fold of everything into one total (and of every event type but
 * agent_state_changed into its window); the stored 1-minute rows are folded by
 * foldEventByMinute, which splits state time across the minutes it spanned.
 */
export function foldEvent(m: Measures, e: ContactEvent, ctx: FoldContext = NO_BUSINESS_CONFIG): void {
  switch (e.type) {
    case 'contact_created':
      m.created += 1;
      bump(mapFor(m, 'created_by_topic'), e.topic ?? '');
      if (e.customer_id) bump(mapFor(m, 'customers_active'), e.customer_id);
      break;
    case 'queued':
      m.queued += 1;
      if (isOpenAt(ctx.calendarFor(e.tenant_id, e.queue_id, e.occurred_at), e.occurred_at)) m.in_hours_queued += 1;
      break;
    case 'blocked':
      m.blocked += 1;
      break;
    case 'answered': {
      const w = e.wait_ms ?? 0;
      m.answered += 1;
      m.answered_wait_ms += w;
      bump(mapFor(m, 'answered_wait_ceil_s'), ceilSeconds(w));
      m.longest_wait_ms = Math.max(m.longest_wait_ms, w);
      // "in hours": the contact was queued (occurred_at − wait) while its queue was open
      if (isOpenAt(ctx.calendarFor(e.tenant_id, e.queue_id, e.occurred_at), e.occurred_at - w)) {
        m.in_hours_answered += 1;
        bump(mapFor(m, 'in_hours_answered_wait_ceil_s'), ceilSeconds(w));
      }
      break;
    }
    case 'abandoned': {
      const w = e.wait_ms ?? 0;
      m.abandoned_all += 1;
      m.abandoned_wait_ms += w;
      bump(mapFor(m, 'abandoned_wait_ceil_s'), ceilSeconds(w));
      bump(mapFor(m, 'abandoned_wait_floor_s'), floorSeconds(w));
      m.longest_wait_ms = Math.max(m.longest_wait_ms, w);
      if (isOpenAt(ctx.calendarFor(e.tenant_id, e.queue_id, e.occurred_at), e.occurred_at - w)) {
        m.in_hours_abandoned_all += 1;
        bump(mapFor(m, 'in_hours_abandoned_wait_ceil_s'), ceilSeconds(w));
        bump(mapFor(m, 'in_hours_abandoned_wait_floor_s'), floorSeconds(w));
      }
      break;
    }
    case 'agent_message':
      m.agent_messages += 1;
      if (e.response_ms !== null) {
        const t = e.occurred_at;
        const calendar = ctx.calendarFor(e.tenant_id, e.queue_id, t);
        const bh = businessMs(calendar, t - e.response_ms, t);
        m.response_n += 1;
        m.response_ms += e.response_ms;
        m.response_bh_ms += bh;
        const sla = ctx.slaTargetsFor(e);
        if (e.first_response === true) {
          m.first_response_n += 1;
          m.first_response_ms += e.response_ms;
          bump(mapFor(m, 'first_response_log'), durationBucket(e.response_ms));
          m.first_response_bh_ms += bh;
          bump(mapFor(m, 'first_response_bh_log'), durationBucket(bh));
          if (sla?.first_reply) {
            m.sla_first_reply_n += 1;
            if (withinTarget(sla.first_reply, e.response_ms, bh)) m.sla_first_reply_met += 1;
          }
        } else if (sla?.next_reply) {
          m.sla_next_reply_n += 1;
          if (withinTarget(sla.next_reply, e.response_ms, bh)) m.sla_next_reply_met += 1;
        }
      }
      break;
    case 'transferred':
      bump(mapFor(m, 'transferred_contacts'), e.contact_id);
      break;
    case 'escalated':
      bump(mapFor(m, 'escalated_contacts'), e.contact_id);
      break;
    case 'contact_ended':
      if (e.talk_ms !== null) {
        m.talk_n += 1;
        m.talk_ms += e.talk_ms;
      }
      if (e.hold_ms !== null) {
        m.hold_n += 1;
        m.hold_ms += e.hold_ms;
        if (e.hold_ms > 0) m.held += 1;
      }
      break;
    case 'wrapup_completed':
      m.wrapups += 1;
      m.handle_ms += e.handle_ms ?? 0;
      if (e.acw_ms !== null) {
        m.acw_n += 1;
        m.acw_ms += e.acw_ms;
      }
      break;
    case 'resolved':
      m.resolved += 1;
      if (e.resolution_code !== null) bump(mapFor(m, 'resolved_by_topic_code'), topicCodeKey(e.topic ?? '', e.resolution_code));
      if (e.resolution_ms !== null) {
        const t = e.occurred_at;
        const bh = businessMs(ctx.calendarFor(e.tenant_id, e.queue_id, t), t - e.resolution_ms, t);
        m.resolution_n += 1;
        m.resolution_ms += e.resolution_ms;
        bump(mapFor(m, 'resolution_log'), durationBucket(e.resolution_ms));
        m.resolution_bh_ms += bh;
        bump(mapFor(m, 'resolution_bh_log'), durationBucket(bh));
        const sla = ctx.slaTargetsFor(e);
        if (sla?.resolution) {
          m.sla_resolution_n += 1;
          if (withinTarget(sla.resolution, e.resolution_ms, bh)) m.sla_resolution_met += 1;
        }
      }
      break;
    case 'reopened':
      m.reopened += 1;
      break;
    case 'survey_response': {
      if (e.score === null) break;
      if (e.survey_kind === 'ces') {
        m.ces_responses += 1;
        m.ces_score += e.score;
        break;
      }
      if (e.scale_min === null || e.scale_max === null) break;
      if (e.survey_kind === 'csat') {
        m.csat_responses += 1;
        m.csat_score += e.score;
        if (isCsatSatisfied(e.score, e.scale_min, e.scale_max)) m.csat_satisfied += 1;
      } else if (e.survey_kind === 'nps') {
        m.nps_responses += 1;
        const c = npsClass(e.score, e.scale_min, e.scale_max);
        if (c === 'promoter') m.nps_promoters += 1;
        else if (c === 'detractor') m.nps_detractors += 1;
      }
      break;
    }
    case 'qa_evaluation':
      if (e.score !== null && e.max_score !== null && e.max_score > 0) {
        m.qa_evaluations += 1;
        m.qa_score_ratio += e.score / e.max_score;
      }
      break;
    case 'agent_state_changed': {
      // Into one row, the state's whole (capped) time: rows per window split it with foldEventByMinute.
      const span = stateSpan(e);
      if (span) foldStateTime(m, e, span.to - span.from);
      break;
    }
    case 'kb_article_viewed':
      m.kb_views += 1;
      if (e.customer_id) bump(mapFor(m, 'customers_active'), e.customer_id);
      break;
    case 'self_service_resolved':
      m.self_service += 1;
      if (e.customer_id) bump(mapFor(m, 'customers_active'), e.customer_id);
      break;
    case 'customer_business_event': {
      const c = e.customer_id;
      if (c) {
        bump(mapFor(m, 'customers_active'), c);
        if (e.business_kind === 'purchase') bump(mapFor(m, 'customer_purchases'), c);
        else if (e.business_kind === 'churned') bump(mapFor(m, 'customers_churned'), c);
        else if (e.business_kind === 'referred') bump(mapFor(m, 'customers_referred'), c);
      }
      if (e.business_kind === 'purchase') m.net_revenue_minor += e.amount_minor ?? 0;
      else if (e.business_kind === 'return') m.net_revenue_minor -= e.amount_minor ?? 0;
      break;
    }
    default:
      // hold_started / hold_ended: holds are counted from contact_ended's hold_ms
      break;
  }
}

/** False when the event changes no stored measure, so the aggregator can skip it. */
export function feedsAggregates(e: ContactEvent): boolean {
  return e.type !== 'hold_started' && e.type !== 'hold_ended';
}

export function mergeMeasures(into: Measures, from: Measures): void {
  mergeCompiled(into, from, mergeMap);
}

/** Adds one map measure's counts into another's (allocating the target on its first write). */
function mergeMap(into: Measures, name: WaitMapName | KeyMapName, m: Map<unknown, number>): void {
  if (m.size === 0) return;
  const d = mapFor(into, name) as Map<unknown, number>;
  for (const [k, v] of m) d.set(k, (d.get(k) ?? 0) + v);
}

// one statement per column, compiled from AGGREGATE_COLUMNS like makeEmpty: a loop over the
// names costs a generic keyed load and store per column, and rows are merged for every coarser
// table a flush writes (a state's minute pieces into its hour)
const mergeCompiled = new Function('into', 'from', 'mergeMap', AGGREGATE_COLUMNS.map((c) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(c.name)) throw new Error(`measure name ${c.name}`);
  if (c.kind === 'sum' || c.kind === 'fsum') return `into.${c.name} += from.${c.name};`;
  if (c.kind === 'max') return `if (from.${c.name} > into.${c.name}) into.${c.name} = from.${c.name};`;
  return `if (from.${c.name}.size !== 0) mergeMap(into, '${c.name}', from.${c.name});`;
}).join('\n')) as (into: Measures, from: Measures, merge: typeof mergeMap) => void;
