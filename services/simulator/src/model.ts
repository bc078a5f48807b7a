import type { Calendar } from '@switchboard/kpi';
// What the simulated contact center looks like: queues, demand over the day, handling
// distributions and staffing. Every knob has a default so `{ seed, start, durationMs }`
// alone yields a plausible mid-size center; the defaults aim at a center running near
// an 80/20 service level with the usual abandonment, hold, transfer and CSAT shares.

import type { BusinessKind, Channel } from '@switchboard/events';

/** Lognormal duration in ms: `median` = e^mu, `sigma` of the underlying normal. */
export interface Dist {
  median: number;
  sigma: number;
}

export interface TopicSpec {
  id: string;
  weight: number;
  /** the disposition agents usually record for this topic when they resolve it */
  code: string;
  /** a customer_business_event that sometimes follows a resolved contact on this topic */
  outcome?: { kind: BusinessKind; prob: number; amountMinor?: Dist };
}

/**
 * How an agent works a contact: `call` = talk with optional hold; `chat` = a message
 * exchange; `email` = one written reply after some work time.
 */
export type HandlingMode = 'call' | 'chat' | 'email';

export interface QueueSpec {
  id: string;
  channel: Channel;
  mode: HandlingMode;
  /** share of the tenant's arrivals (normalized over all queues) */
  weight: number;
  topics: readonly TopicSpec[];
  teams: readonly string[];
  /** roster size; by default the peak Erlang C requirement */
  agents?: number;
  /** always at least this many agents on shift, so night contacts are eventually served */
  minAgents: number;
  /** multiplies the Erlang requirement: < 1 understaffs the queue (at high volume, < 1 soon means overload) */
  staffingFactor: number;
  /**
   * The service level the Erlang C plan aims at. Simulated queues beat Erlang C (patience
   * trims the queue, handle times vary less than exponential), so the call/chat defaults
   * of 0.6 yield about 85–90% at 20 s for a mid-size queue.
   */
  slThresholdMs: number;
  slTarget: number;
  maxOccupancy: number;
  /**
   * Standard deviation of the relative error of the demand forecast the plan uses, drawn
   * per staffing interval. Large pooled queues meet their target almost perfectly when
   * staffed to plan; real ones swing because forecasts miss, and so do these.
   */
  forecastError: number;
  /** share of agent time the plan reserves for breaks */
  plannedShrinkage: number;
  /** after each contact, the chance an agent takes a break ('away') */
  breakProb: number;
  breakDuration: Dist;
  /** the queue is full (new contacts blocked) at max(5, on-shift agents × this) waiting */
  capacityPerAgent: number;
  /** refused before queueing regardless of load (trunk overflow, out-of-hours IVR branch) */
  blockProb: number;
  /** arrivals that end in self-service (IVR, knowledge base) without a contact_created */
  selfServiceShare: number;
  /** contact_created → queued (IVR menu, pre-chat form); null = immediate */
  ivr: Dist | null;
  /** match → answered (ringing, accept); the customer can hang up meanwhile */
  ringMs: readonly [number, number];
  /** customer patience in queue; null = never abandons (email) */
  patience: { shortShare: number; median: number; sigma: number } | null;
  /** call: talk time; email: work time on the reply */
  talk: Dist;
  holdProb: number;
  hold: Dist;
  acw: Dist;
  /** chat: agent messages per conversation and the turn times between them */
  messages: readonly [number, number];
  firstResponse: Dist;
  customerTurn: Dist;
  agentTurn: Dist;
  transferProb: number;
  escalateProb: number;
  resolveProb: number;
  reopenProb: number;
  reopenDelay: Dist;
  surveyProb: number;
  /** of the surveys, the share that is NPS (the rest CSAT) */
  npsShare: number;
  surveyDelay: Dist;
  qaProb: number;
  /** the wait at which satisfaction has taken ~63% of its wait penalty */
  tolerableWaitMs: number;
}

export type QueueInput = Partial<QueueSpec> & { id: string };

/** A fraction of a queue's agents goes offline between two instants (an incident, a meeting). */
export interface OfflineWindow {
  queueId: string;
  /** 0…1 of the agents that would be on shift */
  fraction: number;
  from: number;
  to: number;
}

export interface GeneratorOptions {
  seed: number | string;
  tenantId?: string;
  /** epoch ms of the simulated start */
  start: number;
  /** simulated span; Infinity for an unbounded stream */
  durationMs: number;
  /** goes into contact and event ids; defaults to the seed. Distinct runs need distinct ids. */
  runId?: string;
  /** explicit queues (missing fields from the channel's defaults) … */
  queues?: readonly QueueInput[];
  /** … or this many queues built from the default templates (billing, support, sales, chat, email, billing-2, …) */
  queueCount?: number;
  /** tenant-wide arrivals per hour, averaged over a day of the intraday curve */
  arrivalsPerHour?: number;
  /** 24 relative hourly rates in local time (linearly interpolated); normalized to mean 1 */
  intraday?: readonly number[];
  /** 7 day factors, Sunday first; default all 1 */
  weekly?: readonly number[];
  /** local time of the intraday curve and of the staffing intervals */
  utcOffsetMinutes?: number;
  /** 'erlang': agents log in and out to follow demand; 'fixed': the whole roster stays on */
  staffing?: 'erlang' | 'fixed';
  /** global multiplier of the staffing requirement */
  staffingLevel?: number;
  /** overrides every queue's roster size */
  agentsPerQueue?: number;
  staffingIntervalMs?: number;
  /** size of the customer id space */
  customers?: number;
  /** share of arrivals that are a customer coming back about an earlier unresolved issue */
  repeatShare?: number;
  currency?: string;
  offline?: readonly OfflineWindow[];
  /**
   * Start as if the center had been running: agents mid-call at `start`, and the events
   * of those in-flight contacts from before `start` are not emitted (their contacts are
   * partial). Used by live mode so output starts near steady state instead of ramping.
   */
  warmStart?: boolean;
  /** after `durationMs`, stop arrivals but let in-flight contacts finish */
  drain?: boolean;
  /**
   * The business calendar of every queue (docs/business-hours.md): a call, chat or video contact
   * arriving while it is closed is blocked (the after-hours message), as centers do; tickets
   * (email, messaging, …) are taken and answered as usual, so their business time runs short of
   * their calendar time. None: open 24/7.
   */
  calendar?: Calendar;
  /**
   * Tickets (every channel but voice) carry a priority: low 20 %, normal 55 %, high 20 %,
   * urgent 5 %, taken from the contact's number so no other draw of the run shifts.
   */
  priorities?: boolean;
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const SECOND = 1_000;

/** A weekday in a typical B2C center: quiet night, morning peak around 10, a second after lunch. */
export const DEFAULT_INTRADAY: readonly number[] = [
  0.15, 0.1, 0.08, 0.07, 0.08, 0.15, 0.35, 0.75, 1.35, 1.85, 2.0, 1.85,
  1.45, 1.55, 1.8, 1.75, 1.5, 1.15, 0.8, 0.6, 0.45, 0.35, 0.25, 0.2,
];

const CHANNEL_DEFAULTS: Record<HandlingMode, Omit<QueueSpec, 'id' | 'channel' | 'mode' | 'weight' | 'topics' | 'teams'>> = {
  call: {
    minAgents: 1, staffingFactor: 1, slThresholdMs: 20 * SECOND, slTarget: 0.6, maxOccupancy: 0.97, forecastError: 0.05,
    // breaks run a little over plan, as they do: the main source of service-level dips
    plannedShrinkage: 0.05, breakProb: 0.05, breakDuration: { median: 8 * MINUTE, sigma: 0.5 },
    capacityPerAgent: 1.5, blockProb: 0.004, selfServiceShare: 0.08,
    ivr: { median: 18 * SECOND, sigma: 0.5 }, ringMs: [1_000, 4_000],
    patience: { shortShare: 0.05, median: 75 * SECOND, sigma: 0.8 },
    talk: { median: 260 * SECOND, sigma: 0.6 }, holdProb: 0.2, hold: { median: 45 * SECOND, sigma: 0.7 },
    acw: { median: 35 * SECOND, sigma: 0.6 },
    messages: [1, 1], firstResponse: { median: 0, sigma: 0 }, customerTurn: { median: 0, sigma: 0 }, agentTurn: { median: 0, sigma: 0 },
    transferProb: 0.06, escalateProb: 0.02, resolveProb: 0.72, reopenProb: 0, reopenDelay: { median: 3 * HOUR, sigma: 0.8 },
    surveyProb: 0.22, npsShare: 0.35, surveyDelay: { median: 40 * SECOND, sigma: 0.5 }, qaProb: 0.02,
    tolerableWaitMs: 90 * SECOND,
  },
  chat: {
    minAgents: 1, staffingFactor: 1, slThresholdMs: 60 * SECOND, slTarget: 0.6, maxOccupancy: 0.97, forecastError: 0.05,
    // breaks run a little over plan, as they do: the main source of service-level dips
    plannedShrinkage: 0.05, breakProb: 0.05, breakDuration: { median: 8 * MINUTE, sigma: 0.5 },
    capacityPerAgent: 2, blockProb: 0.002, selfServiceShare: 0.15,
    ivr: { median: 8 * SECOND, sigma: 0.6 }, ringMs: [500, 3_000],
    patience: { shortShare: 0.04, median: 150 * SECOND, sigma: 0.8 },
    talk: { median: 0, sigma: 0 }, holdProb: 0, hold: { median: 0, sigma: 0 },
    acw: { median: 20 * SECOND, sigma: 0.6 },
    messages: [2, 9], firstResponse: { median: 12 * SECOND, sigma: 0.6 },
    customerTurn: { median: 35 * SECOND, sigma: 0.7 }, agentTurn: { median: 30 * SECOND, sigma: 0.7 },
    transferProb: 0.03, escalateProb: 0.015, resolveProb: 0.7, reopenProb: 0, reopenDelay: { median: 3 * HOUR, sigma: 0.8 },
    surveyProb: 0.3, npsShare: 0.2, surveyDelay: { median: 90 * SECOND, sigma: 0.8 }, qaProb: 0.02,
    tolerableWaitMs: 180 * SECOND,
  },
  email: {
    minAgents: 1, staffingFactor: 1, slThresholdMs: 4 * HOUR, slTarget: 0.8, maxOccupancy: 0.95, forecastError: 0.05,
    // breaks run a little over plan, as they do: the main source of service-level dips
    plannedShrinkage: 0.05, breakProb: 0.06, breakDuration: { median: 8 * MINUTE, sigma: 0.5 },
    capacityPerAgent: Infinity, blockProb: 0, selfServiceShare: 0.1,
    ivr: null, ringMs: [0, 0], patience: null,
    talk: { median: 6 * MINUTE, sigma: 0.6 }, holdProb: 0, hold: { median: 0, sigma: 0 },
    acw: { median: 60 * SECOND, sigma: 0.6 },
    messages: [1, 1], firstResponse: { median: 0, sigma: 0 }, customerTurn: { median: 0, sigma: 0 }, agentTurn: { median: 0, sigma: 0 },
    transferProb: 0.03, escalateProb: 0.01, resolveProb: 0.8, reopenProb: 0.06, reopenDelay: { median: 3 * HOUR, sigma: 0.8 },
    surveyProb: 0.15, npsShare: 0.2, surveyDelay: { median: 30 * MINUTE, sigma: 0.8 }, qaProb: 0.03,
    tolerableWaitMs: 6 * HOUR,
  },
};

const money = (median: number): Dist => ({ median, sigma: 0.8 });

/** The five default queues; extra queues repeat them as billing-2, support-2, … */
export const QUEUE_TEMPLATES: readonly QueueInput[] = [
  {
    id: 'billing', channel: 'voice', weight: 0.25, talk: { median: 250 * SECOND, sigma: 0.55 },
    topics: [
      { id: 'invoice_question', weight: 4, code: 'explained' },
      { id: 'payment_failed', weight: 2, code: 'payment_fixed' },
      { id: 'refund_request', weight: 2, code: 'refund_issued', outcome: { kind: 'return', prob: 0.5, amountMinor: money(4_500) } },
      { id: 'plan_change', weight: 1.5, code: 'plan_changed' },
      { id: 'complaint', weight: 0.8, code: 'apology_credit' },
    ],
  },
  {
    id: 'support', channel: 'voice', weight: 0.3, talk: { median: 330 * SECOND, sigma: 0.6 }, escalateProb: 0.04, resolveProb: 0.66,
    topics: [
      { id: 'login_issue', weight: 3, code: 'password_reset' },
      { id: 'outage', weight: 1.5, code: 'incident_linked' },
      { id: 'device_setup', weight: 2.5, code: 'guided_setup' },
      { id: 'bug_report', weight: 1.5, code: 'ticket_filed' },
      { id: 'complaint', weight: 0.7, code: 'apology_credit', outcome: { kind: 'churned', prob: 0.05 } },
    ],
  },
  {
    // planned for a lower service level and harder to forecast: the queue that misses 80/20
    id: 'sales', channel: 'voice', weight: 0.15, talk: { median: 200 * SECOND, sigma: 0.6 }, slTarget: 0.35, forecastError: 0.08, resolveProb: 0.8,
    topics: [
      { id: 'new_order', weight: 4, code: 'order_placed', outcome: { kind: 'purchase', prob: 0.6, amountMinor: money(8_900) } },
      { id: 'pricing', weight: 2, code: 'quote_sent', outcome: { kind: 'purchase', prob: 0.2, amountMinor: money(5_900) } },
      { id: 'upgrade', weight: 1.5, code: 'plan_upgraded', outcome: { kind: 'purchase', prob: 0.5, amountMinor: money(2_400) } },
      { id: 'cancellation', weight: 1, code: 'retention_offer', outcome: { kind: 'churned', prob: 0.35 } },
    ],
  },
  {
    id: 'chat', channel: 'chat', weight: 0.2,
    topics: [
      { id: 'order_status', weight: 4, code: 'status_given' },
      { id: 'delivery_issue', weight: 2, code: 'reshipped', outcome: { kind: 'return', prob: 0.2, amountMinor: money(3_000) } },
      { id: 'returns', weight: 2, code: 'return_label', outcome: { kind: 'return', prob: 0.7, amountMinor: money(3_500) } },
      { id: 'login_issue', weight: 1, code: 'password_reset' },
    ],
  },
  {
    id: 'email', channel: 'email', weight: 0.1,
    topics: [
      { id: 'invoice_copy', weight: 3, code: 'document_sent' },
      { id: 'refund_request', weight: 2, code: 'refund_issued', outcome: { kind: 'return', prob: 0.5, amountMinor: money(4_500) } },
      { id: 'complaint', weight: 1.5, code: 'apology_credit' },
      { id: 'data_request', weight: 0.5, code: 'gdpr_export' },
    ],
  },
];

export function modeOf(channel: Channel): HandlingMode {
  switch (channel) {
    case 'voice': case 'video': return 'call';
    case 'chat': case 'messaging': case 'sms': case 'social': return 'chat';
    case 'email': case 'web_form': return 'email';
  }
}

const DEFAULT_TOPICS: readonly TopicSpec[] = [
  { id: 'general', weight: 3, code: 'explained' },
  { id: 'account', weight: 2, code: 'account_updated' },
  { id: 'complaint', weight: 1, code: 'apology_credit' },
];

export function resolveQueue(input: QueueInput): QueueSpec {
  const channel = input.channel ?? 'voice';
  const mode = input.mode ?? modeOf(channel);
  const teamCount = mode === 'call' ? 3 : mode === 'chat' ? 2 : 1;
  const teams = Array.from({ length: teamCount }, (_, i) => `team-${input.id}-${i + 1}`);
  // Spread explicitly, then drop undefined, so `{ talk: undefined }` keeps the default.
  const given = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as QueueInput;
  return { ...CHANNEL_DEFAULTS[mode], weight: 1, topics: DEFAULT_TOPICS, teams, ...given, channel, mode };
}

export function defaultQueues(count = QUEUE_TEMPLATES.length): QueueInput[] {
  const out: QueueInput[] = [];
  for (let i = 0; i < count; i++) {
    const tpl = QUEUE_TEMPLATES[i % QUEUE_TEMPLATES.length] as QueueInput;
    const round = Math.floor(i / QUEUE_TEMPLATES.length);
    out.push(round === 0 ? tpl : { ...tpl, id: `${tpl.id}-${round + 1}` });
  }
  return out;
}

/**
 * Smallest agent count meeting the service level and the occupancy cap, by Erlang C
 * with the Allen–Cunneen correction for non-exponential handle times (waits scale with
 * (1 + cv²)/2; lognormal handle times have cv² ≈ 0.4, so plain Erlang C overstaffs).
 * Abandonment is ignored, which errs on the safe side. O(n) via the Erlang B recursion.
 */
export function erlangCAgents(
  arrivalsPerSec: number, ahtSec: number, thresholdSec: number, slTarget: number, maxOccupancy: number, handleCv2 = 1,
): number {
  const a = arrivalsPerSec * ahtSec;
  if (!(a > 0)) return 0;
  const waitScale = ahtSec * ((1 + handleCv2) / 2);
  let b = 1;
  for (let n = 1; ; n++) {
    b = (a * b) / (n + a * b);
    if (n <= a || a / n > maxOccupancy) continue;
    const c = (n * b) / (n - a * (1 - b));
    const sl = 1 - c * Math.exp((-(n - a) * thresholdSec) / waitScale);
    if (sl >= slTarget) return n;
  }
}

export function normalizeCurve(curve: readonly number[], length: number, name: string): number[] {
  if (curve.length !== length) throw new RangeError(`${name} needs ${length} values`);
  if (curve.some((v) => !(v >= 0))) throw new RangeError(`${name} values must be ≥ 0`);
  const mean = curve.reduce((s, v) => s + v, 0) / length;
  if (!(mean > 0)) throw new RangeError(`${name} is all zero`);
  return curve.map((v) => v / mean);
}
