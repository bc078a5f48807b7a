import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CHANNELS, EVENT_TYPES, makeEvent } from '@switchboard/events';
import type { ContactEvent } from '@switchboard/events';
import { calendarSchema, isOpenAt } from '@switchboard/kpi';
import { eventStream, generateEvents } from '../src/index';
import type { GeneratorOptions } from '../src/index';

const HOUR = 3_600_000;
const DAY_START = Date.UTC(2026, 0, 5); // a Monday, 00:00 UTC

const digest = (events: ContactEvent[]) => {
  const h = createHash('sha256');
  for (const e of events) h.update(JSON.stringify(e));
  return h.digest('hex');
};

// one simulated day of the default center, shared by the read-only checks below
const dayOpts: GeneratorOptions = { seed: 42, start: DAY_START, durationMs: 24 * HOUR, arrivalsPerHour: 600 };
const day = generateEvents(dayOpts);
const drained = generateEvents({ seed: 7, start: DAY_START + 8 * HOUR, durationMs: 3 * HOUR, arrivalsPerHour: 900, drain: true });

const byContact = (events: ContactEvent[]) => {
  const m = new Map<string, ContactEvent[]>();
  for (const e of events) {
    const list = m.get(e.contact_id);
    if (list) list.push(e);
    else m.set(e.contact_id, [e]);
  }
  return m;
};
const isAgentKey = (id: string) => id.startsWith('agent:');
const countType = (events: ContactEvent[], type: string, pred: (e: ContactEvent) => boolean = () => true) =>
  events.reduce((n, e) => n + (e.type === type && pred(e) ? 1 : 0), 0);

/**
 * The contact-level invariants every complete or truncated run must satisfy. Plain
 * comparisons collected into a list: a per-field expect() over 150k events is slow.
 */
function checkInvariants(events: ContactEvent[], opts: { complete: boolean }): void {
  const problems: string[] = [];
  const check = (ok: boolean, what: string, e: ContactEvent) => {
    if (!ok && problems.length < 20) problems.push(`${what}: ${e.event_id}`);
  };
  const ids = new Set<string>();
  const types = new Set<string>(EVENT_TYPES);
  const channels = new Set<string>(CHANNELS);
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as ContactEvent;
    if (i > 0) check(e.occurred_at >= (events[i - 1] as ContactEvent).occurred_at, 'globally sorted', e);
    check(Number.isInteger(e.occurred_at), 'integer ms', e);
    check(!ids.has(e.event_id), 'unique event_id', e);
    ids.add(e.event_id);
    check(e.source === 'simulator' && e.direction === 'inbound', 'source/direction', e);
    check(types.has(e.type) && channels.has(e.channel), 'enums', e);
    check(typeof e.queue_id === 'string', 'queue_id', e);
  }

  for (const [cid, list] of byContact(events)) {
    for (let i = 1; i < list.length; i++) check((list[i] as ContactEvent).occurred_at >= (list[i - 1] as ContactEvent).occurred_at, 'contact sorted', list[i] as ContactEvent);
    if (isAgentKey(cid)) {
      // agent state machine: each change starts from the state the previous one entered
      for (let i = 1; i < list.length; i++) {
        const prev = list[i - 1] as ContactEvent;
        const e = list[i] as ContactEvent;
        check(e.previous_agent_state === prev.agent_state, 'previous_agent_state', e);
        check(e.previous_state_ms === e.occurred_at - prev.occurred_at, 'previous_state_ms', e);
        check(e.agent_state !== e.previous_agent_state, 'a real change', e);
      }
      continue;
    }
    let queuedAt: number | null = null;
    let queuedOn: string | null = null;
    let created: number | null = null;
    let heldAt: number | null = null;
    let holdSum = 0;
    const ended = new Map<string, ContactEvent>(); // agent → contact_ended awaiting its wrap-up
    for (let i = 0; i < list.length; i++) {
      const e = list[i] as ContactEvent;
      check(/^cust-\d+$/.test(e.customer_id ?? '') && typeof e.topic === 'string', 'customer and topic', e);
      switch (e.type) {
        case 'contact_created':
          check(created === null, 'created once', e);
          created = e.occurred_at;
          break;
        case 'queued':
          check(queuedAt === null, 'previous leg answered or abandoned before queueing again', e);
          queuedAt = e.occurred_at;
          queuedOn = e.queue_id;
          break;
        case 'answered':
        case 'abandoned':
          check(queuedAt !== null && e.queue_id === queuedOn, 'follows a queued on the same queue', e);
          check(e.wait_ms === e.occurred_at - (queuedAt ?? NaN) && (e.wait_ms ?? -1) >= 0, 'wait_ms = now - queued', e);
          if (e.type === 'answered') check(/^a-/.test(e.agent_id ?? '') && /^team-/.test(e.team_id ?? ''), 'agent and team', e);
          else check(e.agent_id === null, 'no agent on abandon', e);
          queuedAt = null;
          holdSum = 0;
          break;
        case 'hold_started':
          heldAt = e.occurred_at;
          break;
        case 'hold_ended':
          check(heldAt !== null && e.hold_ms === e.occurred_at - heldAt, 'hold_ms', e);
          holdSum += e.hold_ms ?? 0;
          heldAt = null;
          break;
        case 'contact_ended':
          check((e.talk_ms ?? 0) > 0 && e.hold_ms === holdSum, 'talk and hold', e);
          ended.set(e.agent_id as string, e);
          break;
        case 'wrapup_completed': {
          const c = ended.get(e.agent_id as string);
          check(c !== undefined, 'wrap-up follows the agent\'s contact_ended', e);
          if (!c) break;
          check(e.acw_ms === e.occurred_at - c.occurred_at, 'acw_ms', e);
          check(e.handle_ms === (c.talk_ms as number) + (c.hold_ms as number) + (e.acw_ms as number), 'handle = talk + hold + acw', e);
          check(e.queue_id === c.queue_id && typeof e.resolution_code === 'string', 'wrap-up queue and code', e);
          ended.delete(e.agent_id as string);
          break;
        }
        case 'resolved':
          check(e.resolution_ms === e.occurred_at - (created ?? NaN) && typeof e.resolution_code === 'string', 'resolution_ms', e);
          break;
        case 'survey_response': {
          const csat = e.survey_kind === 'csat';
          check(csat || e.survey_kind === 'nps', 'survey kind', e);
          check(e.scale_min === (csat ? 1 : 0) && e.scale_max === (csat ? 5 : 10), 'scale', e);
          const sc = e.score ?? NaN;
          check(Number.isInteger(sc) && sc >= (e.scale_min ?? NaN) && sc <= (e.scale_max ?? NaN), 'score within scale', e);
          break;
        }
        case 'agent_message':
          check((e.response_ms ?? -1) >= 0 && typeof e.first_response === 'boolean', 'response_ms', e);
          break;
        case 'transferred': {
          // transferred, contact_ended, then queued on the target at the same instant
          const next = list[i + 2];
          if (next) check(next.type === 'queued' && next.queue_id === e.attributes.to_queue && next.occurred_at === e.occurred_at, 'requeued on the target', e);
          break;
        }
      }
    }
    if (opts.complete) check(queuedAt === null && ended.size === 0, 'complete contact', list[0] as ContactEvent);
  }
  expect(problems).toEqual([]);
}

describe('generateEvents', () => {
  it('is deterministic: same options, byte-identical events; another seed differs', () => {
    const opts: GeneratorOptions = { seed: 123, start: DAY_START + 9 * HOUR, durationMs: 2 * HOUR, arrivalsPerHour: 800 };
    const a = generateEvents(opts);
    const b = generateEvents({ ...opts });
    expect(a.length).toBeGreaterThan(5_000);
    expect(digest(b)).toBe(digest(a));
    expect(digest(generateEvents({ ...opts, seed: 124 }))).not.toBe(digest(a));
    expect(digest([...eventStream(opts)])).toBe(digest(a));
  });

  it('emits complete events: every schema field present, ids stable and unique', () => {
    for (const e of day.slice(0, 2_000)) expect(e).toEqual(makeEvent(e));
    const first = day.find((e) => e.type === 'answered') as ContactEvent;
    expect(first.event_id).toMatch(/^sim:c-42-\d+:answered:\d+$/);
    expect(first.tenant_id).toBe('demo');
    expect(generateEvents({ ...dayOpts, durationMs: HOUR, tenantId: 'acme' })[0]?.tenant_id).toBe('acme');
  });

  it('holds the contact invariants over a full day and over a drained run', () => {
    checkInvariants(day, { complete: false });
    checkInvariants(drained, { complete: true });
  });

  it('covers the event types of the pipeline', () => {
    const types = new Set(day.map((e) => e.type));
    for (const t of [
      'contact_created', 'queued', 'blocked', 'answered', 'abandoned', 'agent_message', 'hold_started', 'hold_ended',
      'transferred', 'escalated', 'contact_ended', 'wrapup_completed', 'resolved', 'reopened', 'survey_response',
      'qa_evaluation', 'agent_state_changed', 'kb_article_viewed', 'self_service_resolved', 'customer_business_event',
    ] as const) expect(types, t).toContain(t);
    const states = new Set(day.filter((e) => e.type === 'agent_state_changed').map((e) => e.agent_state));
    expect([...states].sort()).toEqual(['after_call_work', 'available', 'away', 'busy', 'offline']);
    expect(new Set(day.map((e) => e.queue_id))).toEqual(new Set(['billing', 'support', 'sales', 'chat', 'email']));
  });

  it('drained: every queued ends answered or abandoned; every answer gets an end and a wrap-up', () => {
    const queued = countType(drained, 'queued');
    expect(queued).toBeGreaterThan(1_000);
    expect(countType(drained, 'answered') + countType(drained, 'abandoned')).toBe(queued);
    expect(countType(drained, 'contact_ended')).toBe(countType(drained, 'answered'));
    expect(countType(drained, 'wrapup_completed')).toBe(countType(drained, 'answered'));
    // the agents' time adds up: per agent, busy + after-call-work time in the state changes
    // equals the handle time of its wrap-ups (what occupancy is computed from)
    const handle = new Map<string, number>();
    const worked = new Map<string, number>();
    for (const e of drained) {
      const agent = e.agent_id as string;
      if (e.type === 'wrapup_completed') handle.set(agent, (handle.get(agent) ?? 0) + (e.handle_ms as number));
      if (e.type === 'agent_state_changed' && (e.previous_agent_state === 'busy' || e.previous_agent_state === 'after_call_work')) {
        worked.set(agent, (worked.get(agent) ?? 0) + (e.previous_state_ms as number));
      }
    }
    expect(handle.size).toBeGreaterThan(20);
    expect(worked).toEqual(handle);
  });

  it('keeps agents to one contact at a time, answering only when available', () => {
    const state = new Map<string, string>();
    for (const e of day) {
      if (e.type === 'agent_state_changed') state.set(e.agent_id as string, e.agent_state as string);
      else if (e.type === 'answered') {
        // the agent's available→busy change comes right after the answer, same instant
        expect(state.get(e.agent_id as string)).toBe('available');
      }
    }
    const busyEvents = day.filter((e) => e.type === 'agent_state_changed' && e.agent_state === 'busy').length;
    expect(busyEvents).toBe(countType(day, 'answered'));
  });

  it('follows the intraday curve: many more arrivals at 10:00 than at 03:00', () => {
    const inHour = (h: number) => countType(day, 'contact_created', (e) => new Date(e.occurred_at).getUTCHours() === h);
    expect(inHour(10)).toBeGreaterThan(5 * inHour(3));
    expect(inHour(3)).toBeGreaterThan(0);
    // and the day's volume matches arrivalsPerHour (self-service sessions aside)
    const created = countType(day, 'contact_created');
    expect(created).toBeGreaterThan(600 * 24 * 0.8);
    expect(created).toBeLessThan(600 * 24 * 1.0);
  });

  it('has short and long abandons, blocks, holds, transfers at plausible rates', () => {
    const ab = day.filter((e) => e.type === 'abandoned');
    const short = ab.filter((e) => (e.wait_ms as number) < 5_000).length;
    expect(short).toBeGreaterThan(10);
    expect(ab.length - short).toBeGreaterThan(10);
    const offered = countType(day, 'queued');
    const answered = countType(day, 'answered');
    expect((ab.length - short) / (offered - short)).toBeLessThan(0.1);
    expect(countType(day, 'blocked')).toBeGreaterThan(0);
    expect(countType(day, 'blocked') / offered).toBeLessThan(0.02);
    const voiceAnswered = countType(day, 'answered', (e) => e.channel === 'voice');
    const holdRate = countType(day, 'hold_ended') / voiceAnswered;
    expect(holdRate).toBeGreaterThan(0.12);
    expect(holdRate).toBeLessThan(0.3);
    const transferRate = countType(day, 'transferred') / answered;
    expect(transferRate).toBeGreaterThan(0.02);
    expect(transferRate).toBeLessThan(0.1);
    // service level (20 s, short abandons excluded) in a realistic band for the whole center
    const met = countType(day, 'answered', (e) => (e.wait_ms as number) <= 20_000 && e.channel === 'voice');
    const late = countType(day, 'abandoned', (e) => (e.wait_ms as number) > 20_000 && e.channel === 'voice');
    const sl = met / (voiceAnswered + late);
    expect(sl).toBeGreaterThan(0.7);
    expect(sl).toBeLessThan(0.99);
  });

  it('chat and email replies carry response times; each chat has one first response', () => {
    const perContact = new Map<string, number>();
    for (const e of day) {
      if (e.type === 'agent_message' && e.first_response) perContact.set(e.contact_id, (perContact.get(e.contact_id) ?? 0) + 1);
    }
    expect(perContact.size).toBeGreaterThan(100);
    expect(Math.max(...perContact.values())).toBe(1);
    const chatFirst = day.filter((e) => e.type === 'agent_message' && e.first_response && e.channel === 'chat');
    // first response time counts from the customer's first message, so it includes the wait
    for (const e of chatFirst.slice(0, 200)) expect(e.response_ms).toBeGreaterThan(1_000);
  });

  it('with a calendar, blocks every call or chat arriving while closed and queues no new one then; tickets are taken', () => {
    // open 08:00–18:00 UTC on weekdays: the simulated Monday is closed at night and in the evening
    const calendar = calendarSchema.parse({ versions: [{ effective_from: '2020-01-01', zone: 'UTC', weekly: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['08:00', '18:00']]])) }] });
    const withCal = generateEvents({ ...dayOpts, calendar });
    const open = (t: number) => isOpenAt(calendar, t);
    // a contact's first queueing: transfers and reopened tickets of contacts taken in before closing are still served
    const firstQueued = new Map<string, ContactEvent>();
    for (const e of withCal) if (e.type === 'queued' && !firstQueued.has(e.contact_id)) firstQueued.set(e.contact_id, e);
    const live = new Set(['voice', 'chat', 'video']);
    const closedQueued = [...firstQueued.values()].filter((e) => live.has(e.channel) && !open(e.occurred_at));
    // tickets are taken after hours
    expect([...firstQueued.values()].filter((e) => !live.has(e.channel) && !open(e.occurred_at)).length).toBeGreaterThan(10);
    const afterHoursBlocked = withCal.filter((e) => e.type === 'blocked' && !open(e.occurred_at));
    expect(closedQueued).toEqual([]);
    expect(afterHoursBlocked.length).toBeGreaterThan(200);
    // as many contacts arrive (the arrival streams are the queues' own; a blocked caller may come back later, as without a calendar)
    const created = (es: ContactEvent[]) => es.filter((e) => e.type === 'contact_created').length;
    expect(Math.abs(created(withCal) / created(day) - 1)).toBeLessThan(0.05);
    const blockedInHours = (es: ContactEvent[]) => es.filter((e) => e.type === 'blocked' && open(e.occurred_at)).length;
    expect(blockedInHours(withCal)).toBeGreaterThan(0);
  });

  it('priorities: tickets carry one (low/normal/high/urgent, about 20/55/20/5 %), calls none, every event of a contact the same', () => {
    const es = generateEvents({ ...dayOpts, priorities: true });
    const voice = es.filter((e) => e.channel === 'voice' && e.contact_id.startsWith('c-'));
    expect(voice.length).toBeGreaterThan(1000);
    expect(voice.every((e) => e.priority === null)).toBe(true);
    const byC = new Map<string, Set<string | null>>();
    for (const e of es) if (e.channel !== 'voice' && e.contact_id.startsWith('c-')) (byC.get(e.contact_id) ?? byC.set(e.contact_id, new Set()).get(e.contact_id)!).add(e.priority);
    expect(byC.size).toBeGreaterThan(500);
    expect([...byC.values()].every((s) => s.size === 1 && !s.has(null))).toBe(true);
    const share = (p: string) => [...byC.values()].filter((s) => s.has(p)).length / byC.size;
    expect(share('low')).toBeCloseTo(0.2, 1);
    expect(share('normal')).toBeCloseTo(0.55, 1);
    expect(share('high')).toBeCloseTo(0.2, 1);
    expect(share('urgent')).toBeGreaterThan(0.02);
    expect(share('urgent')).toBeLessThan(0.09);
    // the rest of the run is the same run
    expect(es.map((e) => ({ ...e, priority: null }))).toEqual(day);
  });

  it('scores surveys worse after long waits', () => {
    const wait = new Map<string, number>();
    for (const e of day) if (e.type === 'answered') wait.set(e.contact_id, (wait.get(e.contact_id) ?? 0) + (e.wait_ms as number));
    const short: number[] = [];
    const long: number[] = [];
    for (const e of day) {
      if (e.type !== 'survey_response' || e.survey_kind !== 'csat' || e.channel !== 'voice') continue;
      const w = wait.get(e.contact_id) ?? 0;
      if (w < 10_000) short.push(e.score as number);
      else if (w > 45_000) long.push(e.score as number);
    }
    const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(long.length).toBeGreaterThan(10);
    expect(avg(long)).toBeLessThan(avg(short) - 0.2);
    const all = day.filter((e) => e.type === 'survey_response' && e.survey_kind === 'csat');
    const topTwo = all.filter((e) => (e.score as number) >= 4).length / all.length;
    expect(topTwo).toBeGreaterThan(0.6);
    expect(topTwo).toBeLessThan(0.95);
  });

  it('draws customers from a pool with repeat contacts', () => {
    const contacts = new Map<string, Set<string>>();
    for (const e of day) {
      if (e.type !== 'contact_created') continue;
      const s = contacts.get(e.customer_id as string) ?? new Set<string>();
      s.add(e.contact_id);
      contacts.set(e.customer_id as string, s);
    }
    const repeaters = [...contacts.values()].filter((s) => s.size > 1).length;
    expect(repeaters).toBeGreaterThan(100);
  });

  it('scales to many queues with their own agents and teams', () => {
    const evs = generateEvents({ seed: 5, start: DAY_START + 10 * HOUR, durationMs: HOUR / 2, queueCount: 50, arrivalsPerHour: 20_000 });
    const queues = new Set(evs.filter((e) => e.type === 'queued').map((e) => e.queue_id));
    expect(queues.size).toBe(50);
    expect(queues).toContain('billing-2');
    expect(queues).toContain('email-10');
    for (const e of evs) if (e.type === 'answered') expect(e.agent_id?.startsWith(`a-${e.queue_id}-`)).toBe(true);
  });

  it('offline scenario: part of a queue goes offline, takes no contacts, answers fewer, returns', () => {
    const base: GeneratorOptions = { seed: 11, start: DAY_START + 8 * HOUR, durationMs: 6 * HOUR, arrivalsPerHour: 600 };
    const from = DAY_START + 10 * HOUR;
    const to = DAY_START + 12 * HOUR;
    const normal = generateEvents(base);
    const incident = generateEvents({ ...base, offline: [{ queueId: 'billing', fraction: 0.6, from, to }] });
    const answeredShare = (evs: ContactEvent[], q: string) => {
      const inWindow = (e: ContactEvent) => e.queue_id === q && e.occurred_at >= from && e.occurred_at < to;
      return countType(evs, 'answered', inWindow) / countType(evs, 'queued', inWindow);
    };
    expect(answeredShare(incident, 'billing')).toBeLessThan(answeredShare(normal, 'billing') - 0.1);
    // other queues: the same arrivals (per-queue random streams), about the same service
    const createdAt = (evs: ContactEvent[], q: string) => evs.filter((e) => e.type === 'contact_created' && e.queue_id === q).map((e) => e.occurred_at);
    expect(createdAt(incident, 'support')).toEqual(createdAt(normal, 'support'));
    expect(Math.abs(answeredShare(incident, 'support') - answeredShare(normal, 'support'))).toBeLessThan(0.03);

    const offlineAt = new Map<string, number>();
    for (const e of incident) {
      if (e.type === 'agent_state_changed' && e.queue_id === 'billing') {
        if (e.agent_state === 'offline' && e.occurred_at >= from && e.occurred_at < to) offlineAt.set(e.agent_id as string, e.occurred_at);
        else if (e.agent_state !== 'offline') offlineAt.delete(e.agent_id as string);
      }
      if (e.type === 'answered' && e.queue_id === 'billing') expect(offlineAt.has(e.agent_id as string)).toBe(false);
    }
    const wentOffline = new Set(
      incident.filter((e) => e.type === 'agent_state_changed' && e.queue_id === 'billing' && e.agent_state === 'offline' && e.occurred_at >= from && e.occurred_at < from + 20 * 60_000).map((e) => e.agent_id),
    );
    expect(wentOffline.size).toBeGreaterThan(5);
    // after the window they log back in and service recovers
    const back = incident.filter((e) => e.type === 'agent_state_changed' && e.queue_id === 'billing' && e.previous_agent_state === 'offline' && e.occurred_at === to);
    expect(back.length).toBeGreaterThan(5);
  });

  it('warm start: steady output from the first minute, no history emitted', () => {
    const flat = new Array<number>(24).fill(1);
    const evs = generateEvents({ seed: 3, start: DAY_START, durationMs: 20 * 60_000, arrivalsPerHour: 20_000, intraday: flat, warmStart: true });
    expect(evs[0]?.occurred_at).toBeGreaterThanOrEqual(DAY_START);
    const perMinute = new Array<number>(20).fill(0);
    for (const e of evs) {
      const m = Math.floor((e.occurred_at - DAY_START) / 60_000);
      perMinute[m] = (perMinute[m] ?? 0) + 1;
    }
    const steady = perMinute.slice(10).reduce((s, x) => s + x, 0) / 10;
    expect((perMinute[0] as number) / steady).toBeGreaterThan(0.9);
    expect((perMinute[0] as number) / steady).toBeLessThan(1.1);
    // contacts in flight at the start are partial, but still ordered and unique
    const ids = new Set(evs.map((e) => e.event_id));
    expect(ids.size).toBe(evs.length);
    for (let i = 1; i < evs.length; i++) expect((evs[i] as ContactEvent).occurred_at).toBeGreaterThanOrEqual((evs[i - 1] as ContactEvent).occurred_at);
    // no agent logs in at the start: they are already working
    expect(evs.filter((e) => e.type === 'agent_state_changed' && e.previous_agent_state === 'offline' && e.occurred_at === DAY_START)).toHaveLength(0);
  });

  it("staffing 'fixed' keeps the whole roster logged in", () => {
    const evs = generateEvents({ seed: 8, start: DAY_START, durationMs: 6 * HOUR, arrivalsPerHour: 300, staffing: 'fixed', agentsPerQueue: 4 });
    const changes = evs.filter((e) => e.type === 'agent_state_changed');
    const logins = changes.filter((e) => e.previous_agent_state === 'offline');
    expect(logins).toHaveLength(20);
    expect(logins.every((e) => e.occurred_at === DAY_START)).toBe(true);
    expect(changes.filter((e) => e.agent_state === 'offline')).toHaveLength(0);
  });

  it('validates options', () => {
    expect(() => generateEvents({ seed: 1, start: DAY_START, durationMs: Infinity })).toThrow(/eventStream/);
    expect(() => generateEvents({ seed: 1, start: DAY_START, durationMs: HOUR, offline: [{ queueId: 'nope', fraction: 0.5, from: 0, to: 1 }] })).toThrow(/unknown queue/);
    expect(() => generateEvents({ seed: 1, start: DAY_START, durationMs: HOUR, intraday: [1, 2] })).toThrow(/24/);
    expect(generateEvents({ seed: 1, start: DAY_START, durationMs: 0 })).toEqual([]);
  });

  it('streams lazily without an end', () => {
    const it = eventStream({ seed: 9, start: DAY_START, durationMs: Infinity, arrivalsPerHour: 100 });
    let n = 0;
    let last = 0;
    for (const e of it) {
      expect(e.occurred_at).toBeGreaterThanOrEqual(last);
      last = e.occurred_at;
      if (++n === 5_000) break;
    }
    expect(n).toBe(5_000);
  });
});
