// The discrete-event simulation. Actions (arrivals, queue entries, answers, abandons,
// leg steps, wrap-ups, staffing changes) sit in one heap ordered by (time, sequence) and
// every action emits its events at its own time, so the output is globally sorted without
// buffering future events — that keeps memory flat at live-mode scale (hundreds of
// thousands of agents and in-flight contacts). All times are integer epoch ms.

import { BUSINESS_KINDS } from '@switchboard/events';
import type { AgentState, BusinessKind, Channel, ContactEvent, EventType, Priority, SurveyKind } from '@switchboard/events';
import { isOpenAt, type Calendar } from '@switchboard/kpi';
import {
  DEFAULT_INTRADAY, HOUR, MINUTE, SECOND, defaultQueues, erlangCAgents, normalizeCurve, resolveQueue,
} from './model';
import type { Dist, GeneratorOptions, QueueSpec, TopicSpec } from './model';
import { Rng, WeightedTable } from './rng';

const DAY = 24 * HOUR;

// contact phases
const P_NEW = 0; // created, in the IVR / pre-chat form
const P_WAITING = 1;
const P_RINGING = 2; // matched to an agent, not yet connected
const P_SERVING = 3;
const P_WRAPUP = 4; // last leg's customer interaction over, agent in after-call work
const P_POST = 5; // agent work done; surveys, outcomes, QA, reopen pending
const P_SELF = 6; // self-service session
const P_DONE = 7;

// action kinds
const A_ARRIVAL = 0;
const A_ENTER = 1;
const A_ANSWER = 2;
const A_ABANDON = 3;
const A_STEPS = 4;
const A_WRAP = 5;
const A_STAFFING = 6;
const A_BREAK_END = 7;

// contact steps, stored flat as (time, kind, value) triples
const S_HOLD_START = 0;
const S_HOLD_END = 1;
const S_MSG = 2;
const S_MSG_FIRST = 3;
const S_ESCALATE = 4;
const S_TRANSFER = 5;
const S_END = 6;
const S_SURVEY_CSAT = 7;
const S_SURVEY_NPS = 8;
const S_BUSINESS = 9;
const S_QA = 10;
const S_REOPEN = 11;
const S_KB_VIEW = 12;
const S_SELF_SERVICE = 13;

const GENERIC_RESOLVED_CODES = ['explained', 'workaround_given', 'no_fault_found'] as const;
const UNRESOLVED_CODES = ['follow_up', 'callback_scheduled', 'customer_to_revert'] as const;
const CHAT_CLOSING: Dist = { median: 20 * SECOND, sigma: 0.6 };
const REPEAT_RING = 1024;
/** a drained run stops here even if some contact can never be served (a queue without agents) */
const DRAIN_LIMIT = 7 * DAY;

interface Action {
  t: number;
  seq: number;
  kind: number;
  c: Contact | null;
  a: Agent | null;
  q: Queue | null;
  tok: number;
}

interface Queue {
  idx: number;
  id: string;
  spec: QueueSpec;
  channel: Channel;
  topics: WeightedTable<TopicSpec>;
  /** arrivals and everything drawn at arrival: the same seed gives the same demand whatever the dynamics */
  arr: Rng;
  /** handling, outcomes and surveys */
  svc: Rng;
  /** own arrivals per ms at curve factor 1 */
  rateBase: number;
  /** rate that needs an agent (own assisted arrivals + transfers in), per ms at factor 1 */
  loadRateBase: number;
  meanHandleMs: number;
  /** squared coefficient of variation of the handle time */
  handleCv2: number;
  agents: Agent[];
  roster: number;
  capacity: number;
  nextArrival: number;
  waitC: Contact[];
  waitTok: number[];
  waitHead: number;
  waiting: number;
  freeA: Agent[];
  freeTok: number[];
  freeHead: number;
  transferTargets: Queue[];
  repeatCust: string[];
  repeatTopic: number[];
  repeatNext: number;
  staffCache: Map<number, number>;
  offline: { fraction: number; from: number; to: number }[];
}

interface Agent {
  id: string;
  team: string;
  cid: string;
  evSeq: number;
  q: Queue;
  state: AgentState;
  since: number;
  online: boolean;
  reserved: Contact | null;
  freeTok: number;
  skill: number;
  // the leg being handled or wrapped up
  talk: number;
  hold: number;
  acw: number;
  final: boolean;
}

/**
 * A ticket's priority from its contact number (Knuth's multiplicative hash), so giving tickets
 * priorities draws nothing from the run's random streams: low 20 %, normal 55 %, high 20 %, urgent 5 %.
 */
function priorityOf(c: { n: number; channel: Channel }): Priority | null {
  if (c.channel === 'voice') return null;
  const u = ((Math.imul(c.n, 2654435761) >>> 0) % 100);
  return u < 20 ? 'low' : u < 75 ? 'normal' : u < 95 ? 'high' : 'urgent';
}

/** Channels a customer waits on live: after hours they are blocked, where a ticket would be taken. */
const LIVE_CHANNELS: ReadonlySet<Channel> = new Set(['voice', 'chat', 'video']);

interface Contact {
  n: number;
  id: string;
  evSeq: number;
  customer: string;
  topicIdx: number;
  topic: TopicSpec;
  entryQ: Queue;
  q: Queue;
  channel: Channel;
  phase: number;
  tok: number;
  createdAt: number;
  queuedAt: number;
  patience: number;
  agent: Agent | null;
  lastAgent: Agent | null;
  totalWait: number;
  legs: number;
  firstResponded: boolean;
  transferred: boolean;
  transferTo: Queue | null;
  reopened: boolean;
  resolved: boolean;
  steps: number[];
  si: number;
  /** journey + pending wrap-ups; the contact is finished when this reaches 0 */
  open: number;
}

interface LegPlan {
  talk: number;
  hold: number;
  acw: number;
  end: number;
  steps: number[];
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);
const pad3 = (i: number) => (i < 10 ? '00' : i < 100 ? '0' : '') + i;
const mod = (a: number, m: number) => ((a % m) + m) % m;

function drawDuration(rng: Rng, d: Dist, min: number): number {
  const v = Math.round(rng.lognormal(d.median, d.sigma));
  return v < min ? min : v;
}

/**
 * One agent leg from the moment of answer. `responseBase` is when the customer message
 * the first agent reply answers was sent. With `lengthBiased`, the talk time is drawn
 * from the length-biased law — the law of a call found in progress at a random instant
 * (for a lognormal: mu + sigma²) — used to prefill a warm start.
 */
function planLeg(spec: QueueSpec, rng: Rng, ta: number, responseBase: number, first: boolean, lengthBiased: boolean): LegPlan {
  const steps: number[] = [];
  let talk: number;
  let hold = 0;
  let end: number;
  if (spec.mode === 'call') {
    const median = lengthBiased ? spec.talk.median * Math.exp(spec.talk.sigma * spec.talk.sigma) : spec.talk.median;
    talk = drawDuration(rng, { median, sigma: spec.talk.sigma }, 5 * SECOND);
    if (spec.holdProb > 0 && rng.chance(spec.holdProb)) {
      hold = drawDuration(rng, spec.hold, SECOND);
      const hs = ta + Math.round(talk * rng.uniform(0.2, 0.8));
      steps.push(hs, S_HOLD_START, 0, hs + hold, S_HOLD_END, hold);
    }
    end = ta + talk + hold;
  } else if (spec.mode === 'chat') {
    const [lo, hi] = spec.messages;
    const n = lo + rng.int(hi - lo + 1);
    let t = ta + drawDuration(rng, spec.firstResponse, 1_000);
    steps.push(t, first ? S_MSG_FIRST : S_MSG, t - responseBase);
    for (let i = 1; i < n; i++) {
      t += drawDuration(rng, spec.customerTurn, 2_000);
      const r = drawDuration(rng, spec.agentTurn, 2_000);
      t += r;
      steps.push(t, S_MSG, r);
    }
    end = t + drawDuration(rng, CHAT_CLOSING, 1_000);
    talk = end - ta;
  } else {
    const median = lengthBiased ? spec.talk.median * Math.exp(spec.talk.sigma * spec.talk.sigma) : spec.talk.median;
    talk = drawDuration(rng, { median, sigma: spec.talk.sigma }, 30 * SECOND);
    end = ta + talk;
    steps.push(end, first ? S_MSG_FIRST : S_MSG, end - responseBase);
  }
  const acw = drawDuration(rng, spec.acw, 500);
  return { talk, hold, acw, end, steps };
}

/** Insertion sort of (t, kind, value) triples by t, stable: post steps are few. */
function sortTriples(s: number[]): void {
  for (let i = 3; i < s.length; i += 3) {
    const t = s[i] as number;
    const k = s[i + 1] as number;
    const v = s[i + 2] as number;
    let j = i - 3;
    while (j >= 0 && (s[j] as number) > t) {
      s[j + 3] = s[j] as number;
      s[j + 4] = s[j + 1] as number;
      s[j + 5] = s[j + 2] as number;
      j -= 3;
    }
    s[j + 3] = t;
    s[j + 4] = k;
    s[j + 5] = v;
  }
}

export interface EngineStats {
  /** time of the action being processed, i.e. occurred_at of the latest event */
  simTime: number;
  events: number;
  contacts: number;
  inFlight: number;
  agents: number;
}

/**
 * The simulation as a pull iterator: next() returns events in (occurred_at, creation)
 * order until the run ends. generateEvents and eventStream are thin wrappers.
 */
export class Engine {
  private readonly tenant: string;
  private readonly runId: string;
  private readonly agentIdPrefix: string;
  private readonly start: number;
  private readonly end: number;
  private readonly drain: boolean;
  private readonly calendar: Calendar | undefined;
  private readonly priorities: boolean;
  private readonly queues: Queue[];
  private readonly intraday: number[];
  private readonly weekly: number[];
  private readonly offsetMs: number;
  private readonly intervalMs: number;
  private readonly fixedStaffing: boolean;
  private readonly staffingLevel: number;
  private readonly customers: number;
  private readonly repeatShare: number;
  private readonly currency: string;
  private readonly changePoints: number[];
  private readonly forecastRng: Rng;

  private heap: Action[] = [];
  private seq = 0;
  private out: ContactEvent[] = [];
  private outHead = 0;
  private finished = false;
  private now: number;
  private contactSeq = 0;
  private inFlight = 0;
  private eventCount = 0;

  constructor(opts: GeneratorOptions) {
    if (!Number.isFinite(opts.start)) throw new RangeError('start must be epoch ms');
    if (!(opts.durationMs >= 0)) throw new RangeError('durationMs must be ≥ 0 (Infinity for unbounded)');
    this.tenant = opts.tenantId ?? 'demo';
    this.runId = opts.runId ?? String(opts.seed);
    // agent events are keyed by agent, whose id doesn't carry the run; the event id must
    this.agentIdPrefix = `sim:${this.runId}:`;
    this.start = Math.round(opts.start);
    this.end = this.start + opts.durationMs;
    this.now = this.start;
    this.drain = opts.drain ?? false;
    this.calendar = opts.calendar;
    this.priorities = opts.priorities ?? false;
    this.intraday = normalizeCurve(opts.intraday ?? DEFAULT_INTRADAY, 24, 'intraday');
    const weekly = opts.weekly ?? [1, 1, 1, 1, 1, 1, 1];
    if (weekly.length !== 7 || weekly.some((v) => !(v >= 0))) throw new RangeError('weekly needs 7 values ≥ 0');
    this.weekly = [...weekly];
    this.offsetMs = (opts.utcOffsetMinutes ?? 0) * MINUTE;
    this.intervalMs = opts.staffingIntervalMs ?? 30 * MINUTE;
    if (!(this.intervalMs >= MINUTE)) throw new RangeError('staffingIntervalMs must be ≥ 1 minute');
    this.fixedStaffing = opts.staffing === 'fixed';
    this.staffingLevel = opts.staffingLevel ?? 1;
    this.repeatShare = opts.repeatShare ?? 0.12;
    this.currency = opts.currency ?? 'EUR';
    const arrivalsPerHour = opts.arrivalsPerHour ?? 600;
    if (!(arrivalsPerHour >= 0)) throw new RangeError('arrivalsPerHour must be ≥ 0');
    this.customers = Math.max(1_000, Math.ceil(opts.customers ?? arrivalsPerHour * 24 * 10));

    const root = new Rng(opts.seed);
    const specs = (opts.queues ?? defaultQueues(opts.queueCount)).map(resolveQueue);
    if (specs.length === 0) throw new RangeError('at least one queue');
    const ids = new Set<string>();
    for (const s of specs) {
      if (ids.has(s.id)) throw new RangeError(`duplicate queue id ${s.id}`);
      ids.add(s.id);
    }
    const totalWeight = specs.reduce((s, q) => s + q.weight, 0);
    if (!(totalWeight > 0)) throw new RangeError('queue weights sum to 0');

    this.queues = specs.map((spec, idx) => ({
      idx, id: spec.id, spec, channel: spec.channel,
      topics: new WeightedTable(spec.topics, spec.topics.map((t) => t.weight)),
      arr: root.fork(`arr:${spec.id}`), svc: root.fork(`svc:${spec.id}`),
      rateBase: (arrivalsPerHour * spec.weight) / totalWeight / HOUR,
      loadRateBase: 0, meanHandleMs: 0, handleCv2: 1, agents: [], roster: 0, capacity: 0, nextArrival: Infinity,
      waitC: [], waitTok: [], waitHead: 0, waiting: 0, freeA: [], freeTok: [], freeHead: 0,
      transferTargets: [], repeatCust: [], repeatTopic: [], repeatNext: 0, staffCache: new Map(), offline: [],
    }));

    for (const q of this.queues) {
      q.transferTargets = this.queues.filter((o) => o !== q && o.channel === q.channel);
      [q.meanHandleMs, q.handleCv2] = this.estimateHandle(q.spec, root.fork(`plan:${q.id}`));
    }
    for (const q of this.queues) q.loadRateBase += q.rateBase * (1 - q.spec.selfServiceShare);
    for (const q of this.queues) {
      // Transfers add load to the targets; staffing them for it keeps transfers from starving.
      const n = q.transferTargets.length;
      if (n > 0) for (const tq of q.transferTargets) tq.loadRateBase += (q.rateBase * (1 - q.spec.selfServiceShare) * q.spec.transferProb) / n;
    }

    const points = new Set<number>();
    for (const w of opts.offline ?? []) {
      const q = this.queues.find((x) => x.id === w.queueId);
      if (!q) throw new RangeError(`offline window for unknown queue ${w.queueId}`);
      if (!(w.fraction >= 0 && w.fraction <= 1) || !(w.to > w.from)) throw new RangeError('offline window needs 0 ≤ fraction ≤ 1 and to > from');
      q.offline.push({ fraction: w.fraction, from: w.from, to: w.to });
      points.add(Math.round(w.from));
      points.add(Math.round(w.to));
    }
    this.changePoints = [...points].sort((a, b) => a - b);

    this.forecastRng = root.fork('forecast');
    const peak = Math.max(...this.intraday) * Math.max(...this.weekly);
    const agentRng = root.fork('agents');
    for (const q of this.queues) {
      // room for the busiest interval of the plan, forecast errors included
      const roster = opts.agentsPerQueue ?? q.spec.agents ?? this.required(q, peak * (1 + 3 * q.spec.forecastError));
      if (!(roster >= 0) || !Number.isInteger(roster)) throw new RangeError(`queue ${q.id}: agents must be a non-negative integer`);
      q.roster = roster;
      for (let i = 0; i < roster; i++) {
        const id = `a-${q.id}-${pad3(i + 1)}`;
        q.agents.push({
          id, team: q.spec.teams[i % q.spec.teams.length] ?? `team-${q.id}`, cid: `agent:${id}`,
          evSeq: 0, q,
          state: 'offline', since: NaN, online: false, reserved: null, freeTok: 0,
          skill: agentRng.normal(0, 0.05), talk: 0, hold: 0, acw: 0, final: true,
        });
      }
    }

    if (opts.warmStart) this.warmStart();
    else this.schedule(A_STAFFING, this.start, null, null, null, 0);
    if (this.start < this.end) {
      for (const q of this.queues) {
        q.nextArrival = this.nextArrivalAfter(q, this.start);
        if (q.nextArrival < this.end) this.schedule(A_ARRIVAL, Math.floor(q.nextArrival), null, null, q, 0);
      }
    }
    if (opts.warmStart) this.scheduleStaffing(this.start);
  }

  stats(): EngineStats {
    let agents = 0;
    for (const q of this.queues) agents += q.agents.length;
    return { simTime: this.now, events: this.eventCount, contacts: this.contactSeq, inFlight: this.inFlight, agents };
  }

  /** The next event in time order, or undefined once the run is over. */
  next(): ContactEvent | undefined {
    while (this.outHead >= this.out.length) {
      if (this.finished) return undefined;
      this.out.length = 0;
      this.outHead = 0;
      this.step();
    }
    this.eventCount++;
    return this.out[this.outHead++];
  }

  // ---- heap ----------------------------------------------------------------

  private schedule(kind: number, t: number, c: Contact | null, a: Agent | null, q: Queue | null, tok: number): void {
    const h = this.heap;
    const x: Action = { t, seq: this.seq++, kind, c, a, q, tok };
    let i = h.length;
    h.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const y = h[p] as Action;
      if (y.t < t || (y.t === t && y.seq < x.seq)) break;
      h[i] = y;
      i = p;
    }
    h[i] = x;
  }

  private pop(): Action | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    const n = h.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      let mv = h[l] as Action;
      if (r < n) {
        const rv = h[r] as Action;
        if (rv.t < mv.t || (rv.t === mv.t && rv.seq < mv.seq)) {
          m = r;
          mv = rv;
        }
      }
      if (last.t < mv.t || (last.t === mv.t && last.seq < mv.seq)) break;
      h[i] = mv;
      i = m;
    }
    h[i] = last;
    return top;
  }

  private step(): void {
    const x = this.pop();
    if (x === undefined || (x.t >= this.end && (!this.drain || this.inFlight === 0 || x.t >= this.end + DRAIN_LIMIT))) {
      this.finished = true;
      return;
    }
    this.now = x.t;
    switch (x.kind) {
      case A_ARRIVAL: this.arrival(x.q as Queue, x.t); break;
      case A_ENTER: this.enter(x.c as Contact, x.t); break;
      case A_ANSWER: this.answer(x.c as Contact, x.tok, x.t); break;
      case A_ABANDON: this.abandon(x.c as Contact, x.tok, x.t); break;
      case A_STEPS: this.runSteps(x.c as Contact, x.t); break;
      case A_WRAP: this.wrap(x.a as Agent, x.c as Contact, x.t); break;
      case A_STAFFING: this.staff(x.t); this.scheduleStaffing(x.t); break;
      case A_BREAK_END: this.agentFree(x.a as Agent, x.t); break;
    }
  }

  // ---- demand --------------------------------------------------------------

  /** intraday × weekly factor at t (local time), linear between hourly points */
  private factorAt(t: number): number {
    const local = t + this.offsetMs;
    const h = mod(local, DAY) / HOUR;
    const i = Math.floor(h);
    const a = this.intraday[i] as number;
    const b = this.intraday[(i + 1) % 24] as number;
    const dow = mod(Math.floor(local / DAY) + 4, 7); // 1970-01-01 was a Thursday
    return (a + (b - a) * (h - i)) * (this.weekly[dow] as number);
  }

  /**
   * Non-homogeneous Poisson arrivals by thinning, hour piece by hour piece: within a
   * piece the rate is linear, so the larger endpoint bounds it and few candidates are
   * rejected. Restarting at a piece boundary is exact (memorylessness).
   */
  private nextArrivalAfter(q: Queue, from: number): number {
    const rng = q.arr;
    let t = from;
    while (t < this.end) {
      const local = t + this.offsetMs;
      const pieceEnd = t + (HOUR - mod(local, HOUR));
      const i = Math.floor(mod(local, DAY) / HOUR);
      const dow = mod(Math.floor(local / DAY) + 4, 7);
      const peak = q.rateBase * Math.max(this.intraday[i] as number, this.intraday[(i + 1) % 24] as number) * (this.weekly[dow] as number);
      if (!(peak > 0)) {
        t = pieceEnd;
        continue;
      }
      t += rng.exponential(1 / peak);
      if (t >= pieceEnd) {
        t = pieceEnd;
        continue;
      }
      if (rng.next() * peak <= q.rateBase * this.factorAt(t)) return t;
    }
    return Infinity;
  }

  private arrival(q: Queue, t: number): void {
    const rng = q.arr;
    const selfService = q.spec.selfServiceShare > 0 && rng.chance(q.spec.selfServiceShare);
    const c = this.newContact(q, t, rng);
    if (selfService) {
      this.planSelfService(c, t, rng);
    } else {
      c.patience = this.drawPatience(q, rng);
      this.emit('contact_created', t, c, q, null);
      if (q.spec.ivr) this.schedule(A_ENTER, t + drawDuration(rng, q.spec.ivr, 1_000), c, null, null, 0);
      else this.enter(c, t);
    }
    q.nextArrival = this.nextArrivalAfter(q, q.nextArrival);
    if (q.nextArrival < this.end) this.schedule(A_ARRIVAL, Math.floor(q.nextArrival), null, null, q, 0);
  }

  private newContact(q: Queue, t: number, rng: Rng): Contact {
    const n = ++this.contactSeq;
    let customer: string;
    let topicIdx: number;
    // Always three draws, whichever branch: the queue's arrival stream must not shift when
    // dynamics (which fill the repeat pool) change, e.g. between a run and its scenario twin.
    const repeat = rng.next() < this.repeatShare;
    const u = rng.next();
    const v = rng.next();
    const ringLen = q.repeatCust.length;
    if (repeat && ringLen > 0) {
      // a customer coming back about an issue that wasn't settled
      const k = Math.floor(u * ringLen);
      customer = q.repeatCust[k] as string;
      topicIdx = q.repeatTopic[k] as number;
      q.repeatCust[k] = q.repeatCust[ringLen - 1] as string;
      q.repeatTopic[k] = q.repeatTopic[ringLen - 1] as number;
      q.repeatCust.pop();
      q.repeatTopic.pop();
    } else {
      // skewed: a minority of customers make a good share of the contacts
      customer = `cust-${Math.floor(this.customers * u ** 1.5)}`;
      topicIdx = q.topics.indexAt(v);
    }
    this.inFlight++;
    return {
      n, id: `c-${this.runId}-${n}`, evSeq: 0, customer, topicIdx,
      topic: q.spec.topics[topicIdx] as TopicSpec, entryQ: q, q, channel: q.channel, phase: P_NEW, tok: 0,
      createdAt: t, queuedAt: t, patience: Infinity, agent: null, lastAgent: null, totalWait: 0, legs: 0,
      firstResponded: false, transferred: false, transferTo: null, reopened: false, resolved: false,
      steps: [], si: 0, open: 1,
    };
  }

  private drawPatience(q: Queue, rng: Rng): number {
    const p = q.spec.patience;
    if (!p) return Infinity;
    // the short share hang up almost at once (misdial, changed mind): the short abandons
    if (rng.chance(p.shortShare)) return Math.round(rng.uniform(300, 4_900));
    return Math.max(1_000, Math.round(rng.lognormal(p.median, p.sigma)));
  }

  private planSelfService(c: Contact, t: number, rng: Rng): void {
    c.phase = P_SELF;
    const s = c.steps;
    if (c.q.spec.mode === 'call') {
      s.push(t + drawDuration(rng, c.q.spec.ivr ?? { median: 40 * SECOND, sigma: 0.5 }, 1_000), S_SELF_SERVICE, 0);
    } else {
      let at = t;
      const views = 1 + rng.int(3);
      for (let i = 0; i < views; i++) {
        s.push(at, S_KB_VIEW, 0);
        at += drawDuration(rng, { median: 50 * SECOND, sigma: 0.6 }, 2_000);
      }
      // not every knowledge-base visit settles the question
      if (rng.chance(0.65)) s.push(at, S_SELF_SERVICE, 0);
    }
    this.runSteps(c, t);
  }

  private enter(c: Contact, t: number): void {
    const q = c.q;
    // after hours first, so the draw below happens for the same contacts with or without a
    // calendar; only live channels are turned away, tickets (email, messaging…) are taken and wait
    if (this.calendar && LIVE_CHANNELS.has(c.channel) && !isOpenAt(this.calendar, t)) {
      c.phase = P_DONE;
      this.emit('blocked', t, c, q, null);
      this.endJourney(c, 0.6);
      return;
    }
    if ((q.spec.blockProb > 0 && q.arr.chance(q.spec.blockProb)) || q.waiting >= q.capacity) {
      c.phase = P_DONE;
      this.emit('blocked', t, c, q, null);
      this.endJourney(c, 0.6);
      return;
    }
    this.emit('queued', t, c, q, null);
    this.queue(c, t);
  }

  // ---- queue and agents ------------------------------------------------------

  private queue(c: Contact, t: number): void {
    const q = c.q;
    c.phase = P_WAITING;
    c.queuedAt = t;
    const tok = ++c.tok;
    if (c.patience !== Infinity) this.schedule(A_ABANDON, t + c.patience, c, null, null, tok);
    if (q.waiting === 0) {
      const a = this.popFree(q);
      if (a) {
        this.reserve(c, a, t);
        return;
      }
    }
    q.waitC.push(c);
    q.waitTok.push(tok);
    q.waiting++;
  }

  private reserve(c: Contact, a: Agent, t: number): void {
    const q = c.q;
    c.phase = P_RINGING;
    c.agent = a;
    a.reserved = c;
    const [lo, hi] = q.spec.ringMs;
    const answerAt = t + (hi > lo ? Math.round(q.svc.uniform(lo, hi)) : lo);
    // if patience runs out first, the pending abandon fires and releases the agent
    if (answerAt < c.queuedAt + c.patience) this.schedule(A_ANSWER, answerAt, c, null, null, c.tok);
  }

  private popWaiting(q: Queue): Contact | undefined {
    while (q.waitHead < q.waitC.length) {
      const c = q.waitC[q.waitHead] as Contact;
      const tok = q.waitTok[q.waitHead] as number;
      q.waitHead++;
      if (c.tok === tok && c.phase === P_WAITING && c.q === q) {
        q.waiting--;
        this.compactWaiting(q);
        return c;
      }
    }
    this.compactWaiting(q);
    return undefined;
  }

  private compactWaiting(q: Queue): void {
    if (q.waitHead > 1024 && q.waitHead * 2 > q.waitC.length) {
      q.waitC = q.waitC.slice(q.waitHead);
      q.waitTok = q.waitTok.slice(q.waitHead);
      q.waitHead = 0;
    }
  }

  private pushFree(a: Agent): void {
    const q = a.q;
    q.freeA.push(a);
    q.freeTok.push(++a.freeTok);
  }

  /** longest-idle first: the free list is FIFO; stale entries are skipped via the token */
  private popFree(q: Queue): Agent | undefined {
    while (q.freeHead < q.freeA.length) {
      const a = q.freeA[q.freeHead] as Agent;
      const tok = q.freeTok[q.freeHead] as number;
      q.freeHead++;
      if (a.freeTok === tok && a.state === 'available' && a.online && a.reserved === null) {
        this.compactFree(q);
        return a;
      }
    }
    this.compactFree(q);
    return undefined;
  }

  private compactFree(q: Queue): void {
    if (q.freeHead > 1024 && q.freeHead * 2 > q.freeA.length) {
      q.freeA = q.freeA.slice(q.freeHead);
      q.freeTok = q.freeTok.slice(q.freeHead);
      q.freeHead = 0;
    }
  }

  /** The agent can take work (after wrap-up, login, or a caller hanging up while it rang). */
  private agentFree(a: Agent, t: number): void {
    if (!a.online) {
      if (a.state !== 'offline') this.agentState(a, 'offline', t);
      return;
    }
    if (a.state !== 'available') this.agentState(a, 'available', t);
    const c = this.popWaiting(a.q);
    if (c) this.reserve(c, a, t);
    else this.pushFree(a);
  }

  private answer(c: Contact, tok: number, t: number): void {
    if (c.tok !== tok || c.phase !== P_RINGING) return;
    const a = c.agent as Agent;
    const q = c.q;
    a.reserved = null;
    c.phase = P_SERVING;
    const wait = t - c.queuedAt;
    c.totalWait += wait;
    const e = this.emit('answered', t, c, q, a);
    e.wait_ms = wait;
    this.agentState(a, 'busy', t);
    this.startLeg(c, a, t, undefined);
    this.schedule(A_STEPS, c.steps[0] as number, c, null, null, 0);
  }

  private abandon(c: Contact, tok: number, t: number): void {
    if (c.tok !== tok) return;
    let ringing: Agent | null = null;
    if (c.phase === P_WAITING) c.q.waiting--;
    else if (c.phase === P_RINGING) {
      ringing = c.agent as Agent;
      ringing.reserved = null;
      c.agent = null;
    } else return;
    c.phase = P_DONE;
    const wait = t - c.queuedAt;
    c.totalWait += wait;
    const e = this.emit('abandoned', t, c, c.q, null);
    e.wait_ms = wait;
    if (ringing) this.agentFree(ringing, t);
    this.endJourney(c, 0.5);
  }

  /** `prefilled`: a leg already planned by the warm start (no transfer, it began before the run). */
  private startLeg(c: Contact, a: Agent, ta: number, prefilled: LegPlan | undefined): LegPlan {
    const q = c.q;
    const spec = q.spec;
    const rng = q.svc;
    c.legs++;
    const first = !c.firstResponded;
    // the customer's first message opened the contact; after a transfer or reopen it's the requeue
    const plan = prefilled ?? planLeg(spec, rng, ta, first ? c.createdAt : c.queuedAt, first, false);
    if (spec.mode !== 'call') c.firstResponded = true;
    a.talk = plan.talk;
    a.hold = plan.hold;
    a.acw = plan.acw;
    a.final = true;
    const s = plan.steps;
    if (spec.escalateProb > 0 && rng.chance(spec.escalateProb)) s.push(plan.end, S_ESCALATE, 0);
    if (c.legs === 1 && !prefilled && q.transferTargets.length > 0 && rng.chance(spec.transferProb)) {
      const target = rng.pick(q.transferTargets);
      c.transferTo = target;
      a.final = false;
      s.push(plan.end, S_TRANSFER, target.idx);
    }
    s.push(plan.end, S_END, 0);
    c.steps = s;
    c.si = 0;
    return plan;
  }

  private agentState(a: Agent, state: AgentState, t: number): void {
    const e: ContactEvent = {
      event_id: this.agentIdPrefix + a.cid + ':agent_state_changed:' + a.evSeq++, tenant_id: this.tenant, contact_id: a.cid, type: 'agent_state_changed',
      occurred_at: t, channel: a.q.channel, direction: 'inbound', queue_id: a.q.id, agent_id: a.id, team_id: a.team,
      customer_id: null, topic: null, resolution_code: null, source: 'simulator', wait_ms: null, response_ms: null,
      first_response: null, talk_ms: null, hold_ms: null, acw_ms: null, handle_ms: null, resolution_ms: null,
      survey_kind: null, score: null, scale_min: null, scale_max: null, max_score: null, agent_state: state,
      previous_agent_state: a.state, previous_state_ms: Number.isNaN(a.since) ? null : t - a.since,
      business_kind: null, amount_minor: null, currency: null, attributes: {}, priority: null,
    };
    this.out.push(e);
    a.state = state;
    a.since = t;
  }

  // ---- contact steps -----------------------------------------------------------

  private runSteps(c: Contact, t: number): void {
    const s = c.steps;
    while (c.si < s.length && (s[c.si] as number) <= t) {
      const kind = s[c.si + 1] as number;
      const v = s[c.si + 2] as number;
      c.si += 3;
      this.execStep(c, kind, v, t);
    }
    if (c.steps !== s) return; // a new leg took over
    if (c.si < s.length) this.schedule(A_STEPS, s[c.si] as number, c, null, null, 0);
    else if (c.phase === P_POST || c.phase === P_SELF) {
      const self = c.phase === P_SELF;
      c.phase = P_DONE;
      this.endJourney(c, self ? 0.05 : c.resolved ? 0.1 : 0.5);
    }
  }

  private execStep(c: Contact, kind: number, v: number, t: number): void {
    const q = c.q;
    switch (kind) {
      case S_HOLD_START:
        this.emit('hold_started', t, c, q, c.agent);
        break;
      case S_HOLD_END:
        this.emit('hold_ended', t, c, q, c.agent).hold_ms = v;
        break;
      case S_MSG:
      case S_MSG_FIRST: {
        const e = this.emit('agent_message', t, c, q, c.agent);
        e.response_ms = v;
        e.first_response = kind === S_MSG_FIRST;
        break;
      }
      case S_ESCALATE:
        this.emit('escalated', t, c, q, c.agent).attributes = { tier: '2' };
        break;
      case S_TRANSFER:
        this.emit('transferred', t, c, q, c.agent).attributes = { to_queue: (this.queues[v] as Queue).id };
        break;
      case S_END:
        this.endLeg(c, t);
        break;
      case S_SURVEY_CSAT:
      case S_SURVEY_NPS: {
        const e = this.emit('survey_response', t, c, q, c.lastAgent);
        const csat = kind === S_SURVEY_CSAT;
        e.survey_kind = (csat ? 'csat' : 'nps') satisfies SurveyKind;
        e.score = v;
        e.scale_min = csat ? 1 : 0;
        e.scale_max = csat ? 5 : 10;
        break;
      }
      case S_BUSINESS: {
        const kindName = BUSINESS_KINDS[v] as BusinessKind;
        const e = this.emit('customer_business_event', t, c, q, null);
        e.business_kind = kindName;
        const amount = c.topic.outcome?.amountMinor;
        if ((kindName === 'purchase' || kindName === 'return') && amount) {
          e.amount_minor = drawDuration(q.svc, amount, 100);
          e.currency = this.currency;
        }
        break;
      }
      case S_QA: {
        const e = this.emit('qa_evaluation', t, c, q, c.lastAgent);
        e.score = v;
        e.max_score = 100;
        break;
      }
      case S_REOPEN:
        c.reopened = true;
        c.resolved = false;
        this.emit('reopened', t, c, q, null);
        c.patience = Infinity;
        this.emit('queued', t, c, q, null);
        this.queue(c, t);
        break;
      case S_KB_VIEW:
        this.emit('kb_article_viewed', t, c, q, null);
        break;
      case S_SELF_SERVICE:
        this.emit('self_service_resolved', t, c, q, null);
        break;
    }
  }

  /** Customer interaction with this agent is over: talk/hold reported, agent into ACW. */
  private endLeg(c: Contact, t: number): void {
    const a = c.agent as Agent;
    const q = c.q;
    const e = this.emit('contact_ended', t, c, q, a);
    e.talk_ms = a.talk;
    e.hold_ms = a.hold;
    this.agentState(a, 'after_call_work', t);
    c.agent = null;
    c.lastAgent = a;
    c.open++;
    this.schedule(A_WRAP, t + a.acw, c, a, null, 0);
    const target = c.transferTo;
    if (target) {
      c.transferTo = null;
      c.transferred = true;
      c.q = target;
      // already invested in the call, a transferred caller waits longer
      c.patience = c.patience === Infinity ? Infinity : Math.round(this.drawPatience(target, target.svc) * 1.5);
      this.emit('queued', t, c, target, null);
      this.queue(c, t);
    } else {
      c.phase = P_WRAPUP; // post steps are planned at the wrap-up
    }
  }

  private wrap(a: Agent, c: Contact, t: number): void {
    const q = a.q;
    const rng = q.svc;
    const handle = a.talk + a.hold + a.acw;
    let resolved = false;
    let code: string;
    if (a.final) {
      resolved = rng.chance(clamp01(q.spec.resolveProb + a.skill));
      code = resolved ? (rng.chance(0.85) ? c.topic.code : rng.pick(GENERIC_RESOLVED_CODES)) : rng.pick(UNRESOLVED_CODES);
    } else code = 'transferred';
    const w = this.emit('wrapup_completed', t, c, q, a);
    w.acw_ms = a.acw;
    w.handle_ms = handle;
    w.resolution_code = code;
    if (a.final) {
      c.resolved = resolved;
      if (resolved) {
        const r = this.emit('resolved', t, c, q, a);
        r.resolution_ms = t - c.createdAt;
        r.resolution_code = code;
      }
      c.phase = P_POST;
      this.planPost(c, a, t);
    }
    if (a.online && q.spec.breakProb > 0 && rng.chance(q.spec.breakProb)) {
      this.agentState(a, 'away', t);
      this.schedule(A_BREAK_END, t + drawDuration(rng, q.spec.breakDuration, MINUTE), null, a, null, 0);
    } else this.agentFree(a, t);
    this.close(c);
  }

  /** Surveys, business outcomes, QA and reopen after the last leg's wrap-up. */
  private planPost(c: Contact, a: Agent, t: number): void {
    const spec = c.q.spec;
    const rng = c.q.svc;
    const s: number[] = [];
    if (rng.chance(spec.surveyProb)) {
      // satisfaction falls with the time spent waiting, and with unresolved or transferred contacts
      const x = clamp01(
        0.74 + (c.resolved ? 0.12 : -0.12) - (c.transferred ? 0.08 : 0) + a.skill
          - 0.45 * (1 - Math.exp(-c.totalWait / spec.tolerableWaitMs)) + rng.normal(0, 0.17),
      );
      const ts = t + drawDuration(rng, spec.surveyDelay, 1_000);
      if (rng.chance(spec.npsShare)) {
        const score = Math.round(10 * x ** 0.8);
        s.push(ts, S_SURVEY_NPS, score);
        if (score >= 9 && rng.chance(0.08)) s.push(ts + drawDuration(rng, { median: HOUR, sigma: 0.5 }, MINUTE), S_BUSINESS, BUSINESS_KINDS.indexOf('referred'));
        else if (score <= 6 && rng.chance(0.06)) s.push(ts + drawDuration(rng, { median: HOUR, sigma: 0.5 }, MINUTE), S_BUSINESS, BUSINESS_KINDS.indexOf('churned'));
      } else {
        s.push(ts, S_SURVEY_CSAT, 1 + Math.round(4 * x));
      }
    }
    const outcome = c.topic.outcome;
    if (outcome && c.resolved && rng.chance(outcome.prob)) {
      s.push(t + drawDuration(rng, { median: 10 * MINUTE, sigma: 0.8 }, 5 * SECOND), S_BUSINESS, BUSINESS_KINDS.indexOf(outcome.kind));
    }
    if (rng.chance(spec.qaProb)) {
      const score = Math.max(0, Math.min(100, Math.round(rng.normal(82 + 100 * a.skill, 8))));
      s.push(t + Math.round(rng.uniform(10 * MINUTE, 40 * MINUTE)), S_QA, score);
    }
    sortTriples(s);
    if (c.resolved && !c.reopened && spec.reopenProb > 0 && rng.chance(spec.reopenProb)) {
      // after every other pending step, so the reopened leg owns the step list alone
      const last = s.length > 0 ? (s[s.length - 3] as number) : t;
      s.push(last + drawDuration(rng, spec.reopenDelay, MINUTE), S_REOPEN, 0);
    }
    c.steps = s;
    c.si = 0;
    if (s.length > 0) this.schedule(A_STEPS, s[0] as number, c, null, null, 0);
    else {
      c.phase = P_DONE;
      this.endJourney(c, c.resolved ? 0.1 : 0.5);
    }
  }

  /** The customer's journey is over; an unsettled issue may bring them back later. */
  private endJourney(c: Contact, repeatProb: number): void {
    const q = c.entryQ;
    if (q.svc.chance(repeatProb)) {
      if (q.repeatCust.length < REPEAT_RING) {
        q.repeatCust.push(c.customer);
        q.repeatTopic.push(c.topicIdx);
      } else {
        q.repeatCust[q.repeatNext] = c.customer;
        q.repeatTopic[q.repeatNext] = c.topicIdx;
        q.repeatNext = (q.repeatNext + 1) % REPEAT_RING;
      }
    }
    this.close(c);
  }

  private close(c: Contact): void {
    if (--c.open === 0) this.inFlight--;
  }

  private emit(type: EventType, t: number, c: Contact, q: Queue, a: Agent | null): ContactEvent {
    const e: ContactEvent = {
      event_id: 'sim:' + c.id + ':' + type + ':' + c.evSeq++, tenant_id: this.tenant, contact_id: c.id, type,
      occurred_at: t, channel: c.channel, direction: 'inbound', queue_id: q.id,
      agent_id: a === null ? null : a.id, team_id: a === null ? null : a.team,
      customer_id: c.customer, topic: c.topic.id, resolution_code: null, source: 'simulator', wait_ms: null,
      response_ms: null, first_response: null, talk_ms: null, hold_ms: null, acw_ms: null, handle_ms: null,
      resolution_ms: null, survey_kind: null, score: null, scale_min: null, scale_max: null, max_score: null,
      agent_state: null, previous_agent_state: null, previous_state_ms: null, business_kind: null,
      amount_minor: null, currency: null, attributes: {}, priority: this.priorities ? priorityOf(c) : null,
    };
    this.out.push(e);
    return e;
  }

  // ---- staffing --------------------------------------------------------------

  /** Mean and squared CV of the time an agent is held per contact, by sampling the leg planner. */
  private estimateHandle(spec: QueueSpec, rng: Rng): [number, number] {
    const samples = 1_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < samples; i++) {
      const p = planLeg(spec, rng, 0, 0, true, false);
      const h = p.talk + p.hold + p.acw;
      sum += h;
      sq += h * h;
    }
    const mean = sum / samples;
    const cv2 = Math.max(0, sq / samples - mean * mean) / (mean * mean);
    // the agent is held while the contact rings, too
    return [mean + (spec.ringMs[0] + spec.ringMs[1]) / 2, cv2];
  }

  /** Agents needed at a given demand factor (Erlang C, then the queue's and global factors). */
  private required(q: Queue, factor: number): number {
    const key = Math.round(factor * 1e6);
    const hit = q.staffCache.get(key);
    if (hit !== undefined) return hit;
    // plans repeat across days of a flat forecast; bound the memo for long live runs
    if (q.staffCache.size > 10_000) q.staffCache.clear();
    const perSec = q.loadRateBase * factor * 1000;
    const spec = q.spec;
    const n = erlangCAgents(perSec, q.meanHandleMs / 1000, spec.slThresholdMs / 1000, spec.slTarget, spec.maxOccupancy, q.handleCv2);
    let staffed = Math.max(spec.minAgents, Math.ceil((n * spec.staffingFactor * this.staffingLevel) / (1 - spec.plannedShrinkage)));
    // without abandonment nothing bounds an overloaded queue, so keep those stable
    if (!spec.patience) staffed = Math.max(staffed, Math.floor(perSec * (q.meanHandleMs / 1000)) + 1);
    q.staffCache.set(key, staffed);
    return staffed;
  }

  private intervalStart(t: number): number {
    return t - mod(t + this.offsetMs, this.intervalMs);
  }

  /** Mean demand factor over the staffing interval starting at s: what a WFM forecast plans for. */
  private intervalFactor(s: number): number {
    const n = 8;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += this.factorAt(s + ((i + 0.5) * this.intervalMs) / n);
    return sum / n;
  }

  /** The plan's demand relative to the true one in the interval starting at s: 1 + error. */
  private forecastBias(q: Queue, s: number): number {
    const sd = q.spec.forecastError;
    if (!(sd > 0)) return 1;
    // one draw per queue and interval, independent of when or how often it is asked
    return Math.max(0.5, 1 + sd * this.forecastRng.fork(`${q.id}@${s}`).normal());
  }

  private onShiftTarget(q: Queue, t: number): number {
    const s = this.intervalStart(t);
    let n = this.fixedStaffing ? q.roster : Math.min(q.roster, this.required(q, this.intervalFactor(s) * this.forecastBias(q, s)));
    for (const w of q.offline) if (t >= w.from && t < w.to) n = Math.floor(n * (1 - w.fraction));
    return n;
  }

  private staff(t: number): void {
    for (const q of this.queues) {
      const target = this.onShiftTarget(q, t);
      q.capacity = Math.max(5, Math.ceil(target * q.spec.capacityPerAgent));
      const agents = q.agents;
      for (let i = 0; i < agents.length; i++) {
        const a = agents[i] as Agent;
        const want = i < target;
        if (want === a.online) continue;
        a.online = want;
        if (want) {
          // a busy agent that was due to leave simply stays; an offline one logs in
          if (a.state === 'offline') this.agentFree(a, t);
        } else if (a.state === 'available' && a.reserved === null) {
          this.agentState(a, 'offline', t);
        } // busy, wrapping up, ringing or on a break: logs off when free (agentFree)
      }
    }
  }

  private scheduleStaffing(t: number): void {
    let next = this.intervalStart(t) + this.intervalMs;
    for (const p of this.changePoints) {
      if (p > t) {
        if (p < next) next = p;
        break;
      }
    }
    if (next < this.end || (this.drain && this.inFlight > 0)) this.schedule(A_STAFFING, next, null, null, null, 0);
  }

  /**
   * Puts the center in a steady state at `start` without emitting history: staffed
   * agents logged in, about the offered load (in Erlangs) of them mid-contact.
   */
  private warmStart(): void {
    const t = this.start;
    for (const q of this.queues) {
      const target = this.onShiftTarget(q, t);
      q.capacity = Math.max(5, Math.ceil(target * q.spec.capacityPerAgent));
      const [lo, hi] = q.spec.ringMs;
      const ringMean = (lo + hi) / 2;
      const rate = q.loadRateBase * this.factorAt(t);
      // Little's law: agents busy = rate × time held, split into ringing and handling
      const busy = Math.min(target, Math.round(rate * (q.meanHandleMs - ringMean)));
      const rng = q.svc;
      const ivr = q.spec.ivr;
      if (ivr) {
        // callers already in the IVR: otherwise the first seconds miss their queued/answered
        const inIvr = Math.round(q.rateBase * (1 - q.spec.selfServiceShare) * this.factorAt(t) * ivr.median * Math.exp((ivr.sigma * ivr.sigma) / 2));
        for (let k = 0; k < inIvr; k++) {
          const c = this.newContact(q, t, rng);
          c.patience = this.drawPatience(q, rng);
          const len = drawDuration(rng, { median: ivr.median * Math.exp(ivr.sigma * ivr.sigma), sigma: ivr.sigma }, 1_000);
          const rem = 1 + Math.floor(rng.next() * len);
          c.createdAt = t + rem - len;
          this.schedule(A_ENTER, t + rem, c, null, null, 0);
        }
      }
      for (let i = 0; i < q.agents.length; i++) {
        const a = q.agents[i] as Agent;
        if (i >= target) continue; // stays offline, silently
        a.online = true;
        a.state = 'available';
        a.since = t;
        if (i >= busy) {
          this.pushFree(a);
          continue;
        }
        const c = this.newContact(q, t, rng);
        const wait = Math.round(rng.exponential(q.spec.mode === 'email' ? 20 * MINUTE : q.spec.mode === 'chat' ? 20 * SECOND : 8 * SECOND));
        const ivrMs = ivr ? drawDuration(rng, ivr, 1_000) : 0;
        // plan relative to the answer, then place the answer so that `t` falls uniformly
        // inside the (length-biased) handling time
        const plan = planLeg(q.spec, rng, 0, -(wait + ivrMs), true, true);
        const ta = t - Math.floor(rng.next() * (plan.talk + plan.hold + plan.acw));
        for (let k = 0; k < plan.steps.length; k += 3) plan.steps[k] = (plan.steps[k] as number) + ta;
        plan.end += ta;
        c.queuedAt = ta - wait;
        c.createdAt = c.queuedAt - ivrMs;
        c.totalWait = wait;
        c.phase = P_SERVING;
        c.agent = a;
        this.startLeg(c, a, ta, plan);
        if (plan.end > t) {
          a.state = 'busy';
          a.since = ta;
          while (c.si < c.steps.length && (c.steps[c.si] as number) < t) c.si += 3;
          this.schedule(A_STEPS, c.steps[c.si] as number, c, null, null, 0);
        } else {
          a.state = 'after_call_work';
          a.since = plan.end;
          c.agent = null;
          c.lastAgent = a;
          c.phase = P_WRAPUP;
          c.open++;
          this.schedule(A_WRAP, plan.end + a.acw, c, a, null, 0);
        }
      }
      // contacts matched just before `start` and still ringing: without them the first
      // seconds lack their answered and busy events
      const ringing = Math.round(rate * ringMean);
      for (let k = 0; k < ringing; k++) {
        const a = this.popFree(q);
        if (!a) break;
        const c = this.newContact(q, t, rng);
        const len = hi > lo ? Math.round(rng.uniform(lo, hi)) : lo;
        const rem = 1 + Math.floor(rng.next() * len);
        c.queuedAt = t + rem - len;
        // one that would already have hung up is simply a slightly more patient caller
        c.patience = Math.max(this.drawPatience(q, rng), t - c.queuedAt + 1);
        c.createdAt = c.queuedAt - (ivr ? drawDuration(rng, ivr, 1_000) : 0);
        c.phase = P_RINGING;
        c.agent = a;
        a.reserved = c;
        const tok = ++c.tok;
        if (c.patience !== Infinity) this.schedule(A_ABANDON, c.queuedAt + c.patience, c, null, null, tok);
        if (t + rem < c.queuedAt + c.patience) this.schedule(A_ANSWER, t + rem, c, null, null, tok);
      }
    }
  }
}

/** All events of a bounded run, sorted by occurred_at (ties in causal, then creation order). */
export function generateEvents(opts: GeneratorOptions): ContactEvent[] {
  if (!Number.isFinite(opts.durationMs)) throw new RangeError('generateEvents needs a finite durationMs; use eventStream');
  const engine = new Engine(opts);
  const out: ContactEvent[] = [];
  for (let e = engine.next(); e !== undefined; e = engine.next()) out.push(e);
  return out;
}

/** The same events lazily, for unbounded runs (durationMs: Infinity). */
export function* eventStream(opts: GeneratorOptions): Generator<ContactEvent, void, undefined> {
  const engine = new Engine(opts);
  for (let e = engine.next(); e !== undefined; e = engine.next()) yield e;
}
