import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { ContactEvent } from '@switchboard/events';
import { EventPublisher, createKafka, ensureTopics, topicNames, type Topics } from '@switchboard/kafka';
import { DEFAULT_OPTIONS, KPI_BY_ID, kpiIdsAt, referenceSeries, type Dimension, type Granularity } from '@switchboard/kpi';
import { migrate, openStore, readKpis, type Store } from '@switchboard/warehouse';
import { generateEvents } from '@switchboard/simulator';
import { differences } from '@switchboard/testkit';
import { Aggregator, aggregatorConfig, aggregatorEnvSchema } from '../src';

// Drills on the real broker and embedded ClickHouse, with aggregator replicas in this process
// sharing one store (one embedded data directory belongs to one process; with a ClickHouse
// server, replicas are processes, which the crash test covers for one of them):
// - rebalances: three replicas join and leave while events flow;
// - ClickHouse unavailable: every store call fails for a while, then recovers.
// After each, every KPI must equal the reference and every event_id be recorded once.

const log = pino({ level: process.env.DRILL_LOG_LEVEL ?? 'silent' });
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = createKafka({ brokers, clientId: 'drill' }, log);
const HOUR = 3_600_000;
const FLAT_DAY = new Array<number>(24).fill(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let store: Store;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-drill-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

function replica(topics: Topics, groupId: string, client: ClickHouseClient = store.client): Aggregator {
  const env = aggregatorEnvSchema.parse({ AGGREGATOR_GROUP_ID: groupId, AGGREGATOR_FLUSH_MS: '300', AGGREGATOR_FLUSH_EVENTS: '10000', AGGREGATOR_SESSION_TIMEOUT_MS: '6000' });
  return new Aggregator({ kafka, store: { ...store, client }, log, metrics: new Registry(), config: { ...aggregatorConfig(env, topics), sessionTimeoutMs: 6000 } });
}
const startReplica = async (a: Aggregator) => { for (const c of a.components()) await c.start(); };
const stopReplica = async (a: Aggregator) => { for (const c of a.components().reverse()) await c.stop(); };

async function caughtUp(topic: string, groupId: string): Promise<boolean> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return ends.every((e) => committed!.partitions.find((p) => p.partition === e.partition)?.offset === e.high);
  } finally {
    await admin.disconnect();
  }
}
async function waitCaughtUp(topic: string, groupId: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await caughtUp(topic, groupId))) {
    if (Date.now() > deadline) throw new Error(`group ${groupId} did not catch up`);
    await sleep(300);
  }
}

function scenario(name: string) {
  const run = `${name}-${randomUUID().slice(0, 8)}`;
  const now = Date.now();
  const start = Math.floor((now - 3 * HOUR) / 60_000) * 60_000;
  const events = generateEvents({ intraday: FLAT_DAY, seed: run, tenantId: run, start, durationMs: 2 * HOUR, arrivalsPerHour: 2500, drain: true, queueCount: 5 })
    .filter((e) => e.occurred_at < now);
  return { run, tenant: run, start, events, topics: topicNames(`${run}-`) };
}

/** publishes in chunks, calling `at(i)` between chunks so the drill can act mid-stream */
async function publishWhile(topics: Topics, events: ContactEvent[], chunks: number, at: (i: number) => Promise<void>): Promise<void> {
  const publisher = new EventPublisher(kafka, log, topics.events);
  await publisher.start();
  const size = Math.ceil(events.length / chunks);
  for (let i = 0; i < chunks; i++) {
    await publisher.publish(events.slice(i * size, (i + 1) * size));
    await at(i);
  }
  await publisher.stop();
}

async function expectExact(tenant: string, start: number, events: ContactEvent[], label: string): Promise<number> {
  let values = 0;
  for (const [granularity, groupBy] of [['1m', []], ['15m', ['queue_id']], ['1h', ['agent_id']], ['1d', ['channel']]] as [Granularity, Dimension[]][]) {
    const q = { kpis: kpiIdsAt(granularity).map((id) => KPI_BY_ID.get(id)!), from: start, to: start + 4 * HOUR, granularity, groupBy, filters: {}, options: DEFAULT_OPTIONS };
    const want = referenceSeries(events, { tenant, from: q.from, to: q.to, granularity, metrics: kpiIdsAt(granularity), groupBy, filters: {}, options: DEFAULT_OPTIONS });
    expect(differences((await readKpis(store.client, tenant, q)) as typeof want, want), `${label} ${granularity}`).toEqual([]);
    values += want.reduce((n, s) => n + s.points.length * kpiIdsAt(granularity).length, 0);
  }
  const rs = await store.client.query({ query: 'SELECT count() AS n, uniqExact(event_id) AS u FROM event_ids WHERE tenant_id = {t:String}', query_params: { t: tenant }, format: 'JSONEachRow' });
  const [{ n, u }] = (await rs.json<{ n: string; u: string }>()) as [{ n: string; u: string }];
  expect(Number(u)).toBe(events.length);
  expect(Number(n)).toBe(events.length);
  return values;
}

describe('drills with aggregator replicas', () => {
  it('counts every event once while three replicas join and leave', async () => {
    const s = scenario('rebal');
    await ensureTopics(kafka, s.topics, { eventPartitions: 6, replicationFactor: 1 });
    const group = s.run;
    const [a, b, c, a2] = [replica(s.topics, group), replica(s.topics, group), replica(s.topics, group), replica(s.topics, group)];
    const steps: Record<number, () => Promise<void>> = {
      0: () => startReplica(a),
      2: () => startReplica(b), // a → a + b
      4: () => startReplica(c), // → a + b + c
      6: () => stopReplica(a), // a leaves mid-stream: its partitions move to b and c
      8: () => startReplica(a2), // and a new one joins
      10: () => stopReplica(b),
    };
    let rebalances = 0;
    await publishWhile(s.topics, s.events, 14, async (i) => {
      if (steps[i]) {
        await steps[i]!();
        rebalances++;
      }
      await sleep(400);
    });
    await waitCaughtUp(s.topics.events, group);
    await stopReplica(c);
    await stopReplica(a2);
    const values = await expectExact(s.tenant, s.start, s.events, 'rebalance');
    console.log(`[drill] rebalance: ${s.events.length} events over 6 partitions, ${rebalances} membership changes among 4 replicas — lost 0, duplicates 0, ${values} KPI values equal to the reference`);
  }, 300_000);

  it('loses nothing and counts nothing twice when ClickHouse is unavailable for a while', async () => {
    const s = scenario('chdown');
    await ensureTopics(kafka, s.topics, { eventPartitions: 3, replicationFactor: 1 });
    // No ClickHouse server runs here to stop, so the outage is injected at the client: every
    // call fails as a refused connection would, while the store itself stays what it is.
    let down = false;
    let refused = 0;
    const flaky = new Proxy(store.client, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'insert' && prop !== 'query' && prop !== 'command') return v;
        return (...args: unknown[]) => {
          if (down) {
            refused++;
            return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123'), { code: 'ECONNREFUSED' }));
          }
          return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        };
      },
    });
    const agg = replica(s.topics, s.run, flaky);
    await startReplica(agg);
    await publishWhile(s.topics, s.events, 10, async (i) => {
      if (i === 3) down = true; // the outage starts mid-stream …
      if (i === 7) down = false; // … and lasts while four chunks are published
      await sleep(500);
    });
    await waitCaughtUp(s.topics.events, s.run);
    await stopReplica(agg);
    expect(refused).toBeGreaterThan(0);
    const values = await expectExact(s.tenant, s.start, s.events, 'outage');
    console.log(`[drill] ClickHouse outage: ${s.events.length} events, ${refused} store calls refused during the outage — lost 0, duplicates 0, ${values} KPI values equal to the reference`);
  }, 300_000);
});
