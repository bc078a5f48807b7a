import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import pino from 'pino';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
import {
  DIMENSIONS, GRANULARITIES, KPI_BY_ID, KPI_IDS, feedsAggregates, kpiIdsAt, kpiOptionsSchema, referenceSeries, stateSpan, windowStart,
  type Dimension, type Granularity, type Series,
} from '@switchboard/kpi';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';
import { differences } from './helpers';

// Property: for any contact history, the whole pipeline (HTTP ingest → real Kafka → aggregator
// → embedded ClickHouse → /v1/kpis, and the BI views) equals the reference computation over the
// same events, for every KPI at several grains, groups, filters and options (the staffing KPIs
// at 15m, 30m, 1h and 1d, by queue, topic, team and in total). fast-check draws
// the histories (threshold-edge waits, transfers, reopens, surveys on several scales, agent
// state changes, customer outcomes), unbiased so that a run holds a few hundred events; each
// run writes to its own tenant.

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const run = randomUUID().slice(0, 8);
const MIN = 60_000;
const HOUR = 60 * MIN;
const now = Date.now();
const start = Math.floor((now - 3 * HOUR) / MIN) * MIN;
const span = { from: start, to: start + 3 * HOUR };
/** event times fall in [start, start + 2 h) so every one is in the past */
const SPAN_MS = 2 * HOUR;

let node: SingleNode;
let stateDir: string;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'sb-prop-'));
  const env = singleNodeEnvSchema.parse({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX: `prop-${run}-`,
    KAFKA_EVENT_PARTITIONS: '3',
    AGGREGATOR_GROUP_ID: `prop-${run}`,
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

// ---- random contact histories ----------------------------------------------------------

const offset = (max: number) => fc.integer({ min: 0, max });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null, freq: 3 });
/** waits around the thresholds (5 s short abandon, 10/20/30 s service level) and past an hour */
const wait = fc.oneof(
  fc.integer({ min: 0, max: 180_000 }),
  fc.constantFrom(0, 4_999, 5_000, 9_999, 10_000, 10_001, 14_999, 15_000, 20_000, 20_001, 30_000, 3_700_000),
);
const survey = fc.oneof(
  fc.record({ kind: fc.constant('csat' as const), scale: fc.constantFrom<[number, number]>([1, 5], [1, 7], [0, 10]) }),
  fc.record({ kind: fc.constant('nps' as const), scale: fc.constantFrom<[number, number]>([0, 10], [1, 5]) }),
  fc.record({ kind: fc.constant('ces' as const), scale: fc.constantFrom<[number, number]>([1, 7], [1, 5]) }),
).chain((s) => fc.record({ kind: fc.constant(s.kind), min: fc.constant(s.scale[0]), max: fc.constant(s.scale[1]), score: fc.integer({ min: s.scale[0], max: s.scale[1] }), dt: offset(20 * MIN) }));

const contact = fc.record({
  t0: offset(SPAN_MS - 45 * MIN),
  channel: fc.constantFrom('voice', 'chat', 'email') as fc.Arbitrary<ContactEvent['channel']>,
  queue: fc.constantFrom('q1', 'q2', 'q3'),
  agent: fc.constantFrom('a1', 'a2', 'a3', 'a4'),
  team: fc.constantFrom('t1', 't2', null),
  topic: fc.constantFrom('complaint', 'billing', 'tech', null),
  customer: maybe(fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5', 'k6')),
  fate: fc.constantFrom('answered', 'answered', 'answered', 'abandoned', 'blocked', 'self_service', 'created_only'),
  wait,
  dtAnswer: offset(3 * MIN),
  messages: fc.array(fc.record({ dt: offset(10 * MIN), response: maybe(fc.integer({ min: 0, max: 600_000 })), first: fc.boolean() }), { maxLength: 3 }),
  holds: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 120_000 })), { maxLength: 2 }),
  /** without holds, contact_ended says hold_ms 0 or nothing */
  zeroHold: fc.boolean(),
  talk: maybe(fc.integer({ min: 0, max: 900_000 })),
  dtEnd: offset(8 * MIN),
  acw: maybe(fc.integer({ min: 0, max: 120_000 })),
  dtWrap: offset(3 * MIN),
  transfers: fc.nat(2),
  escalations: fc.nat(2),
  resolved: fc.boolean(),
  resolutionMs: maybe(fc.integer({ min: 0, max: 48 * HOUR })),
  code: maybe(fc.constantFrom('refund', 'explained', 'reset')),
  reopened: fc.boolean(),
  survey: maybe(survey),
  qa: maybe(fc.record({ max: fc.constantFrom(10, 100), frac: fc.double({ min: 0, max: 1, noNaN: true }), dt: offset(15 * MIN) })),
  kbViews: fc.nat(2),
});

const agentChange = fc.record({
  t: offset(SPAN_MS - 1),
  agent: fc.constantFrom('a1', 'a2', 'a3', 'a4'),
  queue: fc.constantFrom('q1', 'q2', 'q3'),
  team: fc.constantFrom('t1', 't2', null),
  state: fc.constantFrom('available', 'busy', 'after_call_work', 'away', 'offline') as fc.Arbitrary<NonNullable<ContactEvent['agent_state']>>,
  previous: maybe(fc.constantFrom('available', 'busy', 'after_call_work', 'away', 'offline') as fc.Arbitrary<NonNullable<ContactEvent['agent_state']>>),
  previousMs: maybe(fc.integer({ min: 0, max: 2 * HOUR })),
});

const business = fc.record({
  t: offset(SPAN_MS - 1),
  customer: fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5', 'k6'),
  kind: fc.constantFrom('purchase', 'purchase', 'return', 'churned', 'referred') as fc.Arbitrary<NonNullable<ContactEvent['business_kind']>>,
  amount: maybe(fc.integer({ min: 0, max: 100_000 })),
  queue: fc.constantFrom('q1', 'q2', null),
  topic: fc.constantFrom('billing', null),
});

const history = fc.record({
  contacts: fc.array(contact, { minLength: 1, maxLength: 80, size: 'max' }),
  agents: fc.array(agentChange, { maxLength: 40, size: 'max' }),
  business: fc.array(business, { maxLength: 25, size: 'max' }),
});
type History = typeof history extends fc.Arbitrary<infer H> ? H : never;

/** The events of a history, for one tenant; ids are unique per tenant and event. */
function toEvents(h: History, tenant: string): ContactEvent[] {
  const out: ContactEvent[] = [];
  let seq = 0;
  const push = (init: Omit<ContactEventInit, 'event_id' | 'tenant_id' | 'direction' | 'source'>) => {
    out.push(makeEvent({ event_id: `${tenant}:${seq++}`, tenant_id: tenant, direction: 'inbound', source: 'api', ...init }));
  };
  h.contacts.forEach((c, i) => {
    const base = { contact_id: `c${i}`, channel: c.channel, queue_id: c.queue, topic: c.topic, customer_id: c.customer };
    const agent = { agent_id: c.agent, team_id: c.team };
    let t = start + c.t0;
    push({ ...base, type: 'contact_created', occurred_at: t });
    for (let k = 0; k < c.kbViews; k++) push({ ...base, type: 'kb_article_viewed', occurred_at: t + 1000 * (k + 1) });
    if (c.fate === 'created_only') return;
    if (c.fate === 'self_service') return push({ ...base, type: 'self_service_resolved', occurred_at: t + 30_000 });
    if (c.fate === 'blocked') return push({ ...base, type: 'blocked', occurred_at: t + 500 });
    push({ ...base, type: 'queued', occurred_at: t + 1000 });
    t += 1000 + c.dtAnswer;
    if (c.fate === 'abandoned') return push({ ...base, type: 'abandoned', occurred_at: t, wait_ms: c.wait });
    push({ ...base, ...agent, type: 'answered', occurred_at: t, wait_ms: c.wait });
    for (const m of c.messages) push({ ...base, ...agent, type: 'agent_message', occurred_at: t + m.dt, response_ms: m.response, first_response: m.response === null ? null : m.first });
    c.holds.forEach((ms, k) => {
      push({ ...base, ...agent, type: 'hold_started', occurred_at: t + 10_000 * (k + 1) });
      push({ ...base, ...agent, type: 'hold_ended', occurred_at: t + 10_000 * (k + 1) + 5000, hold_ms: ms });
    });
    for (let k = 0; k < c.escalations; k++) push({ ...base, ...agent, type: 'escalated', occurred_at: t + 20_000 * (k + 1), attributes: { tier: '2' } });
    const ended = t + c.dtEnd;
    for (let k = 0; k < c.transfers; k++) push({ ...base, ...agent, type: 'transferred', occurred_at: ended - k * 1000, attributes: { to_queue: 'q2' } });
    push({ ...base, ...agent, type: 'contact_ended', occurred_at: ended, talk_ms: c.talk, hold_ms: c.holds.length || c.zeroHold ? c.holds.reduce((a, b) => a + b, 0) : null });
    const wrapped = ended + c.dtWrap;
    push({ ...base, ...agent, type: 'wrapup_completed', occurred_at: wrapped, acw_ms: c.acw, handle_ms: (c.talk ?? 0) + c.holds.reduce((a, b) => a + b, 0) + (c.acw ?? 0) });
    if (c.resolved) {
      push({ ...base, ...agent, type: 'resolved', occurred_at: wrapped, resolution_ms: c.resolutionMs, resolution_code: c.code });
      if (c.reopened) push({ ...base, type: 'reopened', occurred_at: wrapped + 5 * MIN });
    }
    if (c.survey) push({ ...base, ...agent, type: 'survey_response', occurred_at: wrapped + c.survey.dt, survey_kind: c.survey.kind, score: c.survey.score, scale_min: c.survey.min, scale_max: c.survey.max });
    if (c.qa) push({ ...base, ...agent, type: 'qa_evaluation', occurred_at: wrapped + c.qa.dt, score: Math.round(c.qa.frac * c.qa.max), max_score: c.qa.max });
  });
  for (const a of h.agents) {
    push({ contact_id: `agent:${a.agent}`, channel: 'voice', queue_id: a.queue, agent_id: a.agent, team_id: a.team, type: 'agent_state_changed',
      occurred_at: start + a.t, agent_state: a.state, previous_agent_state: a.previous, previous_state_ms: a.previousMs });
  }
  for (const b of h.business) {
    push({ contact_id: `biz:${b.customer}`, channel: 'web_form', queue_id: b.queue, topic: b.topic, customer_id: b.customer, type: 'customer_business_event',
      occurred_at: start + b.t, business_kind: b.kind, amount_minor: b.kind === 'purchase' || b.kind === 'return' ? b.amount : null, currency: b.amount === null ? null : 'EUR' });
  }
  return out;
}

// ---- the pipeline against the reference ------------------------------------------------

interface Q { granularity: Granularity; groupBy: Dimension[]; filters?: Partial<Record<Dimension, string>>; options?: Record<string, string | number> }
const QUERIES: Q[] = [
  { granularity: '1m', groupBy: [] },
  { granularity: '15m', groupBy: ['queue_id'] },
  { granularity: '1h', groupBy: ['topic'] },
  { granularity: '5m', groupBy: ['agent_id', 'channel'] },
  { granularity: '1d', groupBy: ['team_id'] },
  { granularity: '30m', groupBy: [], options: { sl_threshold_s: 10, short_abandon_s: 15, complaint_topics: 'billing,complaint', sl_target: 0.9, max_occupancy: 0.9, shrinkage: 0.3 } },
  { granularity: '1h', groupBy: ['queue_id'], filters: { channel: 'chat' }, options: { sl_formula: 'include_abandoned_within', sl_threshold_s: 30 } },
  { granularity: '15m', groupBy: ['team_id'], options: { hourly_cost: 30, team_hourly_costs: 't1:42.5' } },
];

async function api(tenant: string, q: Q): Promise<Series[]> {
  // staffing KPIs from 15m up (kpiIdsAt): 1m and 5m answer 400 for them
  const params = new URLSearchParams({ metrics: kpiIdsAt(q.granularity).join(','), from: new Date(span.from).toISOString(), to: new Date(span.to).toISOString(), granularity: q.granularity });
  if (q.groupBy.length) params.set('group_by', q.groupBy.join(','));
  for (const [d, v] of Object.entries(q.filters ?? {})) params.set(`filter.${d}`, v);
  for (const [k, v] of Object.entries(q.options ?? {})) params.set(k, String(v));
  const r = await fetch(`${node.http.url}/v1/kpis?${params}`, { headers: { 'x-tenant-id': tenant } });
  const body = (await r.json()) as { series: Series[] };
  expect(r.status, JSON.stringify(body)).toBe(200);
  return body.series;
}

const reference = (events: ContactEvent[], tenant: string, q: Q, range = span) => referenceSeries(events, {
  tenant, ...range, granularity: q.granularity, metrics: kpiIdsAt(q.granularity), groupBy: q.groupBy, filters: q.filters ?? {}, options: kpiOptionsSchema.parse(q.options ?? {}),
});

async function send(events: ContactEvent[], tenant: string): Promise<void> {
  const r = await fetch(`${node.http.url}/v1/events`, { method: 'POST', body: JSON.stringify(events), headers: { 'content-type': 'application/json', 'x-tenant-id': tenant } });
  expect(r.status, await r.clone().text()).toBe(202);
}

/** The BI view kpi_<g> row by row (tenant, bucket, every dimension) against the reference at default options. */
async function viewDifferences(events: ContactEvent[], tenant: string, g: Granularity): Promise<string[]> {
  const rs = await node.store.client.query({ query: `SELECT * FROM kpi_${g} WHERE tenant_id = {t:String} ORDER BY bucket`, query_params: { t: tenant }, format: 'JSONEachRow' });
  const rows = await rs.json<Record<string, unknown>>();
  // from 2 hours before the span: an agent state reported in it may have begun up to then
  const want = reference(events, tenant, { granularity: g, groupBy: [...DIMENSIONS] }, { from: windowStart(span.from - 2 * HOUR, g), to: span.to });
  const byKey = new Map<string, Record<string, unknown>>();
  for (const s of want) for (const p of s.points) byKey.set(JSON.stringify([Date.parse(p.ts), ...DIMENSIONS.map((d) => s.group[d] ?? '')]), p);
  const out: string[] = [];
  // a row per window an event happens in, and per window an agent state it ends spanned
  const cells = new Set<string>();
  for (const e of events.filter(feedsAggregates)) {
    const cell = (w: number) => cells.add(JSON.stringify([w, ...DIMENSIONS.map((d) => e[d] ?? '')]));
    cell(windowStart(e.occurred_at, g));
    const state = stateSpan(e);
    if (state) for (let w = windowStart(state.from, g); w < state.to; w += GRANULARITIES[g] * 1000) cell(w);
  }
  if (rows.length !== cells.size) out.push(`kpi_${g}: ${rows.length} rows, want ${cells.size}`);
  for (const r of rows) {
    const key = JSON.stringify([Date.parse(`${String(r.bucket).replace(' ', 'T')}Z`), ...DIMENSIONS.map((d) => r[d])]);
    const p = byKey.get(key);
    if (!p) { out.push(`kpi_${g}: unexpected row ${key}`); continue; }
    for (const id of KPI_IDS.filter((k) => k !== 'cost_per_resolution' && !KPI_BY_ID.get(k)!.history)) {
      const got = r[id] === null ? null : Number(r[id]);
      const w = p[id] as number | null;
      const same = got === w || (typeof got === 'number' && typeof w === 'number' && Math.abs(got - w) <= 1e-9 * Math.max(1, Math.abs(w)));
      if (!same && out.length < 10) out.push(`kpi_${g} ${key} ${id}: got ${got}, want ${w}`);
    }
  }
  return out;
}

/** Waits until the aggregator reports at least n records consumed (any outcome); false if it never says. */
async function consumedAtLeast(n: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`${node.http.url}/metrics`)).text();
    const lines = text.split('\n').filter((l) => l.startsWith('switchboard_aggregator_events_total{'));
    if (lines.length === 0 && !text.includes('switchboard_aggregator_events_total')) return false;
    if (lines.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0) >= n) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('property: random contact histories through the whole pipeline equal the reference', () => {
  it('for every KPI at several grains, groups, filters and options, and in the BI views', async () => {
    let runs = 0;
    let eventsSent = 0;
    let values = 0;
    await fc.assert(
      fc.asyncProperty(fc.noBias(history), async (h) => {
        const tenant = `prop-${run}-${runs++}`;
        const events = toEvents(h, tenant);
        await send(events, tenant);
        eventsSent += events.length;
        // caught up when the aggregator has consumed every record sent and the first query
        // matches; a real difference shows after a short grace (so shrinking stays quick)
        const caughtUp = await consumedAtLeast(eventsSent, 30_000);
        const deadline = Date.now() + (caughtUp ? 3_000 : 20_000);
        let diff: string[] = [];
        for (;;) {
          diff = differences(await api(tenant, QUERIES[0]!), reference(events, tenant, QUERIES[0]!));
          if (diff.length === 0 || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(diff).toEqual([]);
        for (const q of QUERIES.slice(1)) {
          const want = reference(events, tenant, q);
          expect(differences(await api(tenant, q), want), JSON.stringify(q)).toEqual([]);
          values += want.reduce((n, s) => n + s.points.length * kpiIdsAt(q.granularity).length, 0);
        }
        for (const g of ['1m', '1h'] as Granularity[]) expect(await viewDifferences(events, tenant, g)).toEqual([]);
      }),
      // bounded by count: every run completes, however slow the machine
      { numRuns: 8 },
    );
    console.log(`[property] ${runs} random histories, ${eventsSent} events, ${values} KPI values and the BI views equal to the reference`);
  }, 600_000);
});
