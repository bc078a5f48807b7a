import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Kafka } from 'kafkajs';
import { Aggregator, aggregatorConfig, aggregatorEnvSchema } from '@switchboard/aggregator';
import { EventPublisher, createKafka, ensureTopics, topicNames, type Topics } from '@switchboard/kafka';
import { HttpServer, Lifecycle, createMetricsRegistry, headerTenantResolver, parseCidrList } from '@switchboard/service-kit';
import { QUEUE_TEMPLATES, generateEvents } from '@switchboard/simulator';
import { StoreComponent, readKpis, type Store } from '@switchboard/warehouse';
import { KPI_BY_ID, kpiOptionsSchema } from '@switchboard/kpi';
import { resolveClickHouse, type ResolvedClickHouse, waitFor } from '@switchboard/testkit';
import { createAlerter, type Alerter, type AlertEvent } from '@switchboard/alerter';

// An alert rule on a staffing KPI, on the real broker and ClickHouse (embedded chDB unless
// CLICKHOUSE_URL names a server): simulator → Kafka → aggregator → ClickHouse → alerter. The
// simulated billing queue is staffed to its Erlang C requirement with a margin for an hour;
// from t1 two thirds of its agents log off. The rule `staffing_gap < 0` over the last 15
// minutes must stay quiet while they are logged in and fire once they are gone. The alerter's
// clock is injected and stepped minute by minute (as in alerter-e2e.int.test.ts).

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const run = randomUUID().slice(0, 8);
const MIN = 60_000;
const HOUR = 3_600_000;
const start = Math.floor(Date.now() / HOUR) * HOUR - 3 * HOUR;
const t1 = start + 60 * MIN;
const END = start + 100 * MIN;
const FRESHNESS = 10_000;
const TENANT = 'demo';

let ch: ResolvedClickHouse;
let storeComponent: StoreComponent;
let store: Store;
let kafka: Kafka;
let topics: Topics;
let aggregator: Aggregator;
let alerter: Alerter;
let lifecycle: Lifecycle;
let api: string;
let clock = start;

beforeAll(async () => {
  ch = await resolveClickHouse();
  storeComponent = new StoreComponent(ch.target, log);
  await storeComponent.start();
  store = storeComponent.store;
  kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: `staff-it-${run}` }, log);
  topics = topicNames(`st-${run}-`);
  await ensureTopics(kafka, topics, { eventPartitions: 2, replicationFactor: 1 });

  const events = generateEvents({
    seed: 3, start, durationMs: END - start, runId: run, tenantId: TENANT,
    queues: QUEUE_TEMPLATES.filter((q) => q.id === 'billing'),
    arrivalsPerHour: 600, intraday: new Array<number>(24).fill(1), staffing: 'fixed', staffingLevel: 1.5, warmStart: true,
    offline: [{ queueId: 'billing', fraction: 2 / 3, from: t1, to: END }],
  });
  const env = aggregatorEnvSchema.parse({ AGGREGATOR_GROUP_ID: `st-agg-${run}`, AGGREGATOR_FLUSH_MS: '1000' });
  aggregator = new Aggregator({ kafka, store, log, metrics: createMetricsRegistry(), config: aggregatorConfig(env, topics) });
  for (const c of aggregator.components()) await c.start();
  const publisher = new EventPublisher(kafka, log, topics.events);
  await publisher.start();
  for (let i = 0; i < events.length; i += 2000) await publisher.publish(events.slice(i, i + 2000));
  await publisher.stop();
  await waitFor('the aggregator to count every event', async () => {
    const rs = await store.client.query({ query: 'SELECT count() AS n FROM event_ids WHERE tenant_id = {t:String}', query_params: { t: TENANT }, format: 'JSONEachRow' });
    return Number((await rs.json<{ n: string }>())[0]!.n) >= events.length;
  }, 120_000);

  const metrics = createMetricsRegistry();
  const http = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics });
  alerter = createAlerter({
    kafka, store, http, log, metrics, tenantOf: headerTenantResolver(TENANT),
    config: {
      alertsTopic: topics.alerts, groupId: `st-alerter-${run}`, sessionTimeoutMs: 10_000, freshnessMs: FRESHNESS,
      linkBaseUrl: 'http://query.example', defaultTenant: TENANT, outboxMs: 24 * HOUR,
      notifier: { maxAttempts: 1, initialBackoffMs: 50, maxBackoffMs: 50, timeoutMs: 1000, allow: parseCidrList('127.0.0.1') },
    },
    now: () => clock,
    schedule: false,
  });
  lifecycle = new Lifecycle(log, () => http.drain());
  await lifecycle.start([...alerter.components(), { name: 'http', start: () => http.start(), stop: () => http.stop() }]);
  api = http.url;
  await waitFor('the alerter to lead', async () => alerter.isLeader && (await alerter.ready()));
}, 240_000);

afterAll(async () => {
  await lifecycle?.stop();
  for (const c of aggregator ? [...aggregator.components()].reverse() : []) await c.stop().catch(() => undefined);
  await storeComponent?.stop();
  await ch?.stop();
});

describe('alert rule on staffing_gap', () => {
  it('stays quiet while billing is staffed and fires once its agents log off', async () => {
    const rule = { name: 'Short of agents', kpi: 'staffing_gap', scope: { queue_id: 'billing' }, comparison: '<', threshold: 0, window: '15m' };
    const put = (body: unknown) => fetch(`${api}/v1/alert-rules/short`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // a window that is not whole 15-minute intervals is refused, naming the field
    const bad = await put({ ...rule, window: '10m' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { details: { field: string; reason: string }[] }).details).toEqual([{ field: 'window', reason: expect.stringMatching(/whole 15-minute staffing intervals .*staffing_gap/) }]);
    const ok = await put(rule);
    expect(ok.status, await ok.clone().text()).toBe(201);

    // the gap per minute as the rule sees it (merged over the trailing 15 minutes), for the record
    const gapAt = async (at: number) => (await readKpis(store.client, TENANT, {
      kpis: [KPI_BY_ID.get('staffing_gap')!], from: at - 15 * MIN, to: at, granularity: '1m', groupBy: [], filters: { queue_id: ['billing'] }, options: kpiOptionsSchema.parse({}),
    }, { merge: true }))[0]?.points[0]?.staffing_gap as number | null;

    let firedAt: number | null = null;
    const seen: string[] = [];
    for (let b = start + 20 * MIN; b <= END && firedAt === null; b += MIN) {
      clock = b + FRESHNESS;
      expect(await alerter.tick(clock)).toBe(b);
      await alerter.idle();
      const { alerts } = (await (await fetch(`${api}/v1/alerts?state=active`)).json()) as { alerts: { state: string }[] };
      seen.push(`${new Date(b).toISOString().slice(11, 16)} gap ${await gapAt(b)} ${alerts.map((a) => a.state).join(',')}`);
      if (alerts.some((a) => a.state === 'firing')) firedAt = b;
    }
    console.log(`[staffing-alert] ${seen.length} minutes evaluated; before the log-off: ${seen[Math.max(0, (t1 - start - 20 * MIN) / MIN - 1)]}; fired: ${seen.at(-1)}`);
    expect(firedAt, seen.join('\n')).not.toBeNull();
    // quiet for the 40 minutes billing was staffed, firing within 15 minutes of the log-off
    expect(firedAt!, seen.join('\n')).toBeGreaterThan(t1);
    expect(firedAt!, seen.join('\n')).toBeLessThanOrEqual(t1 + 15 * MIN);
    const { alerts } = (await (await fetch(`${api}/v1/alerts?include=events`)).json()) as { alerts: { state: string; rule_id: string; scope: Record<string, string>; events: AlertEvent[] }[] };
    expect(alerts.map((a) => [a.rule_id, a.scope.queue_id, a.state])).toEqual([['short', 'billing', 'firing']]);
    const fired = alerts[0]!.events.find((e) => e.kind === 'firing')!;
    expect(fired.value).toBeLessThan(0);
    expect(fired).toMatchObject({ kpi: 'staffing_gap', comparison: '<', threshold: 0 });
  }, 240_000);
});
