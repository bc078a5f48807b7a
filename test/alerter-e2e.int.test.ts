import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Kafka } from 'kafkajs';
import { Aggregator, aggregatorConfig, aggregatorEnvSchema } from '@switchboard/aggregator';
import { EventPublisher, createKafka, ensureTopics, topicNames, type Topics } from '@switchboard/kafka';
import { HttpServer, Lifecycle, createMetricsRegistry, headerTenantResolver, parseCidrList } from '@switchboard/service-kit';
import { QUEUE_TEMPLATES, generateEvents } from '@switchboard/simulator';
import { StoreComponent, type Store } from '@switchboard/warehouse';
import { resolveClickHouse, type ResolvedClickHouse, waitFor } from '@switchboard/testkit';
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, createAlerter, sign, type Alerter, type AlertEvent } from '@switchboard/alerter';

// The whole path on the real broker and ClickHouse (embedded chDB unless CLICKHOUSE_URL names a
// server): simulator → Kafka → aggregator → ClickHouse → alerter → webhooks received by a real
// HTTP server in this test. The simulated center runs 90 minutes ending about two hours ago;
// half of billing's agents log off between t1 and t2. The alerter's clock is injected and
// stepped minute by minute, so which minutes are evaluated does not depend on timing.

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const run = randomUUID().slice(0, 8);
const MIN = 60_000;
const HOUR = 3_600_000;
// hour-aligned: the simulation relative to its start is then the same whatever hour the test runs at
const start = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
const t1 = start + 30 * MIN;
const t2 = start + 60 * MIN;
const END = start + 90 * MIN;
const WINDOW = 10 * MIN;
const FRESHNESS = 10_000;
const SECRET = 'test-secret';
const TENANT = 'demo';

interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
  status: number;
}

let ch: ResolvedClickHouse;
let storeComponent: StoreComponent;
let store: Store;
let kafka: Kafka;
let topics: Topics;
let aggregator: Aggregator;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
let failNextJson = 1;
let eventCount = 0;

beforeAll(async () => {
  ch = await resolveClickHouse();
  storeComponent = new StoreComponent(ch.target, log);
  await storeComponent.start();
  store = storeComponent.store;
  kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: `alerter-it-${run}` }, log);
  topics = topicNames(`al-${run}-`);
  await ensureTopics(kafka, topics, { eventPartitions: 2, replicationFactor: 1 });

  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // the JSON endpoint refuses its first request: the notifier must retry it, once
      const status = req.url === '/json' && failNextJson-- > 0 ? 503 : 200;
      received.push({ path: req.url!, headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const events = generateEvents({
    seed: 2, start, durationMs: END - start, runId: run, tenantId: TENANT,
    queues: QUEUE_TEMPLATES.filter((q) => ['billing', 'support', 'chat'].includes(q.id)),
    arrivalsPerHour: 1500, intraday: new Array<number>(24).fill(1), staffing: 'fixed', staffingLevel: 1.2, warmStart: true,
    offline: [{ queueId: 'billing', fraction: 0.5, from: t1, to: t2 }],
  });
  eventCount = events.length;
  const env = aggregatorEnvSchema.parse({ AGGREGATOR_GROUP_ID: `al-agg-${run}`, AGGREGATOR_FLUSH_MS: '2000' });
  aggregator = new Aggregator({ kafka, store, log, metrics: createMetricsRegistry(), config: aggregatorConfig(env, topics) });
  for (const c of aggregator.components()) await c.start();
  const publisher = new EventPublisher(kafka, log, topics.events);
  await publisher.start();
  for (let i = 0; i < events.length; i += 2000) await publisher.publish(events.slice(i, i + 2000));
  await publisher.stop();
  // every event counted (the ledger holds each id once) before the alerter looks at any minute
  await waitFor('the aggregator to count every event', async () => {
    const rs = await store.client.query({ query: 'SELECT count() AS n FROM event_ids WHERE tenant_id = {t:String}', query_params: { t: TENANT }, format: 'JSONEachRow' });
    return Number((await rs.json<{ n: string }>())[0]!.n) >= eventCount;
  }, 120_000);
}, 240_000);

afterAll(async () => {
  for (const c of aggregator ? [...aggregator.components()].reverse() : []) await c.stop().catch(() => undefined);
  await new Promise((r) => receiver?.close(r));
  await storeComponent?.stop();
  await ch?.stop();
});

interface Replica {
  name: string;
  alerter: Alerter;
  http: HttpServer;
  lifecycle: Lifecycle;
}

let clock = start;

async function startReplica(name: string): Promise<Replica> {
  const metrics = createMetricsRegistry();
  const http = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics });
  const alerter = createAlerter({
    kafka, store, http, log: log.child({ replica: name }), metrics, tenantOf: headerTenantResolver(TENANT),
    config: {
      alertsTopic: topics.alerts, groupId: `al-alerter-${run}`, sessionTimeoutMs: 10_000, freshnessMs: FRESHNESS,
      linkBaseUrl: 'http://query.example', defaultTenant: TENANT, outboxMs: 24 * HOUR,
      notifier: { maxAttempts: 5, initialBackoffMs: 50, maxBackoffMs: 400, timeoutMs: 5000, defaultSecret: SECRET, allow: parseCidrList('127.0.0.1') },
    },
    now: () => clock,
    schedule: false,
  });
  const lifecycle = new Lifecycle(log, () => http.drain());
  await lifecycle.start([...alerter.components(), { name: 'http', start: () => http.start(), stop: () => http.stop() }]);
  return { name, alerter, http, lifecycle };
}

/** Waits until the group has settled on exactly one leader among the replicas, which has rebuilt its state. */
async function leaderOf(replicas: Replica[]): Promise<Replica> {
  await waitFor('one settled leader', async () => {
    const members = replicas.filter((r) => r.alerter.leadership.isMember);
    const leaders = replicas.filter((r) => r.alerter.isLeader);
    return members.length === replicas.length && leaders.length === 1 && (await leaders[0]!.alerter.ready());
  });
  return replicas.find((r) => r.alerter.isLeader)!;
}

/** Every replica is told the same minute has closed; only the leader evaluates it. */
async function tick(replicas: Replica[], boundary: number): Promise<number> {
  clock = boundary + FRESHNESS;
  const evaluated = await Promise.all(replicas.map((r) => r.alerter.tick(clock)));
  await Promise.all(replicas.map((r) => r.alerter.idle()));
  return evaluated.filter((b) => b !== null).length;
}

const accepted = (path: string) => received.filter((r) => r.path === path && r.status === 200);
const alertOf = (r: Received) => (JSON.parse(r.body) as { alert: AlertEvent }).alert;

async function readAlertTopic(expected: number): Promise<AlertEvent[]> {
  const consumer = kafka.consumer({ groupId: `al-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const out: AlertEvent[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: topics.alerts, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { out.push(JSON.parse(message.value!.toString('utf8')) as AlertEvent); } });
  await waitFor(`${expected} records on alerts.v1`, () => out.length >= expected, 30_000);
  await new Promise((r) => setTimeout(r, 500)); // anything beyond the expected would show up here
  await consumer.disconnect();
  return out;
}

describe('alerter end to end', () => {
  it('half of billing logs off: one firing and one resolve notification for billing, other queues quiet, across a failover and a restart', async () => {
    let replicas = [await startReplica('a'), await startReplica('b')];
    let leader = await leaderOf(replicas);
    const standby = replicas.find((r) => r !== leader)!;
    const rule = {
      name: 'Service level per queue', kpi: 'service_level', options: { sl_threshold_s: 20 }, each: 'queue_id',
      comparison: '<', threshold: 0.6, recovery_threshold: 0.8, window: '10m', pending_evaluations: 2, recovery_evaluations: 2, min_sample: 10,
      notify: [{ url: `${receiverUrl}/slack`, format: 'slack' }, { url: `${receiverUrl}/json`, format: 'json' }],
    };
    // rules are shared through the store: written on the standby, evaluated by the leader
    const put = await fetch(`${standby.http.url}/v1/alert-rules/queue-sl`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
    expect(put.status, await put.clone().text()).toBe(201);

    // 1. minute by minute until billing fires (bounded: the incident is 30 minutes long)
    let b = start + WINDOW;
    let evaluations = 0;
    for (; b <= t2 && accepted('/slack').length === 0; b += MIN) evaluations += await tick(replicas, b);
    const firing = accepted('/slack');
    expect(firing).toHaveLength(1);
    const firedAt = b - MIN;
    // fired within two windows of the agents logging off
    expect(firedAt).toBeGreaterThan(t1);
    expect(firedAt).toBeLessThanOrEqual(t1 + 2 * WINDOW);
    // both replicas were told every minute; exactly one evaluated each
    expect(evaluations).toBe((firedAt - (start + WINDOW)) / MIN + 1);

    // 2. still breaching for a few minutes: nothing more is sent
    for (const end = b + 3 * MIN; b < end; b += MIN) await tick(replicas, b);
    expect(accepted('/slack')).toHaveLength(1);

    // 3. the leader stops while the alert is firing; the standby takes over, rebuilds the state, does not re-fire
    await leader.lifecycle.stop();
    replicas = [standby];
    leader = await leaderOf(replicas);
    for (const end = b + 3 * MIN; b < end; b += MIN) expect(await tick(replicas, b)).toBe(1);
    expect(accepted('/slack')).toHaveLength(1);

    // 4. a restart: the last replica stops and a new one starts; it evaluates the last minute again, then on
    await standby.lifecycle.stop();
    const restarted = await startReplica('c');
    replicas = [restarted];
    await leaderOf(replicas);
    b -= MIN;
    for (; b <= END && accepted('/slack').length < 2; b += MIN) await tick(replicas, b);
    const resolvedAt = b - MIN;
    expect(resolvedAt).toBeGreaterThan(t2);
    // a few quiet minutes after the recovery: nothing more
    for (const end = Math.min(END, b + 5 * MIN); b <= end; b += MIN) await tick(replicas, b);

    // notifications: exactly firing then resolved for billing, on both webhooks
    const slack = accepted('/slack').map((r) => JSON.parse(r.body) as { text: string; blocks: unknown[] });
    expect(slack).toHaveLength(2);
    expect(slack[0]!.text).toMatch(/FIRING Service level per queue \(queue_id=billing\): service_level \d+\.\d% < 60\.0%/);
    expect(slack[1]!.text).toMatch(/RESOLVED Service level per queue \(queue_id=billing\)/);
    const json = accepted('/json').map(alertOf);
    expect(json.map((e) => [e.kind, e.scope.queue_id])).toEqual([['firing', 'billing'], ['resolved', 'billing']]);
    // the refused first attempt was retried: three requests, two accepted
    expect(received.filter((r) => r.path === '/json')).toHaveLength(3);
    const [fired, resolved] = json as [AlertEvent, AlertEvent];
    expect(fired.alert_id).toBe(resolved.alert_id);
    expect(Date.parse(fired.at)).toBe(firedAt);
    expect(Date.parse(resolved.at)).toBe(resolvedAt);
    expect(fired.value).toBeLessThan(0.6);
    expect(resolved.value).toBeGreaterThanOrEqual(0.8);
    expect(fired).toMatchObject({ kpi: 'service_level', threshold: 0.6, recovery_threshold: 0.8, comparison: '<', rule_id: 'queue-sl', sample_kpi: 'offered' });
    expect(fired.sample).toBeGreaterThanOrEqual(10);
    const link = new URL(fired.link);
    expect(link.origin + link.pathname).toBe('http://query.example/v1/kpis');
    expect(Object.fromEntries(link.searchParams)).toEqual({
      metrics: 'service_level,offered', granularity: '1m', 'filter.queue_id': 'billing', sl_threshold_s: '20',
      from: new Date(firedAt - WINDOW).toISOString(), to: new Date(firedAt).toISOString(),
    });
    // signed, with a delivery id per transition
    for (const r of accepted('/slack').concat(accepted('/json'))) {
      expect(r.headers[SIGNATURE_HEADER]).toBe(sign(SECRET, r.headers[TIMESTAMP_HEADER]!, r.body));
    }
    expect(new Set(accepted('/json').map((r) => r.headers[DELIVERY_HEADER]))).toEqual(new Set([fired.event_id, resolved.event_id]));

    // every transition once on alerts.v1, keyed by alert id, the same as stored
    const api = restarted.http.url;
    const all = (await (await fetch(`${api}/v1/alerts?include=events`)).json()) as { alerts: { alert_id: string; state: string; scope: Record<string, string>; events: AlertEvent[]; fired_at: string; ended_at: string }[] };
    const stored = all.alerts.flatMap((a) => a.events);
    const onTopic = await readAlertTopic(stored.length);
    expect(onTopic.map((e) => e.event_id).sort()).toEqual(stored.map((e) => e.event_id).sort());
    // other queues: no alert at all, not even pending
    expect(all.alerts.map((a) => [a.scope.queue_id, a.state])).toEqual([['billing', 'resolved']]);
    expect(all.alerts[0]!.events.map((e) => e.kind)).toEqual(['pending', 'firing', 'resolved']);
    expect(all.alerts[0]).toMatchObject({ fired_at: fired.at, ended_at: resolved.at });

    // GET /v1/alerts filters
    const q = async (qs: string) => (await fetch(`${api}/v1/alerts?${qs}`)).json() as Promise<{ alerts: { alert_id: string }[] }>;
    expect((await q('state=active')).alerts).toHaveLength(0);
    expect((await q('state=resolved&filter.queue_id=billing&rule_id=queue-sl')).alerts.map((a) => a.alert_id)).toEqual([fired.alert_id]);
    expect((await q('filter.queue_id=support')).alerts).toHaveLength(0);
    expect((await q(`from=${new Date(END).toISOString()}`)).alerts).toHaveLength(0);
    const bad = await fetch(`${api}/v1/alerts?state=open&filter.queue=x&limit=0`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { details: { param: string }[] }).details.map((d) => d.param).sort()).toEqual(['filter.queue', 'limit', 'state']);

    console.log(`[alerter e2e] ${eventCount} events; billing fired ${(firedAt - t1) / MIN} min after half its agents logged off (SL ${fired.value!.toFixed(3)} on ${fired.sample} offered), resolved ${(resolvedAt - t2) / MIN} min after they returned (SL ${resolved.value!.toFixed(3)}); webhook requests ${received.length} (accepted ${received.filter((r) => r.status === 200).length}); transitions on alerts.v1 ${onTopic.length}`);
    await restarted.lifecycle.stop();
  }, 180_000);

  it('re-notifies on schedule while firing, and a deleted rule closes its alert with one notification', async () => {
    const replica = await startReplica('d');
    await leaderOf([replica]);
    const api = replica.http.url;
    // the first test's rule goes: its resolved alert stays in the history
    expect((await fetch(`${api}/v1/alert-rules/queue-sl`, { method: 'DELETE' })).status).toBe(204);
    const rule = {
      kpi: 'service_level', scope: { queue_id: 'billing' }, comparison: '<', threshold: 0.6, recovery_threshold: 0.8,
      window: '10m', recovery_evaluations: 2, min_sample: 10, renotify_every: '5m', notify: [{ url: `${receiverUrl}/r2`, format: 'json' }],
    };
    expect((await fetch(`${api}/v1/alert-rules/billing-renotify`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) })).status).toBe(201);
    const r2 = () => accepted('/r2').map(alertOf);
    let b = t1;
    for (; b <= t2 && r2().length === 0; b += MIN) await tick([replica], b);
    const firedAt = b - MIN;
    expect(r2().map((e) => e.kind)).toEqual(['firing']);
    // 12 more minutes, still inside the incident: re-notified at +5 and +10, nothing else
    for (const end = firedAt + 12 * MIN; b <= end; b += MIN) await tick([replica], b);
    expect(r2().map((e) => [e.kind, (Date.parse(e.at) - firedAt) / MIN, e.seq])).toEqual([['firing', 0, 1], ['renotify', 5, 2], ['renotify', 10, 3]]);
    expect(new Set(r2().map((e) => e.alert_id)).size).toBe(1);
    // deleted while firing: the next minute resolves it, once, to the webhook the rule had
    expect((await fetch(`${api}/v1/alert-rules/billing-renotify`, { method: 'DELETE' })).status).toBe(204);
    await tick([replica], b);
    await tick([replica], b + MIN);
    const last = r2().at(-1)!;
    expect(r2()).toHaveLength(4);
    expect(last).toMatchObject({ kind: 'resolved', seq: 4, reason: 'rule deleted', value: null });
    const active = (await (await fetch(`${api}/v1/alerts?state=active`)).json()) as { alerts: unknown[] };
    expect(active.alerts).toHaveLength(0);
    await replica.lifecycle.stop();
  }, 120_000);
});
