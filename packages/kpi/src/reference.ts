import type { ContactEvent } from '@switchboard/events';
import { NO_BUSINESS_CONFIG, isCsatSatisfied, npsClass, feedsAggregates, type FoldContext, type SlaTargets } from './aggregates';
import { businessMs, isOpenAt } from './calendar';
import { dimValue, type Dimension } from './dimensions';
import type { KpiOptions } from './options';
import { zonedWindowEnd, zonedWindowStart, zonedWindowStarts, type Granularity } from './windows';
import { TOP_TOPICS_ID, rankTopics, type TopTopic } from './top-topics';
import { agentsRequired, agentsRequiredErlangA, agentsScheduled } from './erlang';

/**
 * The KPI definitions of docs/kpis.md, computed the plain way, straight from an array of events.
 * Deliberately shares nothing with the aggregation path (no measures, no wait maps) so that
 * tests comparing the pipeline against it compare two independent readings of docs/kpis.md.
 */
export interface ReferenceQuery {
  tenant: string;
  from: number;
  to: number;
  granularity: Granularity;
  metrics: string[];
  groupBy: Dimension[];
  filters: Partial<Record<Dimension, string | null>>;
  options: KpiOptions;
  /** IANA zone of the 30m, 1h and 1d windows (UTC when absent) */
  tz?: string;
  /** how many topics top_topics lists (default 5) */
  topN?: number;
  /** the tenants' calendars and SLA policies (none: every queue 24/7, no policy) */
  context?: FoldContext;
}

export interface SeriesPoint { ts: string; [metric: string]: number | null | string | TopTopic[] }
export interface Series { group: Partial<Record<Dimension, string | null>>; points: SeriesPoint[] }

const div = (a: number, b: number) => (b > 0 ? a / b : null);
const count = (es: ContactEvent[], p: (e: ContactEvent) => boolean) => es.reduce((n, e) => n + (p(e) ? 1 : 0), 0);
const total = (es: ContactEvent[], f: (e: ContactEvent) => number) => es.reduce((n, e) => n + f(e), 0);

const mean = (xs: number[]) => div(xs.reduce((a, b) => a + b, 0), xs.length);
const distinct = (xs: (string | null)[]) => new Set(xs.filter((x): x is string => x !== null && x !== '')).size;

/** The events of one window by type, so the KPIs of a window share one pass over them. */
export type EventsByType = Map<ContactEvent['type'], ContactEvent[]>;
export function eventsByType(es: ContactEvent[]): EventsByType {
  const out: EventsByType = new Map();
  for (const e of es) {
    const list = out.get(e.type);
    if (list) list.push(e);
    else out.set(e.type, [e]);
  }
  return out;
}

/**
 * Time an agent spent in one state within a window: the part of the state's interval
 * [occurred_at − previous_state_ms, occurred_at) inside the window (docs/staffing.md, "Where
 * time is booked"), counting at most the 24 hours before the change.
 */
export interface StatePiece { state: string; team: string; ms: number }
const STATE_CAP_MS = 86_400_000;
const staffedStart = (e: ContactEvent) =>
  e.type === 'agent_state_changed' && e.previous_agent_state !== null && e.previous_agent_state !== 'offline' && (e.previous_state_ms ?? 0) > 0
    ? e.occurred_at - Math.min(e.previous_state_ms!, STATE_CAP_MS)
    : null;
/** Each state's time clipped to [from, to); ±Infinity: the whole of each state. */
export function statePieces(es: ContactEvent[], from = -Infinity, to = Infinity): StatePiece[] {
  const out: StatePiece[] = [];
  for (const e of es) {
    const start = staffedStart(e);
    if (start === null) continue;
    const ms = Math.min(e.occurred_at, to) - Math.max(start, from);
    if (ms > 0) out.push({ state: e.previous_agent_state!, team: e.team_id ?? '', ms });
  }
  return out;
}

/** One window's events by type, its agents' state time, the thresholds of the query, in ms, and the business configuration. */
interface Win { by: EventsByType; states: StatePiece[]; S: number; T: number; ctx: FoldContext }
const NONE: ContactEvent[] = [];
const of = (w: Win, t: ContactEvent['type']) => w.by.get(t) ?? NONE;
const offered = (w: Win) => of(w, 'queued').length;
const answered = (w: Win) => of(w, 'answered');
const abandoned = (w: Win) => of(w, 'abandoned');
const short = (w: Win) => count(abandoned(w), (e) => e.wait_ms! < w.S);
const answeredWithin = (w: Win) => count(answered(w), (e) => e.wait_ms! <= w.T);
const surveys = (w: Win, kind: string) => of(w, 'survey_response').filter((e) => e.survey_kind === kind && e.score !== null);
// CSAT and NPS are read on a scale (ingest fills the default one when an answer names none)
const scaled = (w: Win, kind: string) => surveys(w, kind).filter((e) => e.scale_min !== null && e.scale_max !== null);
const csat = (w: Win) => scaled(w, 'csat');
const nps = (w: Win) => scaled(w, 'nps');
// workforce: the time an agent_state_changed says was spent in the state it leaves
const stateMs = (w: Win, state: string) => w.states.reduce((n, p) => n + (p.state === state ? p.ms : 0), 0);
const handling = (w: Win) => stateMs(w, 'busy') + stateMs(w, 'after_call_work');
// customers: interactions of identified customers, and business outcomes per customer
const interactions = (w: Win) => [...of(w, 'contact_created'), ...of(w, 'self_service_resolved'), ...of(w, 'kb_article_viewed'), ...of(w, 'customer_business_event')]
  .filter((e) => e.customer_id !== null && e.customer_id !== '');
const activeCustomers = (w: Win) => distinct(interactions(w).map((e) => e.customer_id));
const business = (w: Win, kind: string) => of(w, 'customer_business_event').filter((e) => e.business_kind === kind);
const customersWith = (w: Win, kind: string) => distinct(business(w, kind).map((e) => e.customer_id));
// business hours: a duration ending at the event, counted inside its queue's open hours
const calendarOf = (w: Win, e: ContactEvent) => w.ctx.calendarFor(e.tenant_id, e.queue_id, e.occurred_at);
const inBusiness = (w: Win, e: ContactEvent, ms: number) => businessMs(calendarOf(w, e), e.occurred_at - ms, e.occurred_at);
const firstReplies = (w: Win) => of(w, 'agent_message').filter((e) => e.first_response === true && e.response_ms !== null);
const laterReplies = (w: Win) => of(w, 'agent_message').filter((e) => e.first_response !== true && e.response_ms !== null);
const resolutions = (w: Win) => of(w, 'resolved').filter((e) => e.resolution_ms !== null);
/** queued while the queue was open: the queued event's own instant, an answer's or abandon's occurred_at − wait */
const queuedInHours = (w: Win, e: ContactEvent) => isOpenAt(calendarOf(w, e), e.occurred_at - (e.type === 'queued' ? 0 : e.wait_ms!));
/** SLA: [measured, met] of one clock over its events */
function slaCounts(w: Win, es: ContactEvent[], clock: keyof SlaTargets, ms: (e: ContactEvent) => number): [number, number] {
  let n = 0;
  let met = 0;
  for (const e of es) {
    const target = w.ctx.slaTargetsFor(e)?.[clock];
    if (!target) continue;
    n++;
    if ((target.business ? inBusiness(w, e, ms(e)) : ms(e)) <= target.ms) met++;
  }
  return [n, met];
}
/** nearest-rank percentile of durations, as the upper bound of its 2 % log bucket (docs/kpis.md) */
function logPercentile(durations: number[], p: number): number | null {
  const ms = [...durations].sort((a, b) => a - b);
  if (ms.length === 0) return null;
  const v = ms[Math.ceil((p * ms.length) / 100) - 1]!;
  return v === 0 ? 0 : 1.02 ** Math.max(0, Math.ceil(Math.log(v) / Math.log(1.02)));
}

/** The KPI over the events of one window and group, straight from the wording of docs/kpis.md. */
export function referenceMetric(
  metric: string, es: ContactEvent[], o: KpiOptions, byType: EventsByType = eventsByType(es), states: StatePiece[] = statePieces(byType.get('agent_state_changed') ?? []),
  ctx: FoldContext = NO_BUSINESS_CONFIG,
): number | null {
  const w: Win = { by: byType, states, S: o.short_abandon_s * 1000, T: o.sl_threshold_s * 1000, ctx };
  const { S, T } = w;
  switch (metric) {
    case 'offered': return offered(w);
    case 'answered': return answered(w).length;
    case 'abandoned': return abandoned(w).length - short(w);
    case 'short_abandoned': return short(w);
    case 'abandonment_rate': return div(abandoned(w).length - short(w), offered(w) - short(w));
    case 'asa_ms': return mean(answered(w).map((e) => e.wait_ms!));
    case 'service_level':
      switch (o.sl_formula) {
        case 'offered': return div(answeredWithin(w), offered(w));
        case 'include_abandoned_within': return div(answeredWithin(w) + count(abandoned(w), (e) => e.wait_ms! <= T), offered(w));
        case 'exclude_short_abandons':
          return div(answeredWithin(w), answered(w).length + count(abandoned(w), (e) => e.wait_ms! > T && e.wait_ms! >= S));
      }
      break;
    case 'asa_p50_ms':
    case 'asa_p90_ms':
    case 'asa_p95_ms': {
      // nearest rank: the ⌈p·n⌉-th smallest wait, in whole seconds rounded up, past an hour "3601 s"
      const waits = answered(w).map((e) => e.wait_ms!).sort((a, b) => a - b);
      if (waits.length === 0) return null;
      const p = Number(metric.slice(5, 7));
      return Math.min(Math.ceil(waits[Math.ceil((p * waits.length) / 100) - 1]! / 1000), 3601) * 1000;
    }
    case 'frt_p50_ms':
    case 'frt_p90_ms':
    case 'frt_p95_ms':
    case 'art_p50_ms':
    case 'art_p90_ms':
    case 'art_p95_ms': {
      // nearest rank over the raw durations, then reported as the upper bound of the 2 % log
      // bucket (1.02^j ms) holding it — the resolution docs/kpis.md documents as its error
      const ms = (metric.startsWith('frt')
        ? of(w, 'agent_message').filter((e) => e.first_response === true && e.response_ms !== null).map((e) => e.response_ms!)
        : of(w, 'resolved').filter((e) => e.resolution_ms !== null).map((e) => e.resolution_ms!)).sort((a, b) => a - b);
      if (ms.length === 0) return null;
      const v = ms[Math.ceil((Number(metric.slice(5, 7)) * ms.length) / 100) - 1]!;
      return v === 0 ? 0 : 1.02 ** Math.max(0, Math.ceil(Math.log(v) / Math.log(1.02)));
    }
    // business hours and SLA policies (docs/business-hours.md, docs/sla.md)
    case 'frt_bh_ms': return mean(firstReplies(w).map((e) => inBusiness(w, e, e.response_ms!)));
    case 'avg_response_bh_ms': return mean(of(w, 'agent_message').filter((e) => e.response_ms !== null).map((e) => inBusiness(w, e, e.response_ms!)));
    case 'art_bh_ms': return mean(resolutions(w).map((e) => inBusiness(w, e, e.resolution_ms!)));
    case 'frt_bh_p50_ms':
    case 'frt_bh_p90_ms':
    case 'frt_bh_p95_ms':
      return logPercentile(firstReplies(w).map((e) => inBusiness(w, e, e.response_ms!)), Number(metric.slice(8, 10)));
    case 'art_bh_p50_ms':
    case 'art_bh_p90_ms':
    case 'art_bh_p95_ms':
      return logPercentile(resolutions(w).map((e) => inBusiness(w, e, e.resolution_ms!)), Number(metric.slice(8, 10)));
    case 'in_hours_offered': return count(of(w, 'queued'), (e) => queuedInHours(w, e));
    case 'service_level_in_hours': {
      const ans = answered(w).filter((e) => queuedInHours(w, e));
      const ab = abandoned(w).filter((e) => queuedInHours(w, e));
      const within = count(ans, (e) => e.wait_ms! <= T);
      const offeredIn = count(of(w, 'queued'), (e) => queuedInHours(w, e));
      switch (o.sl_formula) {
        case 'offered': return div(within, offeredIn);
        case 'include_abandoned_within': return div(within + count(ab, (e) => e.wait_ms! <= T), offeredIn);
        case 'exclude_short_abandons': return div(within, ans.length + count(ab, (e) => e.wait_ms! > T && e.wait_ms! >= S));
      }
      break;
    }
    case 'sla_first_reply_rate': {
      const [n, met] = slaCounts(w, firstReplies(w), 'first_reply', (e) => e.response_ms!);
      return div(met, n);
    }
    case 'sla_next_reply_rate': {
      const [n, met] = slaCounts(w, laterReplies(w), 'next_reply', (e) => e.response_ms!);
      return div(met, n);
    }
    case 'sla_resolution_rate': {
      const [n, met] = slaCounts(w, resolutions(w), 'resolution', (e) => e.resolution_ms!);
      return div(met, n);
    }
    case 'sla_breaches': {
      const clocks = [
        slaCounts(w, firstReplies(w), 'first_reply', (e) => e.response_ms!),
        slaCounts(w, laterReplies(w), 'next_reply', (e) => e.response_ms!),
        slaCounts(w, resolutions(w), 'resolution', (e) => e.resolution_ms!),
      ];
      return clocks.reduce((sum, [n, met]) => sum + n - met, 0);
    }
    case 'aht_ms': return mean(of(w, 'wrapup_completed').map((e) => e.handle_ms!));
    case 'csat': return div(count(csat(w), (e) => isCsatSatisfied(e.score!, e.scale_min!, e.scale_max!)), csat(w).length);
    case 'nps': {
      const ns = nps(w);
      if (ns.length === 0) return null;
      const p = count(ns, (e) => npsClass(e.score!, e.scale_min!, e.scale_max!) === 'promoter');
      const d = count(ns, (e) => npsClass(e.score!, e.scale_min!, e.scale_max!) === 'detractor');
      return (100 * (p - d)) / ns.length;
    }
    // volume and flow
    case 'blocked': return of(w, 'blocked').length;
    case 'blockage_rate': return div(of(w, 'blocked').length, offered(w) + of(w, 'blocked').length);
    case 'created': return of(w, 'contact_created').length;
    case 'resolved': return of(w, 'resolved').length;
    case 'resolution_rate': return div(of(w, 'resolved').length, of(w, 'contact_created').length);
    // speed
    case 'longest_wait_ms': {
      const waits = [...answered(w), ...abandoned(w)].map((e) => e.wait_ms!);
      return waits.length === 0 ? null : Math.max(...waits);
    }
    case 'frt_ms': return mean(of(w, 'agent_message').filter((e) => e.first_response === true && e.response_ms !== null).map((e) => e.response_ms!));
    case 'avg_response_ms': return mean(of(w, 'agent_message').filter((e) => e.response_ms !== null).map((e) => e.response_ms!));
    case 'art_ms': return mean(of(w, 'resolved').filter((e) => e.resolution_ms !== null).map((e) => e.resolution_ms!));
    case 'aht_talk_ms': return mean(of(w, 'contact_ended').filter((e) => e.talk_ms !== null).map((e) => e.talk_ms!));
    case 'aht_hold_ms': return mean(of(w, 'contact_ended').filter((e) => e.hold_ms !== null).map((e) => e.hold_ms!));
    case 'aht_acw_ms': return mean(of(w, 'wrapup_completed').filter((e) => e.acw_ms !== null).map((e) => e.acw_ms!));
    case 'avg_hold_ms': return mean(of(w, 'contact_ended').filter((e) => (e.hold_ms ?? 0) > 0).map((e) => e.hold_ms!));
    case 'hold_rate': return div(count(of(w, 'contact_ended'), (e) => (e.hold_ms ?? 0) > 0), answered(w).length);
    // outcome
    case 'transfer_rate': return div(distinct(of(w, 'transferred').map((e) => e.contact_id)), answered(w).length);
    case 'escalation_rate': return div(distinct(of(w, 'escalated').map((e) => e.contact_id)), answered(w).length);
    case 'reopen_rate': return div(of(w, 'reopened').length, of(w, 'resolved').length);
    case 'touches_per_ticket': return div(of(w, 'agent_message').length, of(w, 'resolved').length);
    // experience
    case 'csat_mean': return mean(csat(w).map((e) => e.score!));
    case 'ces': return mean(surveys(w, 'ces').map((e) => e.score!));
    case 'iqs': return mean(of(w, 'qa_evaluation').filter((e) => e.score !== null && (e.max_score ?? 0) > 0).map((e) => e.score! / e.max_score!));
    // workforce
    case 'occupancy': return div(handling(w), handling(w) + stateMs(w, 'available'));
    case 'utilization': return div(handling(w), handling(w) + stateMs(w, 'available') + stateMs(w, 'away'));
    // business
    case 'kb_views': return of(w, 'kb_article_viewed').length;
    case 'self_service_rate': return div(of(w, 'self_service_resolved').length, of(w, 'self_service_resolved').length + of(w, 'contact_created').length);
    case 'complaints': return count(of(w, 'contact_created'), (e) => e.topic !== null && o.complaint_topics.includes(e.topic));
    case 'churn_rate': return div(customersWith(w, 'churned'), activeCustomers(w));
    case 'retention_rate': {
      const active = activeCustomers(w);
      return active === 0 ? null : 1 - customersWith(w, 'churned') / active;
    }
    case 'repeat_purchase_rate': {
      const purchases = new Map<string, number>();
      for (const e of business(w, 'purchase')) purchases.set(e.customer_id!, (purchases.get(e.customer_id!) ?? 0) + 1);
      return div([...purchases.values()].filter((n) => n >= 2).length, purchases.size);
    }
    case 'referral_rate': return div(customersWith(w, 'referred'), activeCustomers(w));
    case 'clv': {
      const revenue = total(business(w, 'purchase'), (e) => e.amount_minor ?? 0) - total(business(w, 'return'), (e) => e.amount_minor ?? 0);
      const active = activeCustomers(w);
      const churn = div(customersWith(w, 'churned'), active);
      // revenue per active customer over the expected lifetime of 1 ÷ churn rate periods
      return churn === null || churn === 0 ? null : revenue / active / churn;
    }
    case 'cost_per_resolution': {
      if (o.hourly_cost === undefined && o.team_hourly_costs === undefined) return null;
      // each staffed interval (any state but offline) at the hourly cost of the agent's team
      const rate = (team: string) => (o.team_hourly_costs && Object.hasOwn(o.team_hourly_costs, team) ? o.team_hourly_costs[team]! : o.hourly_cost ?? 0);
      const cost = w.states.reduce((n, p) => n + (p.ms / 3_600_000) * rate(p.team), 0);
      return div(cost, of(w, 'resolved').length);
    }
    case 'resolution_consistency': {
      // per topic, the resolved contacts carrying its most frequent code
      const byTopic = new Map<string, Map<string, number>>();
      const coded = of(w, 'resolved').filter((e) => e.resolution_code !== null);
      for (const e of coded) {
        const codes = byTopic.get(e.topic ?? '') ?? new Map<string, number>();
        codes.set(e.resolution_code!, (codes.get(e.resolution_code!) ?? 0) + 1);
        byTopic.set(e.topic ?? '', codes);
      }
      const consistent = [...byTopic.values()].reduce((n, codes) => n + Math.max(...codes.values()), 0);
      return div(consistent, coded.length);
    }
    case 'engagement': return div(interactions(w).length, activeCustomers(w));
    // staffing KPIs need their window's span and 15-minute intervals: referenceSeries computes
    // them (staffingReference); over nothing they are 0 (no contacts need no agents)
    case 'agents_staffed':
    case 'agents_required':
    case 'agents_required_peak':
    case 'agents_required_scheduled':
    case 'agents_required_erlang_a':
    case 'staffing_gap':
      if (es.length === 0 && states.length === 0) return 0;
      throw new Error(`${metric} is computed per window by referenceSeries`);
    // history KPIs over `es` taken as the whole history (referenceSeries reads the real one)
    case 'backlog': return backlogDelta(es);
    case 'fcr_rate':
    case 'repeat_contact_rate': {
      const { resolved, repeats } = fcrCounts(of(w, 'resolved'), openingsIndex(es), o.fcr_window);
      return metric === 'fcr_rate' ? div(resolved - repeats, resolved) : div(repeats, resolved);
    }
  }
  throw new Error(`reference has no definition for ${metric}`);
}

const HISTORY_METRICS = new Set(['backlog', 'fcr_rate', 'repeat_contact_rate']);
const STAFFING_METRICS = new Set(['agents_staffed', 'agents_required', 'agents_required_peak', 'agents_required_scheduled', 'agents_required_erlang_a', 'staffing_gap']);
const QUARTER_MS = 15 * 60_000;

/**
 * The staffing KPIs of one window [from, to) and group, straight from docs/staffing.md:
 * `events` are all the group's events (any time: an interval without a wrap-up takes the
 * handle time of the 2 hours ending with it), `staffedMs` the agent time inside the window.
 */
function staffingReference(metrics: string[], events: ContactEvent[], from: number, to: number, staffedMs: number, o: KpiOptions): Record<string, number | null> {
  const within = (type: ContactEvent['type'], a: number, b: number) => events.filter((e) => e.type === type && e.occurred_at >= a && e.occurred_at < b);
  const abandons = within('abandoned', from, to);
  const waited = total(within('answered', from, to), (e) => e.wait_ms ?? 0) + total(abandons, (e) => e.wait_ms ?? 0);
  const patience = abandons.length === 0 ? Infinity : waited > 0 ? waited / abandons.length : null;
  const c: number[] = [];
  const scheduled: number[] = [];
  const a: number[] = [];
  for (let s = from; s < to; s += QUARTER_MS) {
    const offered = within('queued', s, s + QUARTER_MS).length;
    let wraps = within('wrapup_completed', s, s + QUARTER_MS);
    if (wraps.length === 0) wraps = within('wrapup_completed', s + QUARTER_MS - 2 * 3_600_000, s + QUARTER_MS);
    const aht = wraps.length ? total(wraps, (e) => e.handle_ms ?? 0) / wraps.length : 0;
    const input = { offered, intervalMs: QUARTER_MS, handleMs: aht, slThresholdS: o.sl_threshold_s, slTarget: o.sl_target, maxOccupancy: o.max_occupancy };
    const erlangC = agentsRequired(input);
    if (erlangC) {
      c.push(erlangC.agents);
      scheduled.push(agentsScheduled(erlangC.agents, o.shrinkage));
    }
    const erlangA = offered === 0 ? 0 : patience === null ? null : agentsRequiredErlangA({ ...input, patienceMs: patience })?.agents ?? null;
    if (erlangA !== null) a.push(erlangA);
  }
  const staffed = staffedMs / (to - from);
  const required = mean(c);
  const out: Record<string, number | null> = {};
  for (const m of metrics) {
    out[m] = m === 'agents_staffed' ? staffed
      : m === 'agents_required' ? required
      : m === 'agents_required_peak' ? (c.length ? Math.max(...c) : null)
      : m === 'agents_required_scheduled' ? mean(scheduled)
      : m === 'agents_required_erlang_a' ? mean(a)
      : required === null ? null : staffed - required;
  }
  return out;
}

/** created − resolved + reopened among these events */
function backlogDelta(es: ContactEvent[]): number {
  return count(es, (e) => e.type === 'contact_created') - count(es, (e) => e.type === 'resolved') + count(es, (e) => e.type === 'reopened');
}

/** contact_created events with a customer, by tenant, customer and topic ('' for none) */
type Openings = Map<string, ContactEvent[]>;
const customerTopic = (e: ContactEvent) => `${e.tenant_id}\u0001${e.customer_id}\u0001${e.topic ?? ''}`;
function openingsIndex(es: ContactEvent[]): Openings {
  const out: Openings = new Map();
  for (const e of es) {
    if (e.type !== 'contact_created' || e.customer_id === null) continue;
    const k = customerTopic(e);
    const list = out.get(k);
    if (list) list.push(e);
    else out.set(k, [e]);
  }
  return out;
}

/**
 * FCR of resolutions: those with a customer_id, and among them the ones whose customer opened
 * another contact on the same topic in (resolved_at, resolved_at + window].
 */
function fcrCounts(resolutions: ContactEvent[], openings: Openings, windowMs: number): { resolved: number; repeats: number } {
  let resolved = 0;
  let repeats = 0;
  for (const r of resolutions) {
    if (r.customer_id === null) continue;
    resolved++;
    const later = openings.get(customerTopic(r)) ?? [];
    if (later.some((o) => o.contact_id !== r.contact_id && o.occurred_at > r.occurred_at && o.occurred_at <= r.occurred_at + windowMs)) repeats++;
  }
  return { resolved, repeats };
}

/** The /v1/kpis answer for a query, computed from the events. Groups are those with any KPI-bearing event in range. */
export function referenceSeries(events: ContactEvent[], q: ReferenceQuery): Series[] {
  const tz = q.tz ?? 'UTC';
  const windows = zonedWindowStarts(q.from, q.to, q.granularity, tz);
  const ends = windows.map((w) => zonedWindowEnd(w, q.granularity, tz));
  const lo = windows[0] ?? q.from;
  const hi = ends.at(-1) ?? q.from;
  /** the window holding t (lo ≤ t < hi): the last start ≤ t */
  const windowIndex = (t: number) => {
    let a = 0;
    let b = windows.length - 1;
    while (a < b) {
      const m = (a + b + 1) >> 1;
      if (windows[m]! <= t) a = m;
      else b = m - 1;
    }
    return a;
  };
  const windowOf = (t: number) => windows[windowIndex(t)]!;
  const inScope = events.filter(
    (e) =>
      e.tenant_id === q.tenant &&
      e.occurred_at >= lo && e.occurred_at < hi && windows.length > 0 &&
      Object.entries(q.filters).every(([d, v]) => dimValue(e, d as Dimension) === (v ?? '')),
  );
  // agent states of any time whose interval reaches into the range: their time inside it counts
  const matches = (e: ContactEvent) => e.tenant_id === q.tenant && Object.entries(q.filters).every(([d, v]) => dimValue(e, d as Dimension) === (v ?? ''));
  const reaching = windows.length === 0 ? [] : events.filter((e) => {
    const start = staffedStart(e);
    return start !== null && start < hi && e.occurred_at > lo && matches(e);
  });
  const groups = new Map<string, ContactEvent[]>();
  const statesByGroup = new Map<string, ContactEvent[]>();
  if (q.groupBy.length === 0) {
    groups.set('[]', inScope);
    statesByGroup.set('[]', reaching);
  } else {
    for (const e of [...inScope.filter(feedsAggregates), ...reaching]) {
      const key = JSON.stringify(q.groupBy.map((d) => dimValue(e, d)));
      if (!groups.has(key)) groups.set(key, []);
    }
    for (const e of inScope) groups.get(JSON.stringify(q.groupBy.map((d) => dimValue(e, d))))?.push(e);
    for (const e of reaching) {
      const key = JSON.stringify(q.groupBy.map((d) => dimValue(e, d)));
      if (!statesByGroup.has(key)) statesByGroup.set(key, []);
      statesByGroup.get(key)!.push(e);
    }
  }
  // every KPI of a window without events, computed once (most windows of a fine grouping are empty)
  const numeric = q.metrics.filter((m) => m !== TOP_TOPICS_ID && !STAFFING_METRICS.has(m));
  const staffingMetrics = q.metrics.filter((m) => STAFFING_METRICS.has(m));
  // staffing reads a group's events before the range too (the trailing handle time)
  const allByGroup = new Map<string, ContactEvent[]>();
  if (staffingMetrics.length) {
    for (const e of events) {
      if (!matches(e)) continue;
      const k = JSON.stringify(q.groupBy.map((d) => dimValue(e, d)));
      const list = allByGroup.get(k);
      if (list) list.push(e);
      else allByGroup.set(k, [e]);
    }
  }
  const ctx = q.context ?? NO_BUSINESS_CONFIG;
  const empty = Object.fromEntries(numeric.map((m) => [m, referenceMetric(m, [], q.options, undefined, undefined, ctx)]));
  // top_topics compares with the window before the range's first: created events of the group from any time
  const topics = q.metrics.includes(TOP_TOPICS_ID);
  const createdByGroup = new Map<string, ContactEvent[]>();
  if (topics) {
    for (const e of events) {
      if (e.tenant_id !== q.tenant || e.type !== 'contact_created') continue;
      if (!Object.entries(q.filters).every(([d, v]) => dimValue(e, d as Dimension) === (v ?? ''))) continue;
      const k = JSON.stringify(q.groupBy.map((d) => dimValue(e, d)));
      const list = createdByGroup.get(k);
      if (list) list.push(e);
      else createdByGroup.set(k, [e]);
    }
  }
  const topicCounts = (es: ContactEvent[], from: number, to: number) => {
    const out = new Map<string, number>();
    for (const e of es) if (e.occurred_at >= from && e.occurred_at < to) out.set(e.topic ?? '', (out.get(e.topic ?? '') ?? 0) + 1);
    return out;
  };
  // History KPIs read past the query's range: the backlog counts from the first event on, and
  // a repeat contact may come after `to`. Openings are matched across all queues and agents.
  const history = q.metrics.filter((m) => HISTORY_METRICS.has(m));
  const tenantEvents = history.length ? events.filter((e) => e.tenant_id === q.tenant) : [];
  const openings = openingsIndex(tenantEvents);
  const deltasByGroup = new Map<string, ContactEvent[]>();
  if (history.includes('backlog')) {
    for (const e of tenantEvents) {
      if (e.type !== 'contact_created' && e.type !== 'resolved' && e.type !== 'reopened') continue;
      if (!Object.entries(q.filters).every(([d, v]) => dimValue(e, d as Dimension) === (v ?? ''))) continue;
      const k = JSON.stringify(q.groupBy.map((d) => dimValue(e, d)));
      const list = deltasByGroup.get(k);
      if (list) list.push(e);
      else deltasByGroup.set(k, [e]);
    }
    for (const list of deltasByGroup.values()) list.sort((a, b) => a.occurred_at - b.occurred_at);
  }
  const out: Series[] = [];
  for (const [key, es] of groups) {
    const values = JSON.parse(key) as string[];
    const group = Object.fromEntries(q.groupBy.map((d, i) => [d, values[i] === '' ? null : values[i]!]));
    const byWindow = new Map<number, ContactEvent[]>();
    for (const e of es) {
      const w = windowOf(e.occurred_at);
      if (!byWindow.has(w)) byWindow.set(w, []);
      byWindow.get(w)!.push(e);
    }
    // the group's backlog changes over all time, in time order
    const deltas = deltasByGroup.get(key) ?? [];
    let backlog = 0;
    let next = 0;
    // each state's events by the windows its interval meets (clipped per window below)
    const statesIn = new Map<number, ContactEvent[]>();
    for (const e of statesByGroup.get(key) ?? []) {
      const start = staffedStart(e)!;
      for (let i = windowIndex(Math.max(start, lo)); i < windows.length && windows[i]! < e.occurred_at; i++) {
        const list = statesIn.get(i);
        if (list) list.push(e);
        else statesIn.set(i, [e]);
      }
    }
    const points = windows.map((w, wi) => {
      const inWindow = byWindow.get(w);
      const p: SeriesPoint = { ts: new Date(w).toISOString() };
      const byType = inWindow && eventsByType(inWindow);
      const pieces = statePieces(statesIn.get(wi) ?? [], w, ends[wi]!);
      for (const m of numeric) p[m] = inWindow || pieces.length > 0 ? referenceMetric(m, inWindow ?? [], q.options, byType ?? new Map(), pieces, ctx) : empty[m]!;
      if (staffingMetrics.length) Object.assign(p, staffingReference(staffingMetrics, allByGroup.get(key) ?? [], w, ends[wi]!, pieces.reduce((n, x) => n + x.ms, 0), q.options));
      if (topics) {
        const created = createdByGroup.get(key) ?? [];
        const before = zonedWindowStart(w - 1, q.granularity, tz);
        p[TOP_TOPICS_ID] = rankTopics(topicCounts(created, w, ends[wi]!), topicCounts(created, before, w), q.topN ?? 5);
      }
      if (history.includes('backlog')) {
        for (; next < deltas.length && deltas[next]!.occurred_at < ends[wi]!; next++) backlog += deltas[next]!.type === 'resolved' ? -1 : 1;
        p.backlog = backlog;
      }
      if (history.includes('fcr_rate') || history.includes('repeat_contact_rate')) {
        const { resolved, repeats } = fcrCounts(byType?.get('resolved') ?? [], openings, q.options.fcr_window);
        if (history.includes('fcr_rate')) p.fcr_rate = div(resolved - repeats, resolved);
        if (history.includes('repeat_contact_rate')) p.repeat_contact_rate = div(repeats, resolved);
      }
      return p;
    });
    out.push({ group, points });
  }
  return out;
}
