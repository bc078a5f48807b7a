import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ContactEvent } from '@switchboard/events';
import { EventPublisher, createKafka, ensureTopics, topicNames } from '@switchboard/kafka';
import { HttpServer, createMetricsRegistry, headerTenantResolver } from '@switchboard/service-kit';
import { generateEvents } from '@switchboard/simulator';
import { AGENT_STATES, migrate, openStore, type RealtimeDimension, type RealtimeGroup, StateWriter, type Store } from '@switchboard/warehouse';
import { resolveClickHouse, type ResolvedClickHouse } from '@switchboard/testkit';
// resolved through the workspace root (the aggregator depends on this package for its tests)
import { Aggregator } from '@switchboard/aggregator';
import { registerQueryRoutes } from '@switchboard/query';

// Simulated traffic → real broker → the aggregator (state writer) → embedded ClickHouse →
// GET /v1/realtime, compared with an independent replay of the same event array as of chosen
// moments: for each moment a tenant of its own gets the events up to it (delivered out of
// order), the service's clock is pinned to it, and the replay runs each contact's and agent's
// events in the order the simulator produced them.

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const run = randomUUID().slice(0, 8);
const HOUR = 3_600_000;
const FLAT_DAY = new Array<number>(24).fill(1);
const now = Date.now();
const start = Math.floor((now - 2 * HOUR) / 60_000) * 60_000;
const tenant = `rt-${run}`;
const other = `rt-other-${run}`;

let ch: ResolvedClickHouse;
let store: Store;
let kafka: ReturnType<typeof createKafka>;
/** the query service's clock: pinned to the moment whose events were fed */
let clock = now;
let aggregator: Aggregator;
let http: HttpServer;
let publisher: EventPublisher;

beforeAll(async () => {
  ch = await resolveClickHouse();
  store = await openStore(ch.target);
  await migrate(store.client);
  kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'rt-test' }, log);
  const topics = topicNames(`rt-${run}-`);
  await ensureTopics(kafka, topics, { eventPartitions: 4, replicationFactor: 1 });
  const metrics = createMetricsRegistry();
  aggregator = new Aggregator({
    kafka, store, log, metrics,
    config: {
      topics, groupId: `rt-${run}`, partitionsConcurrently: 4, flushDelayMs: 300, flushEvents: 4000, sessionTimeoutMs: 10_000,
      dedupHorizonHours: 168, lateHorizonMs: 7 * 24 * HOUR, maxFutureSkewMs: 300_000,
    },
  });
  for (const c of aggregator.components()) await c.start();
  http = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics });
  registerQueryRoutes(http.app, { client: store.client, metrics, tenantOf: headerTenantResolver('demo'), now: () => clock });
  await http.start();
  publisher = new EventPublisher(kafka, log, topics.events);
  await publisher.start();
});

afterAll(async () => {
  await publisher?.stop();
  for (const c of (aggregator?.components() ?? []).reverse()) await c.stop();
  await http?.stop();
  await store?.close();
  await ch?.stop();
});

// ---- the independent computation ------------------------------------------------------

interface Q { at: number; lookbackH?: number; groupBy: RealtimeDimension[]; filters?: Partial<Record<RealtimeDimension, string[]>> }
interface Holder { state: string; since: number; queue_id: string | null; team_id: string | null; channel: string }

/** Replays every event up to `at` in the simulator's own order (time, then emission order) through plain state machines. */
function reference(events: ContactEvent[], t: string, q: Q): RealtimeGroup[] {
  const queue = new Map<string, Holder>();
  const ticket = new Map<string, Holder>();
  const agents = new Map<string, Holder>();
  const ordered = events.map((e, i) => ({ e, i })).filter(({ e }) => e.tenant_id === t && e.occurred_at <= q.at)
    .sort((a, b) => a.e.occurred_at - b.e.occurred_at || a.i - b.i);
  for (const { e } of ordered) {
    const h = (state: string): Holder => ({ state, since: e.occurred_at, queue_id: e.queue_id, team_id: e.team_id, channel: e.channel });
    if (e.type === 'queued') queue.set(e.contact_id, h('queued'));
    if (e.type === 'answered') queue.set(e.contact_id, h('in_service'));
    if (e.type === 'abandoned' || e.type === 'blocked' || e.type === 'contact_ended' || e.type === 'resolved') queue.set(e.contact_id, h('ended'));
    if (e.type === 'contact_created' || e.type === 'reopened') ticket.set(e.contact_id, h('open'));
    if (e.type === 'resolved') ticket.set(e.contact_id, h('resolved'));
    if (e.type === 'agent_state_changed') agents.set(e.agent_id!, h(e.agent_state!));
  }
  const from = q.at - (q.lookbackH ?? 168) * HOUR;
  const groups = new Map<string, RealtimeGroup>();
  const groupOf = (x: Holder) => {
    const values = q.groupBy.map((d) => x[d] ?? null);
    const key = JSON.stringify(values.map((v) => v ?? ''));
    if (!groups.has(key)) {
      groups.set(key, {
        group: Object.fromEntries(q.groupBy.map((d, i) => [d, values[i]])), contacts_in_queue: 0, longest_wait_ms: null, contacts_in_service: 0,
        agents: Object.fromEntries(AGENT_STATES.map((s) => [s, 0])) as RealtimeGroup['agents'], agents_logged_in: 0, open_backlog: 0, oldest_open_ticket_age_ms: null,
      });
    }
    return groups.get(key)!;
  };
  const passes = (x: Holder) => x.since >= from && Object.entries(q.filters ?? {}).every(([d, vs]) => vs.includes(x[d as RealtimeDimension] ?? ''));
  if (q.groupBy.length === 0) groupOf({ state: '', since: 0, queue_id: null, team_id: null, channel: '' });
  for (const x of queue.values()) {
    if (!passes(x) || x.state === 'ended') continue;
    const g = groupOf(x);
    if (x.state === 'queued') {
      g.contacts_in_queue++;
      g.longest_wait_ms = Math.max(g.longest_wait_ms ?? 0, q.at - x.since);
    } else g.contacts_in_service++;
  }
  for (const x of ticket.values()) {
    if (!passes(x) || x.state !== 'open') continue;
    const g = groupOf(x);
    g.open_backlog++;
    g.oldest_open_ticket_age_ms = Math.max(g.oldest_open_ticket_age_ms ?? 0, q.at - x.since);
  }
  for (const x of agents.values()) {
    if (!passes(x)) continue;
    const g = groupOf(x);
    g.agents[x.state as keyof RealtimeGroup['agents']]++;
    if (x.state !== 'offline') g.agents_logged_in++;
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

// ---- helpers --------------------------------------------------------------------------

async function realtime(t: string, q: Q): Promise<RealtimeGroup[]> {
  clock = q.at;
  const params = new URLSearchParams({ group_by: q.groupBy.join(',') });
  if (q.lookbackH) params.set('lookback_h', String(q.lookbackH));
  for (const [d, v] of Object.entries(q.filters ?? {})) params.set(`filter.${d}`, v.map((x) => (x === '' ? 'null' : x)).join(','));
  const r = await fetch(`${http.url}/v1/realtime?${params}`, { headers: { 'x-tenant-id': t } });
  const body = (await r.json()) as { groups: (RealtimeGroup & Record<string, unknown>)[] };
  expect(r.status, JSON.stringify(body)).toBe(200);
  // no SLA policies here (and no priorities): nothing breached or at risk (docs/sla.md)
  for (const g of body.groups) expect([g.sla_breached_open, g.sla_at_risk]).toEqual([0, 0]);
  // the state of the reader; staffing (docs/staffing.md) is checked by the contract test. A
  // group listed only for its staffing (contacts offered in the last 15 minutes, nothing in
  // progress) has no state at all, which no group of the reader lacks (but the one total row
  // of an ungrouped query, always listed).
  return body.groups
    .filter((g) => q.groupBy.length === 0 || g.contacts_in_queue + g.contacts_in_service + g.open_backlog + Object.values(g.agents).reduce((n, x) => n + x, 0) > 0)
    .map(({ offered_15m: _o, aht_ms: _a, agents_required: _r, agents_required_scheduled: _s, staffing_gap: _g, sla_breached_open: _b, sla_at_risk: _k, ...state }) => state as RealtimeGroup);
}

/** Delivers contact events out of order (the newer hour first, each half shuffled) but each agent's changes in their order. */
function deliveryOrder(events: ContactEvent[], seed: number): ContactEvent[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const half = (xs: ContactEvent[]) => {
    const shuffled = [...xs];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    // agent events take the slots agent events got, in their original order
    const agentsInOrder = xs.filter((e) => e.type === 'agent_state_changed');
    let k = 0;
    return shuffled.map((e) => (e.type === 'agent_state_changed' ? agentsInOrder[k++]! : e));
  };
  const cut = start + HOUR;
  return [...half(events.filter((e) => e.occurred_at >= cut)), ...half(events.filter((e) => e.occurred_at < cut))];
}

async function publishAll(events: ContactEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 2000) await publisher.publish(events.slice(i, i + 2000));
}

async function countIds(t: string): Promise<number> {
  const rs = await store.client.query({ query: 'SELECT count() AS n FROM event_ids WHERE tenant_id = {t:String}', query_params: { t }, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]!.n);
}

async function caughtUp(t: string, expected: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  while ((await countIds(t)) < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
  expect(await countIds(t)).toBe(expected);
}

// ---- tests ----------------------------------------------------------------------------

describe('GET /v1/realtime over the aggregator\'s state tables', () => {
  // understaffed so queues form; two hours ending now, not drained: contacts are in flight
  const events = generateEvents({ intraday: FLAT_DAY, seed: 'realtime-1', tenantId: tenant, start, durationMs: 2 * HOUR, arrivalsPerHour: 700, staffingLevel: 0.85 })
    .filter((e) => e.occurred_at <= now);
  const others = generateEvents({ intraday: FLAT_DAY, seed: 'realtime-2', tenantId: other, start, durationMs: HOUR, arrivalsPerHour: 300 })
    .filter((e) => e.occurred_at <= now);

  const moments = [now, now - 7 * 60_000, start + 61 * 60_000 + 123, start + 20 * 60_000];
  const upTo = (i: number) => events.filter((e) => e.occurred_at <= moments[i]!).map((e) => ({ ...e, tenant_id: `${tenant}-${i}` }));

  it('equals the independent replay of the events as of several moments, per queue, team, channel and in total', async () => {
    const t0 = Date.now();
    expect(events.length).toBeGreaterThan(5000);
    const fed = moments.map((_, i) => upTo(i));
    for (const [i, evs] of fed.entries()) await publishAll(deliveryOrder(evs, 11 + i));
    await publishAll(others);
    for (const [i, evs] of fed.entries()) await caughtUp(`${tenant}-${i}`, evs.length);
    await caughtUp(other, others.length);
    const fedAt = Date.now();

    const shapes: Omit<Q, 'at'>[] = [
      { groupBy: ['queue_id'] }, { groupBy: ['team_id'] }, { groupBy: ['channel'] }, { groupBy: [] }, { groupBy: ['queue_id', 'team_id'] },
      { groupBy: ['queue_id'], lookbackH: 1 },
      { groupBy: ['team_id'], filters: { queue_id: ['billing', 'support'] } },
      { groupBy: ['queue_id'], filters: { team_id: [''] } },
    ];
    let compared = 0;
    let queued = 0;
    let open = 0;
    let agents = 0;
    for (const [i, at] of moments.entries()) {
      const t = `${tenant}-${i}`;
      for (const shape of shapes) {
        const q = { ...shape, at };
        const want = reference(fed[i]!, t, q);
        expect(await realtime(t, q), JSON.stringify({ ...q, at: new Date(at).toISOString() })).toEqual(want);
        compared += want.length;
        if (shape.groupBy.length === 0 && !shape.lookbackH && !shape.filters) {
          queued += want[0]!.contacts_in_queue;
          open += want[0]!.open_backlog;
          agents += want[0]!.agents_logged_in;
        }
      }
    }
    // the comparison is only worth something if there was state to compare
    expect(queued).toBeGreaterThan(0);
    expect(open).toBeGreaterThan(0);
    expect(agents).toBeGreaterThan(0);
    console.log(`[realtime] fed and caught up in ${((fedAt - t0) / 1000).toFixed(1)} s; ${fed.reduce((n, f) => n + f.length, 0)} events through the aggregator into ${moments.length} tenants; ${moments.length * shapes.length} queries, ${compared} groups equal to the replay (summed over the moments: ${queued} contacts queued, ${open} open tickets, ${agents} agents logged in)`);
  }, 240_000);

  it('reads only the requesting tenant', async () => {
    const q: Q = { at: now, groupBy: [] };
    const mine = await realtime(other, q);
    expect(mine).toEqual(reference(others, other, q));
    expect(mine).not.toEqual(reference(upTo(0), `${tenant}-0`, q));
    const nobody = await realtime(`nobody-${run}`, q);
    expect(nobody).toEqual([{ group: {}, contacts_in_queue: 0, longest_wait_ms: null, contacts_in_service: 0, agents: { available: 0, busy: 0, after_call_work: 0, away: 0, offline: 0 }, agents_logged_in: 0, open_backlog: 0, oldest_open_ticket_age_ms: null }]);
  });

  it('state writes are idempotent: the same batch again, under its token or another, changes no answer', async () => {
    const t = `${tenant}-0`;
    const q: Q = { at: now, groupBy: ['queue_id', 'team_id'] };
    const before = await realtime(t, q);
    expect(before).toEqual(reference(upTo(0), t, q));
    const writer = new StateWriter(store.client);
    const slice = upTo(0).slice(0, 3000);
    const rows = async () => {
      const rs = await store.client.query({ query: 'SELECT (SELECT count() FROM contact_state WHERE tenant_id = {t:String}) + (SELECT count() FROM agent_state WHERE tenant_id = {t:String}) AS n', query_params: { t }, format: 'JSONEachRow' });
      return Number((await rs.json<{ n: string }>())[0]!.n);
    };
    const token = `replay-${run}`;
    // a background merge collapses ReplacingMergeTree rows and would change the count under us
    for (const t of ['contact_state', 'agent_state']) await store.client.command({ query: `SYSTEM STOP MERGES ${t}` });
    try {
      await writer.write(slice, token);
      const afterFirst = await rows();
      await writer.write(slice, token);
      expect(await rows()).toBe(afterFirst);
    } finally {
      for (const t of ['contact_state', 'agent_state']) await store.client.command({ query: `SYSTEM START MERGES ${t}` });
    }
    await writer.write(slice, `${token}-other`);
    expect(await realtime(t, q)).toEqual(before);
  });

  it('answers 400 with every problem at once', async () => {
    const r = await fetch(`${http.url}/v1/realtime?group_by=queue_id,agent_id&lookback_h=0&at=yesterday&filter.topic=x`);
    expect(r.status).toBe(400);
    const body = (await r.json()) as { details: { param: string; reason: string }[] };
    expect(body.details.map((d) => d.param).sort()).toEqual(['at', 'filter.topic', 'group_by', 'lookback_h']);
    expect(body.details.find((d) => d.param === 'at')!.reason).toBe('unknown parameter');
    const tooLong = await fetch(`${http.url}/v1/realtime?lookback_h=721`);
    expect(tooLong.status).toBe(400);
    const fraction = await fetch(`${http.url}/v1/realtime?lookback_h=1.5`);
    expect(((await fraction.json()) as { details: { reason: string }[] }).details[0]!.reason).toMatch(/whole number/);
    const twice = await fetch(`${http.url}/v1/realtime?lookback_h=2&lookback_h=3`);
    expect(((await twice.json()) as { details: { reason: string }[] }).details[0]!.reason).toMatch(/more than once/);
    // a list parameter may be repeated (as generated clients send it)
    const repeated = await fetch(`${http.url}/v1/realtime?group_by=queue_id&group_by=team_id`);
    expect(repeated.status).toBe(200);
    expect(((await repeated.json()) as { meta: { group_by: string[] } }).meta.group_by).toEqual(['queue_id', 'team_id']);
    const badTenant = await fetch(`${http.url}/v1/realtime`, { headers: { 'x-tenant-id': '../etc' } });
    expect(badTenant.status).toBe(400);
  });
});
