import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pino from 'pino';
import { PRIORITIES, makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
import {
  CalendarIndex, DIMENSIONS, WEEKDAYS, kpiOptionsSchema, referenceSeries, slaPolicyListSchema, slaTargetsFor, tenantCalendarSchema,
  type Dimension, type FoldContext, type Granularity, type Series,
} from '@switchboard/kpi';
import { generateEvents } from '@switchboard/simulator';
import { DEMO_CALENDAR } from '../src/demo-business';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';
import { differences } from './helpers';

// Property: for random calendars (zones with DST and half-hour offsets, split shifts, whole and
// partial holidays, a version change near the events, queue mappings and a default) and random
// ordered SLA policies, configured over the HTTP API like a user would, random contact histories
// through the whole pipeline (ingest → Kafka → aggregator → ClickHouse → /v1/kpis and the BI
// views) equal the reference for every business-time and SLA KPI, at every grain, with groups.
// The reference reads the same configuration through packages/kpi alone (CalendarIndex,
// slaTargetsFor, businessMs), not through the aggregator's book.

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const run = randomUUID().slice(0, 8);
const MIN = 60_000;
const HOUR = 60 * MIN;
const now = Date.now();
const start = Math.floor((now - 3 * HOUR) / MIN) * MIN;
const span = { from: Math.floor(start / (24 * HOUR)) * 24 * HOUR, to: start + 3 * HOUR };
const SPAN_MS = 2 * HOUR;
const BUSINESS_KPIS = [
  'offered', 'in_hours_offered', 'service_level', 'service_level_in_hours',
  'frt_ms', 'frt_bh_ms', 'avg_response_bh_ms', 'art_bh_ms', 'frt_bh_p50_ms', 'frt_bh_p90_ms', 'art_bh_p50_ms', 'art_bh_p95_ms',
  'sla_first_reply_rate', 'sla_next_reply_rate', 'sla_resolution_rate', 'sla_breaches',
];

let node: SingleNode;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'sb-bprop-'));
  const env = singleNodeEnvSchema.parse({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX: `bprop-${run}-`,
    KAFKA_EVENT_PARTITIONS: '3',
    AGGREGATOR_GROUP_ID: `bprop-${run}`,
    AGGREGATOR_FLUSH_MS: '100',
    PORT: '0',
    SWITCHBOARD_STATE: stateDir,
  });
  node = await startSingleNode(env, log);
});

afterAll(async () => {
  await node?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

// ---- random calendars and policies -------------------------------------------------------

const hhmm = (halfHours: number) => (halfHours === 48 ? '24:00' : `${String(Math.floor(halfHours / 2)).padStart(2, '0')}:${halfHours % 2 ? '30' : '00'}`);
/** a day: 0–2 disjoint intervals on the half hour */
const day = fc.uniqueArray(fc.integer({ min: 0, max: 48 }), { minLength: 0, maxLength: 4 }).map((cuts) => {
  const s = [...cuts].sort((a, b) => a - b);
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < s.length; i += 2) out.push([hhmm(s[i]!), hhmm(s[i + 1]!)]);
  return out;
});
const localDate = (offsetDays: number) => new Date(now + offsetDays * 24 * HOUR).toISOString().slice(0, 10);
const version = (effective_from: string) => fc.record({
  effective_from: fc.constant(effective_from),
  zone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham'),
  weekly: fc.tuple(...WEEKDAYS.map(() => day)).map((days) => Object.fromEntries(WEEKDAYS.map((d, i) => [d, days[i]!]))),
  holidays: fc.option(fc.record({ date: fc.constantFrom(localDate(-1), localDate(0)), open: fc.option(day.filter((d) => d.length > 0), { nil: undefined }) }), { nil: undefined })
    .map((h) => (h ? [h.open ? { date: h.date, open: h.open } : { date: h.date }] : [])),
});
const calendarBody = fc.tuple(version('2020-01-01'), fc.option(version(localDate(0)), { nil: undefined }))
  .map(([a, b]) => ({ versions: b ? [a, b] : [a] }));
const QUEUES = ['q1', 'q2', 'q3'];
/** two calendars: the first judges some queues, the second is maybe the default */
const calendars = fc.record({
  a: calendarBody,
  aQueues: fc.subarray(QUEUES),
  b: fc.option(calendarBody, { nil: undefined }),
  bDefault: fc.boolean(),
});
const target = fc.record({ minutes: fc.integer({ min: 1, max: 48 * 60 }), business_hours: fc.boolean() });
const policy = fc.record({
  conditions: fc.record({
    channel: fc.option(fc.subarray(['voice', 'chat', 'email'] as const, { minLength: 1 }), { nil: undefined }),
    queue_id: fc.option(fc.subarray(QUEUES, { minLength: 1 }), { nil: undefined }),
    priority: fc.option(fc.subarray([...PRIORITIES], { minLength: 1 }), { nil: undefined }),
  }, { requiredKeys: [] }),
  targets: fc.dictionary(fc.constantFrom(...PRIORITIES), fc.record({ first_reply: target, next_reply: target, resolution: target }, { requiredKeys: [] })
    .filter((t) => Object.keys(t).length > 0), { minKeys: 1, maxKeys: 4 }),
});
const policies = fc.array(policy, { maxLength: 3 });

// ---- random histories: replies and resolutions reaching back over nights and weekends --------

const contact = fc.record({
  t0: fc.integer({ min: 0, max: SPAN_MS - 1 }),
  channel: fc.constantFrom('voice', 'chat', 'email') as fc.Arbitrary<ContactEvent['channel']>,
  queue: fc.constantFrom(...QUEUES),
  team: fc.constantFrom('t1', 't2', null),
  priority: fc.option(fc.constantFrom(...PRIORITIES), { nil: null, freq: 4 }),
  fate: fc.constantFrom('answered', 'answered', 'abandoned'),
  wait: fc.oneof(fc.integer({ min: 0, max: 90 * MIN }), fc.constantFrom(0, 20_000, 20_001)),
  replies: fc.array(fc.record({ dt: fc.integer({ min: 0, max: 10 * MIN }), response: fc.oneof(fc.integer({ min: 0, max: 4 * HOUR }), fc.integer({ min: 0, max: 5 * 24 * HOUR })), first: fc.boolean() }), { maxLength: 3 }),
  resolution: fc.option(fc.oneof(fc.integer({ min: 0, max: 8 * HOUR }), fc.integer({ min: 0, max: 10 * 24 * HOUR })), { nil: null }),
});
const history = fc.array(contact, { minLength: 10, maxLength: 40, size: 'max' });

function toEvents(h: (typeof history extends fc.Arbitrary<infer H> ? H : never), tenant: string): ContactEvent[] {
  const out: ContactEvent[] = [];
  let seq = 0;
  const push = (init: Omit<ContactEventInit, 'event_id' | 'tenant_id' | 'direction' | 'source'>) =>
    out.push(makeEvent({ event_id: `${tenant}:${seq++}`, tenant_id: tenant, direction: 'inbound', source: 'api', ...init }));
  h.forEach((c, i) => {
    const base = { contact_id: `c${i}`, channel: c.channel, queue_id: c.queue, team_id: c.team, priority: c.priority };
    const queuedAt = start + c.t0;
    push({ ...base, type: 'queued', occurred_at: queuedAt });
    // the answer or abandon comes after the wait, at most 30 min past the span, so with the
    // replies and the resolution (≤ 11 min later) every event is at least 19 min in the past
    const t = queuedAt + Math.min(c.wait, SPAN_MS + 30 * MIN - c.t0 - 1);
    const wait = t - queuedAt;
    if (c.fate === 'abandoned') return push({ ...base, type: 'abandoned', occurred_at: t, wait_ms: wait });
    push({ ...base, type: 'answered', occurred_at: t, wait_ms: wait, agent_id: 'a1' });
    for (const r of c.replies) push({ ...base, type: 'agent_message', occurred_at: t + r.dt, response_ms: r.response, first_response: r.first, agent_id: 'a1' });
    if (c.resolution !== null) push({ ...base, type: 'resolved', occurred_at: t + 11 * MIN, resolution_ms: c.resolution, agent_id: 'a1' });
  });
  return out;
}

// ---- the pipeline against the reference --------------------------------------------------------

interface Q { granularity: Granularity; groupBy: Dimension[]; options?: Record<string, string | number> }
const QUERIES: Q[] = [
  { granularity: '1m', groupBy: [] },
  { granularity: '5m', groupBy: ['queue_id'] },
  { granularity: '15m', groupBy: ['queue_id', 'channel'] },
  { granularity: '30m', groupBy: ['team_id'], options: { sl_threshold_s: 30, sl_formula: 'offered' } },
  { granularity: '1h', groupBy: ['queue_id'] },
  { granularity: '1d', groupBy: ['channel'] },
];

async function call(method: string, path: string, tenant: string, body?: unknown): Promise<Response> {
  return fetch(`${node.http.url}${path}`, { method, headers: { 'content-type': 'application/json', 'x-tenant-id': tenant }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

async function api(tenant: string, q: Q): Promise<Series[]> {
  const params = new URLSearchParams({ metrics: BUSINESS_KPIS.join(','), from: new Date(span.from).toISOString(), to: new Date(span.to).toISOString(), granularity: q.granularity });
  if (q.groupBy.length) params.set('group_by', q.groupBy.join(','));
  for (const [k, v] of Object.entries(q.options ?? {})) params.set(k, String(v));
  const r = await call('GET', `/v1/kpis?${params}`, tenant);
  const body = (await r.json()) as { series: Series[] };
  expect(r.status, JSON.stringify(body)).toBe(200);
  return body.series;
}

describe('property: random calendars, SLA policies and histories through the pipeline equal the reference', () => {
  it('for every business-time and SLA KPI at every grain, with groups, and in the BI views', async () => {
    let runs = 0;
    let sent = 0;
    let values = 0;
    await fc.assert(
      fc.asyncProperty(fc.noBias(fc.record({ calendars, policies, history })), async ({ calendars: cals, policies: ps, history: h }) => {
        const tenant = `bprop-${run}-${runs++}`;
        // configure as a user would; the API must take every generated configuration
        const a = { ...cals.a, queues: cals.aQueues };
        const r1 = await call('PUT', '/v1/calendars/a', tenant, a);
        expect(r1.status, await r1.clone().text()).toBe(201);
        const b = cals.b ? { ...cals.b, default: cals.bDefault } : undefined;
        if (b) expect((await call('PUT', '/v1/calendars/b', tenant, b)).status).toBe(201);
        const list = { effective_from: new Date(start - 30 * 24 * HOUR).toISOString(), policies: ps.map((p, i) => ({ name: `p${i}`, ...p })) };
        const r2 = await call('PUT', '/v1/sla-policies', tenant, list);
        expect(r2.status, await r2.clone().text()).toBe(200);

        // the reference's own reading of the same configuration
        const index = new CalendarIndex([tenantCalendarSchema.parse(a), ...(b ? [tenantCalendarSchema.parse(b)] : [])]);
        const parsedPolicies = slaPolicyListSchema.parse(list).policies;
        const context: FoldContext = {
          calendarFor: (_t, queue) => index.calendarFor(queue),
          slaTargetsFor: (e) => slaTargetsFor(parsedPolicies, e),
        };
        const events = toEvents(h, tenant);
        const r3 = await call('POST', '/v1/events', tenant, events);
        expect(r3.status, await r3.clone().text()).toBe(202);
        sent += events.length;
        const reference = (q: Q) => referenceSeries(events, {
          tenant, ...span, granularity: q.granularity, metrics: BUSINESS_KPIS, groupBy: q.groupBy, filters: {}, options: kpiOptionsSchema.parse(q.options ?? {}), context,
        });
        // caught up when the first query matches; a real difference shows after the grace
        const deadline = Date.now() + 20_000;
        let diff: string[] = [];
        for (;;) {
          diff = differences(await api(tenant, QUERIES[0]!), reference(QUERIES[0]!));
          if (diff.length === 0 || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(diff.slice(0, 10)).toEqual([]);
        for (const q of QUERIES.slice(1)) {
          const want = reference(q);
          expect(differences(await api(tenant, q), want).slice(0, 10), JSON.stringify(q)).toEqual([]);
          values += want.reduce((n, s) => n + s.points.length * BUSINESS_KPIS.length, 0);
        }
        // the BI view of the hour, row by row at default options
        const rs = await node.store.client.query({ query: `SELECT * FROM kpi_1h WHERE tenant_id = {t:String}`, query_params: { t: tenant }, format: 'JSONEachRow' });
        const rows = await rs.json<Record<string, unknown>>();
        const want = reference({ granularity: '1h', groupBy: [...DIMENSIONS] });
        const byKey = new Map<string, Record<string, unknown>>();
        for (const s of want) for (const p of s.points) byKey.set(JSON.stringify([Date.parse(p.ts), ...DIMENSIONS.map((d) => s.group[d] ?? '')]), p);
        const problems: string[] = [];
        for (const row of rows) {
          const key = JSON.stringify([Date.parse(`${String(row.bucket).replace(' ', 'T')}Z`), ...DIMENSIONS.map((d) => row[d])]);
          const p = byKey.get(key);
          if (!p) { problems.push(`unexpected row ${key}`); continue; }
          for (const id of BUSINESS_KPIS) {
            const got = row[id] === null ? null : Number(row[id]);
            const w = p[id] as number | null;
            if (!(got === w || (typeof got === 'number' && typeof w === 'number' && Math.abs(got - w) <= 1e-9 * Math.max(1, Math.abs(w))))) problems.push(`kpi_1h ${key} ${id}: got ${got}, want ${w}`);
          }
        }
        expect(problems.slice(0, 10)).toEqual([]);
      }),
      // bounded by count: every run completes, however slow the machine; a failure reports its
      // counterexample at once (shrinking through the pipeline costs the 20 s grace per step)
      { numRuns: 8, endOnFailure: true },
    );
    console.log(`[business property] ${runs} random configurations and histories, ${sent} events, ${values} KPI values and the BI view equal to the reference`);
  }, 600_000);
});

describe('a simulated day with a calendar and SLA policies', () => {
  it('through the pipeline: every business-time and SLA KPI per queue and hour equals the reference, after-hours arrivals blocked', async () => {
    const tenant = `bday-${run}`;
    // the demo policy's targets (15 min and up) are missed a few times a day at most, and on some
    // seeds and weekdays not once; the simulator's first replies take ~3 min, so 3-minute targets
    // are missed by about a third of tickets on any day, and the SLA KPIs have something to count
    const within = { first_reply: { minutes: 3, business_hours: true }, next_reply: { minutes: 10, business_hours: true }, resolution: { minutes: 60, business_hours: true } };
    const policies = slaPolicyListSchema.parse({ policies: [{ name: 'tight', targets: { urgent: within, high: within, normal: within, low: within } }] }).policies;
    // yesterday, a full UTC day: the demo calendar of npm start closes at night
    const dayStart = Math.floor(now / (24 * HOUR)) * 24 * HOUR - 24 * HOUR;
    expect((await call('PUT', '/v1/calendars/center', tenant, { ...DEMO_CALENDAR, default: true })).status).toBe(201);
    expect((await call('PUT', '/v1/sla-policies', tenant, { effective_from: new Date(dayStart - HOUR).toISOString(), policies })).status).toBe(200);
    const events = generateEvents({ seed: tenant, tenantId: tenant, start: dayStart, durationMs: 24 * HOUR, arrivalsPerHour: 120, queueCount: 5, calendar: DEMO_CALENDAR, priorities: true });
    for (let i = 0; i < events.length; i += 5000) expect((await call('POST', '/v1/events', tenant, events.slice(i, i + 5000))).status).toBe(202);
    const index = new CalendarIndex([tenantCalendarSchema.parse({ ...DEMO_CALENDAR, default: true })]);
    const context: FoldContext = { calendarFor: (_t, q) => index.calendarFor(q), slaTargetsFor: (e) => slaTargetsFor(policies, e) };
    const q = { from: dayStart, to: dayStart + 24 * HOUR };
    const query = async (g: Granularity, groupBy: Dimension[]) => {
      const params = new URLSearchParams({ metrics: BUSINESS_KPIS.join(','), from: new Date(q.from).toISOString(), to: new Date(q.to).toISOString(), granularity: g });
      if (groupBy.length) params.set('group_by', groupBy.join(','));
      const r = await call('GET', `/v1/kpis?${params}`, tenant);
      expect(r.status).toBe(200);
      return ((await r.json()) as { series: Series[] }).series;
    };
    const want = (g: Granularity, groupBy: Dimension[]) => referenceSeries(events, { tenant, ...q, granularity: g, metrics: BUSINESS_KPIS, groupBy, filters: {}, options: kpiOptionsSchema.parse({}), context });
    const deadline = Date.now() + 60_000;
    let diff: string[] = [];
    for (;;) {
      diff = differences(await query('1d', []), want('1d', []));
      if (diff.length === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(diff.slice(0, 10)).toEqual([]);
    expect(differences(await query('1h', ['queue_id']), want('1h', ['queue_id'])).slice(0, 10)).toEqual([]);
    expect(differences(await query('15m', ['channel']), want('15m', ['channel'])).slice(0, 10)).toEqual([]);
    // the day is what a center looks like: calls after hours blocked (fewer offered in hours than
    // calls and chats queued), tickets answered at night (their business time runs short)
    const day = (await query('1d', []))[0]!.points[0]!;
    expect(Number(day.in_hours_offered)).toBeGreaterThan(100);
    expect(Number(day.sla_breaches)).toBeGreaterThan(50);
    expect(Number(day.sla_first_reply_rate)).toBeGreaterThan(0);
    expect(Number(day.sla_first_reply_rate)).toBeLessThan(1);
    expect(Number(day.frt_bh_ms)).toBeLessThan(Number(day.frt_ms));
  }, 300_000);
});
