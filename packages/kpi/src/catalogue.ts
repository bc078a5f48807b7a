import { durationBucketUpperMs } from './aggregates';
import type { KpiOptions } from './options';
import { atMost, below, distinctKeys, fcrRepeats, fcrResolved, percentile, keysGroupMax, keysTotal, keysWeighted, quantityKey, runningTotal, staffing, sum, windowLength, type Quantity, type StaffingMeasure } from './quantities';
import { STAFFING_GRAINS } from './staffing';
import type { Granularity } from './windows';

export type KpiUnit = 'count' | 'ratio' | 'ms' | 'nps' | 'score' | 'minor_currency' | 'currency';

export interface KpiDefinition {
  id: string;
  name: string;
  unit: KpiUnit;
  /** the definition in words, for the OpenAPI document and docs/kpis.md (npm run docs) */
  definition: string;
  inputs(o: KpiOptions): Record<string, Quantity>;
  /** null when a denominator is zero: "no data" is not 0 % */
  compute(v: Record<string, number>, o: KpiOptions): number | null;
  /** reads events outside its window (a running total, a repeat contact days later) */
  history?: true;
  /** computed per 15-minute staffing interval (docs/staffing.md): served at STAFFING_GRAINS, from 15m up */
  staffing?: true;
}

const ratio = (num: number, den: number): number | null => (den > 0 ? num / den : null);
/** A mean Σ ÷ n: inputs `total` and `n`. */
const mean = (id: string, name: string, definition: string, total: Quantity, n: Quantity, unit: KpiUnit = 'ms'): KpiDefinition => ({
  id, name, unit, definition,
  inputs: () => ({ total, n }),
  compute: (v) => ratio(v.total!, v.n!),
});
/** A plain count. */
const count = (id: string, name: string, definition: string, q: Quantity): KpiDefinition => ({
  id, name, unit: 'count', definition,
  inputs: () => ({ n: q }),
  compute: (v) => v.n!,
});

// Waits are bucketed by whole seconds: "answered within T" = ceil(wait/1000) ≤ T ⇔ wait ≤ T·1000 ms;
// "short abandon" = wait < S·1000 ms ⇔ floor(wait/1000) < S.
const answeredWithin = (o: KpiOptions) => atMost('answered_wait_ceil_s', o.sl_threshold_s);
const abandonedWithin = (o: KpiOptions) => atMost('abandoned_wait_ceil_s', o.sl_threshold_s);
const shortAbandoned = (o: KpiOptions) => below('abandoned_wait_floor_s', o.short_abandon_s);

/** Service level by the query's formula, from answered/abandoned counts, their wait maps read at T and S, and offered. */
function serviceLevel(v: Record<string, number>, o: KpiOptions): number | null {
  switch (o.sl_formula) {
    case 'offered':
      return ratio(v.within!, v.queued!);
    case 'include_abandoned_within':
      return ratio(v.within! + v.abandonedWithin!, v.queued!);
    default: {
      // Abandons that neither met the threshold nor were short: with S ≤ T every short
      // abandon is also within T, otherwise every abandon within T is also short.
      const excluded = o.short_abandon_s <= o.sl_threshold_s ? v.abandonedWithin! : v.short!;
      return ratio(v.within!, v.answered! + v.abandoned! - excluded);
    }
  }
}

/** The staffed time of a window by state, and the mean agents it makes. */
const STAFFED = { busy: sum('state_busy_ms'), acw: sum('state_acw_ms'), available: sum('state_available_ms'), away: sum('state_away_ms') };
const staffedAgents = (v: Record<string, number>) => (v.busy! + v.acw! + v.available! + v.away!) / v.window!;
/** A staffing requirement: the reader combines its intervals; NaN (no handle time known) is null. */
const requirement = (id: string, name: string, measure: StaffingMeasure, definition: string): KpiDefinition => ({
  id, name, unit: 'count', definition, history: true, staffing: true,
  inputs: (o) => ({ agents: staffing(measure, o) }),
  compute: (v) => (Number.isNaN(v.agents!) ? null : v.agents!),
});

export const KPIS: KpiDefinition[] = [
  {
    id: 'offered', name: 'Contacts offered', unit: 'count', definition: 'count(queued)',
    inputs: () => ({ queued: sum('queued') }),
    compute: (v) => v.queued!,
  },
  {
    id: 'answered', name: 'Contacts answered', unit: 'count', definition: 'count(answered)',
    inputs: () => ({ answered: sum('answered') }),
    compute: (v) => v.answered!,
  },
  {
    id: 'abandoned', name: 'Abandoned contacts', unit: 'count',
    definition: 'count(abandoned with wait_ms ≥ short_abandon_s)',
    inputs: (o) => ({ all: sum('abandoned_all'), short: shortAbandoned(o) }),
    compute: (v) => v.all! - v.short!,
  },
  {
    id: 'short_abandoned', name: 'Short abandons', unit: 'count',
    definition: 'count(abandoned with wait_ms < short_abandon_s)',
    inputs: (o) => ({ short: shortAbandoned(o) }),
    compute: (v) => v.short!,
  },
  {
    id: 'abandonment_rate', name: 'Abandonment rate', unit: 'ratio',
    definition: 'abandoned ÷ (offered − short_abandoned)',
    inputs: (o) => ({ all: sum('abandoned_all'), short: shortAbandoned(o), queued: sum('queued') }),
    compute: (v) => ratio(v.all! - v.short!, v.queued! - v.short!),
  },
  {
    id: 'asa_ms', name: 'Average speed of answer', unit: 'ms',
    definition: 'Σ wait_ms of answered ÷ answered',
    inputs: () => ({ wait: sum('answered_wait_ms'), answered: sum('answered') }),
    compute: (v) => ratio(v.wait!, v.answered!),
  },
  {
    id: 'service_level', name: 'Service level', unit: 'ratio',
    definition:
      'exclude_short_abandons (default): answered with wait ≤ T ÷ (answered + abandoned with wait > T, short abandons excluded); ' +
      'offered: answered with wait ≤ T ÷ offered; include_abandoned_within: (answered + abandoned with wait ≤ T) ÷ offered',
    inputs: (o) => ({
      within: answeredWithin(o),
      answered: sum('answered'),
      abandoned: sum('abandoned_all'),
      abandonedWithin: abandonedWithin(o),
      short: shortAbandoned(o),
      queued: sum('queued'),
    }),
    compute: (v, o) => serviceLevel(v, o),
  },
  {
    id: 'aht_ms', name: 'Average handle time', unit: 'ms',
    definition: 'Σ handle_ms ÷ count(wrapup_completed)',
    inputs: () => ({ handle: sum('handle_ms'), wrapups: sum('wrapups') }),
    compute: (v) => ratio(v.handle!, v.wrapups!),
  },
  {
    id: 'csat', name: 'Customer satisfaction', unit: 'ratio',
    definition: 'share of CSAT responses in the top two boxes (4–5 of 5; other scales: score ≥ ¾ of the way from scale_min to scale_max)',
    inputs: () => ({ sat: sum('csat_satisfied'), n: sum('csat_responses') }),
    compute: (v) => ratio(v.sat!, v.n!),
  },
  {
    id: 'nps', name: 'Net promoter score', unit: 'nps',
    definition: '%promoters (9–10) − %detractors (0–6), −100…100; other scales mapped linearly onto 0–10',
    inputs: () => ({ p: sum('nps_promoters'), d: sum('nps_detractors'), n: sum('nps_responses') }),
    compute: (v) => (v.n! > 0 ? (100 * (v.p! - v.d!)) / v.n! : null),
  },
  // ---- volume and flow ----
  count('blocked', 'Blocked contacts', 'count(blocked)', sum('blocked')),
  {
    id: 'blockage_rate', name: 'Blockage rate', unit: 'ratio', definition: 'blocked ÷ (offered + blocked)',
    inputs: () => ({ blocked: sum('blocked'), queued: sum('queued') }),
    compute: (v) => ratio(v.blocked!, v.queued! + v.blocked!),
  },
  count('created', 'Contacts created', 'count(contact_created)', sum('created')),
  count('resolved', 'Resolved contacts', 'count(resolved)', sum('resolved')),
  {
    id: 'resolution_rate', name: 'Resolution rate', unit: 'ratio', definition: 'resolved ÷ created, both counted in the window',
    inputs: () => ({ resolved: sum('resolved'), created: sum('created') }),
    compute: (v) => ratio(v.resolved!, v.created!),
  },
  // ---- speed ----
  ...(['frt', 'art'] as const).flatMap((kpi) => ([50, 90, 95] as const).map((p): KpiDefinition => ({
    id: `${kpi}_p${p}_ms`, name: `${kpi === 'frt' ? 'First response' : 'Resolution'} time, p${p}`, unit: 'ms',
    definition: `nearest-rank p${p} of ${kpi === 'frt' ? 'response_ms of first-response agent messages' : 'resolution_ms of resolved'}, `
      + 'read back as the upper bound of its log-scale bucket: at most 2 % above the true value',
    inputs: () => kpi === 'frt'
      ? { p: percentile('first_response_log', p), n: sum('first_response_n') }
      : { p: percentile('resolution_log', p), n: sum('resolution_n') },
    compute: (v) => (v.n! > 0 ? durationBucketUpperMs(v.p!) : null),
  }))),
  ...([50, 90, 95] as const).map((p): KpiDefinition => ({
    id: `asa_p${p}_ms`, name: `Speed of answer, p${p}`, unit: 'ms',
    definition: `nearest-rank p${p} of the wait of answered contacts, rounded up to the whole second (in ms); 3 601 000 means more than an hour`,
    inputs: () => ({ p: percentile('answered_wait_ceil_s', p), answered: sum('answered') }),
    compute: (v) => (v.answered! > 0 ? v.p! * 1000 : null),
  })),
  {
    id: 'longest_wait_ms', name: 'Longest wait', unit: 'ms', definition: 'max wait_ms of answered or abandoned',
    inputs: () => ({ max: sum('longest_wait_ms'), answered: sum('answered'), abandoned: sum('abandoned_all') }),
    compute: (v) => (v.answered! + v.abandoned! > 0 ? v.max! : null),
  },
  mean('frt_ms', 'First response time', 'mean response_ms of agent_message with first_response', sum('first_response_ms'), sum('first_response_n')),
  mean('avg_response_ms', 'Average response time', 'mean response_ms of agent_message', sum('response_ms'), sum('response_n')),
  mean('art_ms', 'Average resolution time', 'mean resolution_ms of resolved', sum('resolution_ms'), sum('resolution_n')),
  mean('aht_talk_ms', 'Average talk time', 'mean talk_ms of contact_ended (the talk part of AHT)', sum('talk_ms'), sum('talk_n')),
  mean('aht_hold_ms', 'Average hold time per handled contact', 'mean hold_ms of contact_ended, holds of 0 included (the hold part of AHT)', sum('hold_ms'), sum('hold_n')),
  mean('aht_acw_ms', 'Average after-contact work', 'mean acw_ms of wrapup_completed (the ACW part of AHT)', sum('acw_ms'), sum('acw_n')),
  mean('avg_hold_ms', 'Average hold time of held contacts', 'Σ hold_ms ÷ contact_ended with hold_ms > 0', sum('hold_ms'), sum('held')),
  {
    id: 'hold_rate', name: 'Hold rate', unit: 'ratio', definition: 'contact_ended with hold_ms > 0 ÷ answered',
    inputs: () => ({ held: sum('held'), answered: sum('answered') }),
    compute: (v) => ratio(v.held!, v.answered!),
  },
  // ---- business hours and SLA policies (docs/business-hours.md, docs/sla.md) ----
  // The same populations as frt_ms, avg_response_ms and art_ms, each duration measured as
  // business_ms(occurred_at − duration, occurred_at) in the calendar of the event's queue.
  mean('frt_bh_ms', 'First response time, business hours', 'mean business_ms of the response of agent_message with first_response', sum('first_response_bh_ms'), sum('first_response_n')),
  mean('avg_response_bh_ms', 'Average response time, business hours', 'mean business_ms of the response of agent_message', sum('response_bh_ms'), sum('response_n')),
  mean('art_bh_ms', 'Average resolution time, business hours', 'mean business_ms of resolution_ms of resolved', sum('resolution_bh_ms'), sum('resolution_n')),
  ...(['frt', 'art'] as const).flatMap((kpi) => ([50, 90, 95] as const).map((p): KpiDefinition => ({
    id: `${kpi}_bh_p${p}_ms`, name: `${kpi === 'frt' ? 'First response' : 'Resolution'} time in business hours, p${p}`, unit: 'ms',
    definition: `nearest-rank p${p} of the business_ms of ${kpi === 'frt' ? 'the response of first-response agent messages' : 'resolution_ms of resolved'}, `
      + 'read back as the upper bound of its log-scale bucket: at most 2 % above the true value',
    inputs: () => kpi === 'frt'
      ? { p: percentile('first_response_bh_log', p), n: sum('first_response_n') }
      : { p: percentile('resolution_bh_log', p), n: sum('resolution_n') },
    compute: (v) => (v.n! > 0 ? durationBucketUpperMs(v.p!) : null),
  }))),
  count('in_hours_offered', 'Contacts offered in hours', 'count(queued at an instant the queue\'s calendar is open)', sum('in_hours_queued')),
  {
    id: 'service_level_in_hours', name: 'Service level in hours', unit: 'ratio',
    definition: 'service_level (same formula and options) over the contacts queued while their queue was open: answered and abandoned whose occurred_at − wait_ms is open, and in_hours_offered',
    inputs: (o) => ({
      within: atMost('in_hours_answered_wait_ceil_s', o.sl_threshold_s),
      answered: sum('in_hours_answered'),
      abandoned: sum('in_hours_abandoned_all'),
      abandonedWithin: atMost('in_hours_abandoned_wait_ceil_s', o.sl_threshold_s),
      short: below('in_hours_abandoned_wait_floor_s', o.short_abandon_s),
      queued: sum('in_hours_queued'),
    }),
    compute: (v, o) => serviceLevel(v, o),
  },
  {
    id: 'sla_first_reply_rate', name: 'SLA first reply achieved', unit: 'ratio',
    definition: 'first replies within their SLA policy\'s first_reply target ÷ first replies measured against a policy',
    inputs: () => ({ met: sum('sla_first_reply_met'), n: sum('sla_first_reply_n') }),
    compute: (v) => ratio(v.met!, v.n!),
  },
  {
    id: 'sla_next_reply_rate', name: 'SLA next reply achieved', unit: 'ratio',
    definition: 'later replies within their SLA policy\'s next_reply target ÷ later replies measured against a policy',
    inputs: () => ({ met: sum('sla_next_reply_met'), n: sum('sla_next_reply_n') }),
    compute: (v) => ratio(v.met!, v.n!),
  },
  {
    id: 'sla_resolution_rate', name: 'SLA resolution achieved', unit: 'ratio',
    definition: 'resolutions within their SLA policy\'s resolution target ÷ resolutions measured against a policy',
    inputs: () => ({ met: sum('sla_resolution_met'), n: sum('sla_resolution_n') }),
    compute: (v) => ratio(v.met!, v.n!),
  },
  {
    id: 'sla_breaches', name: 'SLA breaches', unit: 'count',
    definition: 'first replies, later replies and resolutions that missed their SLA policy\'s target',
    inputs: () => ({
      fn: sum('sla_first_reply_n'), fm: sum('sla_first_reply_met'),
      nn: sum('sla_next_reply_n'), nm: sum('sla_next_reply_met'),
      rn: sum('sla_resolution_n'), rm: sum('sla_resolution_met'),
    }),
    compute: (v) => v.fn! - v.fm! + v.nn! - v.nm! + v.rn! - v.rm!,
  },
  // ---- outcome ----
  {
    id: 'transfer_rate', name: 'Transfer rate', unit: 'ratio',
    definition: 'distinct contacts with ≥ 1 transferred event in the window ÷ answered',
    inputs: () => ({ contacts: distinctKeys('transferred_contacts'), answered: sum('answered') }),
    compute: (v) => ratio(v.contacts!, v.answered!),
  },
  {
    id: 'escalation_rate', name: 'Escalation rate', unit: 'ratio',
    definition: 'distinct contacts with ≥ 1 escalated event in the window ÷ answered',
    inputs: () => ({ contacts: distinctKeys('escalated_contacts'), answered: sum('answered') }),
    compute: (v) => ratio(v.contacts!, v.answered!),
  },
  {
    id: 'reopen_rate', name: 'Reopen rate', unit: 'ratio', definition: 'reopened ÷ resolved',
    inputs: () => ({ reopened: sum('reopened'), resolved: sum('resolved') }),
    compute: (v) => ratio(v.reopened!, v.resolved!),
  },
  {
    id: 'touches_per_ticket', name: 'Agent touches per ticket', unit: 'ratio', definition: 'count(agent_message) ÷ resolved',
    inputs: () => ({ messages: sum('agent_messages'), resolved: sum('resolved') }),
    compute: (v) => ratio(v.messages!, v.resolved!),
  },
  // ---- experience ----
  mean('csat_mean', 'Mean CSAT score', 'mean score of CSAT responses (scale as answered)', sum('csat_score'), sum('csat_responses'), 'score'),
  mean('ces', 'Customer effort score', 'mean score of CES responses (scale as answered)', sum('ces_score'), sum('ces_responses'), 'score'),
  mean('iqs', 'Internal quality score', 'mean(score ÷ max_score) of qa_evaluation, 0…1', sum('qa_score_ratio'), sum('qa_evaluations'), 'ratio'),
  // ---- workforce ----
  {
    id: 'occupancy', name: 'Occupancy', unit: 'ratio',
    definition: 'handle time ÷ (handle time + available time); handle time = time in busy and after_call_work, from agent_state_changed (previous_state_ms, split across the windows the state spanned)',
    inputs: () => ({ busy: sum('state_busy_ms'), acw: sum('state_acw_ms'), available: sum('state_available_ms') }),
    compute: (v) => ratio(v.busy! + v.acw!, v.busy! + v.acw! + v.available!),
  },
  {
    id: 'utilization', name: 'Utilization', unit: 'ratio',
    definition: 'handle time ÷ staffed time (every state but offline), from agent_state_changed (previous_state_ms, split across the windows the state spanned)',
    inputs: () => ({ busy: sum('state_busy_ms'), acw: sum('state_acw_ms'), available: sum('state_available_ms'), away: sum('state_away_ms') }),
    compute: (v) => ratio(v.busy! + v.acw!, v.busy! + v.acw! + v.available! + v.away!),
  },
  // ---- business ----
  count('kb_views', 'Knowledge-base views', 'count(kb_article_viewed)', sum('kb_views')),
  {
    id: 'self_service_rate', name: 'Self-service rate', unit: 'ratio', definition: 'self_service_resolved ÷ (self_service_resolved + created)',
    inputs: () => ({ self: sum('self_service'), created: sum('created') }),
    compute: (v) => ratio(v.self!, v.self! + v.created!),
  },
  {
    id: 'complaints', name: 'Complaints', unit: 'count', definition: 'count(contact_created with topic in complaint_topics)',
    inputs: (o) => ({ n: keysTotal('created_by_topic', o.complaint_topics) }),
    compute: (v) => v.n!,
  },
  {
    id: 'churn_rate', name: 'Churn rate', unit: 'ratio',
    definition: 'distinct customers with a churned business event ÷ distinct active customers, both in the window',
    inputs: () => ({ churned: distinctKeys('customers_churned'), active: distinctKeys('customers_active') }),
    compute: (v) => ratio(v.churned!, v.active!),
  },
  {
    id: 'retention_rate', name: 'Retention rate', unit: 'ratio',
    definition: '1 − churn_rate: (active customers − churned customers) ÷ active customers',
    inputs: () => ({ churned: distinctKeys('customers_churned'), active: distinctKeys('customers_active') }),
    compute: (v) => ratio(v.active! - v.churned!, v.active!),
  },
  {
    id: 'repeat_purchase_rate', name: 'Repeat purchase rate', unit: 'ratio',
    definition: 'customers with ≥ 2 purchases ÷ customers with ≥ 1 purchase, in the window',
    inputs: () => ({ repeat: distinctKeys('customer_purchases', 2), buyers: distinctKeys('customer_purchases', 1) }),
    compute: (v) => ratio(v.repeat!, v.buyers!),
  },
  {
    id: 'referral_rate', name: 'Referral rate', unit: 'ratio',
    definition: 'distinct customers with a referred business event ÷ distinct active customers',
    inputs: () => ({ referred: distinctKeys('customers_referred'), active: distinctKeys('customers_active') }),
    compute: (v) => ratio(v.referred!, v.active!),
  },
  {
    id: 'clv', name: 'Customer lifetime value', unit: 'minor_currency',
    definition: 'revenue per active customer ÷ churn rate = (Σ purchase amount_minor − Σ return amount_minor) ÷ churned customers',
    inputs: () => ({ revenue: sum('net_revenue_minor'), churned: distinctKeys('customers_churned') }),
    compute: (v) => ratio(v.revenue!, v.churned!),
  },
  {
    id: 'engagement', name: 'Customer engagement', unit: 'ratio',
    definition: 'interactions (contact_created, self_service_resolved, kb_article_viewed, customer_business_event) of identified customers ÷ distinct active customers',
    inputs: () => ({ interactions: keysTotal('customers_active'), active: distinctKeys('customers_active') }),
    compute: (v) => ratio(v.interactions!, v.active!),
  },
  {
    id: 'cost_per_resolution', name: 'Cost per resolution', unit: 'currency',
    definition: 'Σ staffed agent hours in the window × the hourly cost of their team (team_hourly_costs, else hourly_cost) ÷ resolved; null while no cost is configured',
    inputs: (o) => ({
      cost: keysWeighted('staffed_ms_by_team', o.team_hourly_costs ?? {}, o.hourly_cost ?? 0),
      resolved: sum('resolved'),
    }),
    compute: (v, o) => (o.hourly_cost === undefined && o.team_hourly_costs === undefined ? null : ratio(v.cost! / 3_600_000, v.resolved!)),
  },
  // ---- staffing (docs/staffing.md) ----
  {
    id: 'agents_staffed', name: 'Agents staffed', unit: 'count', history: true, staffing: true,
    definition: 'mean agents logged in (any state but offline) over the window: staffed agent time in the window ÷ the window length',
    inputs: () => ({ ...STAFFED, window: windowLength() }),
    compute: (v) => staffedAgents(v),
  },
  requirement('agents_required', 'Agents required', 'required',
    'Erlang C agents per 15-minute interval for its offered contacts and handle time, the service-level target (sl_target within sl_threshold_s) and max_occupancy; the mean over the window\'s intervals (required agent-hours ÷ hours)'),
  requirement('agents_required_peak', 'Agents required at peak', 'required_peak', 'the largest agents_required of the window\'s 15-minute intervals'),
  requirement('agents_required_scheduled', 'Agents to schedule', 'required_scheduled',
    'per 15-minute interval agents_required ÷ (1 − shrinkage), rounded up to whole agents; the mean over the window\'s intervals'),
  requirement('agents_required_erlang_a', 'Agents required (Erlang A)', 'required_erlang_a',
    'as agents_required with Erlang A: customers hang up after an exponential patience of mean Σ wait of answered and abandoned ÷ abandoned, over the window'),
  {
    id: 'staffing_gap', name: 'Staffing gap', unit: 'count', history: true, staffing: true,
    definition: 'agents_staffed − agents_required: negative means short of agents',
    inputs: (o) => ({ ...STAFFED, window: windowLength(), required: staffing('required', o) }),
    compute: (v) => (Number.isNaN(v.required!) ? null : staffedAgents(v) - v.required!),
  },
  {
    id: 'backlog', name: 'Backlog', unit: 'count', history: true,
    definition: 'created − resolved + reopened, cumulative over all time up to the end of the window (open cases at window end)',
    inputs: () => ({ created: runningTotal('created'), resolved: runningTotal('resolved'), reopened: runningTotal('reopened') }),
    compute: (v) => v.created! - v.resolved! + v.reopened!,
  },
  {
    id: 'fcr_rate', name: 'First-contact resolution', unit: 'ratio', history: true,
    definition:
      'resolved events (with a customer_id) in the window whose customer opens no other contact (contact_created) on the same topic ' +
      'within fcr_window after the resolution ÷ those resolved events; provisional until fcr_window has passed after the window',
    inputs: (o) => ({ resolved: fcrResolved(), repeats: fcrRepeats(o.fcr_window) }),
    compute: (v) => ratio(v.resolved! - v.repeats!, v.resolved!),
  },
  {
    id: 'repeat_contact_rate', name: 'Repeat contact rate', unit: 'ratio', history: true,
    definition: '1 − fcr_rate over the same population: resolved events followed by a repeat contact on the same topic within fcr_window ÷ resolved events',
    inputs: (o) => ({ resolved: fcrResolved(), repeats: fcrRepeats(o.fcr_window) }),
    compute: (v) => ratio(v.repeats!, v.resolved!),
  },
  {
    id: 'resolution_consistency', name: 'Resolution consistency', unit: 'ratio',
    definition: "share of resolved contacts (with a resolution_code) whose code is their topic's most frequent one in the window; over several topics, Σ per topic ÷ all",
    inputs: () => ({ top: keysGroupMax('resolved_by_topic_code'), all: keysTotal('resolved_by_topic_code') }),
    compute: (v) => ratio(v.top!, v.all!),
  },
];

export const KPI_BY_ID = new Map(KPIS.map((k) => [k.id, k]));
export const KPI_IDS = KPIS.map((k) => k.id);

/** Every distinct quantity a set of KPIs needs, keyed by quantityKey. */
export function requiredQuantities(kpis: KpiDefinition[], o: KpiOptions): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  for (const k of kpis) for (const q of Object.values(k.inputs(o))) out.set(quantityKey(q), q);
  return out;
}

/** A KPI's formula bound to options, with its inputs' quantity keys worked out once (for reading many points). */
export function compileKpi(k: KpiDefinition, o: KpiOptions): (values: (key: string) => number) => number | null {
  const inputs = Object.entries(k.inputs(o)).map(([name, q]) => [name, quantityKey(q)] as const);
  return (values) => {
    const v: Record<string, number> = {};
    for (const [name, key] of inputs) v[name] = values(key);
    return k.compute(v, o);
  };
}

/** Computes a KPI from a lookup of quantity values keyed by quantityKey. */
export function computeKpi(k: KpiDefinition, values: (key: string) => number, o: KpiOptions): number | null {
  return compileKpi(k, o)(values);
}

/** A 400 reason when staffing KPIs are asked for at a grain finer than their 15-minute intervals, else null. */
export function staffingGrainProblem(kpis: readonly KpiDefinition[], g: Granularity): string | null {
  const finer = kpis.filter((k) => k.staffing && !STAFFING_GRAINS.includes(g)).map((k) => k.id);
  return finer.length ? `${g} is finer than the 15-minute staffing interval of ${finer.join(', ')}; use ${STAFFING_GRAINS.join(', ')}` : null;
}

/** The KPI ids served at a grain: all but the staffing ones below 15m. */
export function kpiIdsAt(g: Granularity): string[] {
  return KPIS.filter((k) => !k.staffing || STAFFING_GRAINS.includes(g)).map((k) => k.id);
}
