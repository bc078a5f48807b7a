import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ContactEvent } from '@switchboard/events';
import type { Series } from '@switchboard/kpi';
import { EventPublisher, createKafka, ensureTopics, topicNames, type Topics } from '@switchboard/kafka';
import { DEFAULT_OPTIONS, KPI_BY_ID, KPI_IDS, kpiIdsAt, referenceSeries, type Dimension, type Granularity } from '@switchboard/kpi';
import { migrate, openStore, readKpis } from '@switchboard/warehouse';
import { generateEvents } from '@switchboard/simulator';
import { differences, isAlive, outputTail, spawnService, type ServiceProcess } from '@switchboard/testkit';

// Drills with every piece in its own process, sharing ONE real ClickHouse engine: the store
// host (embedded chDB over one data directory, served over ClickHouse's HTTP interface) and
// aggregator processes (`services/aggregator/src/main.ts` with CLICKHOUSE_URL), on the real
// broker, while events flow:
// - rebalance: three aggregators, one SIGKILLed and one added mid-stream;
// - ClickHouse outage: the store host SIGKILLed mid-stream (connections refused) and
//   restarted on the same data directory some seconds later.
// After each, every KPI equals the reference and every event_id is recorded once. Bounded by
// counts (events, processes, kills); the timings only pace the schedule.

const log = pino({ level: 'silent' });
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const kafka = createKafka({ brokers, clientId: 'multi-process-drill' }, log);
const HOUR = 3_600_000;
const FLAT_DAY = new Array<number>(24).fill(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Proc = ServiceProcess;

const children = new Set<ChildProcess>();
const dirs: string[] = [];
afterAll(async () => {
  // a failed run can leave processes behind; these are ours
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sleep(300);
  for (const d of dirs) rmSync(d, { recursive: true, force: true, maxRetries: 5 });
});


async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** The store host as its own process; resolves once /readyz says the engine answers. */
async function startStoreHost(dataDir: string, port: number): Promise<Proc> {
  const p = spawnService('store-host', 'services/store-host/src/main.ts', { PORT: String(port), STORE_HOST_DATA_DIR: dataDir }, children);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!isAlive(p)) throw new Error(`store host exited\n${outputTail(p)}`);
    if (Date.now() > deadline) throw new Error(`store host not ready\n${outputTail(p)}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false);
    if (ready) return p;
    await sleep(100);
  }
}

function startAggregator(name: string, url: string, prefix: string, groupId: string): Proc {
  return spawnService(name, 'services/aggregator/src/main.ts', {
    CLICKHOUSE_URL: url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, PORT: '0',
    AGGREGATOR_GROUP_ID: groupId, AGGREGATOR_SESSION_TIMEOUT_MS: '4000', AGGREGATOR_FLUSH_MS: '300', AGGREGATOR_FLUSH_EVENTS: '10000',
  }, children);
}

/** The query service as its own process on the store host; resolves once it is ready. */
async function startQuery(url: string, port: number): Promise<Proc> {
  const p = spawnService('query', 'services/query/src/main.ts', { CLICKHOUSE_URL: url, PORT: String(port) }, children);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!isAlive(p)) throw new Error(`query exited\n${outputTail(p)}`);
    if (Date.now() > deadline) throw new Error(`query not ready\n${outputTail(p)}`);
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return p;
    await sleep(200);
  }
}

/** GET /v1/kpis of every KPI from the query process */
async function apiKpis(port: number, tenant: string, start: number, granularity: Granularity, groupBy: Dimension[]): Promise<Series[]> {
  const params = new URLSearchParams({ metrics: kpiIdsAt(granularity).join(','), from: new Date(start).toISOString(), to: new Date(start + 4 * HOUR).toISOString(), granularity });
  if (groupBy.length) params.set('group_by', groupBy.join(','));
  const r = await fetch(`http://127.0.0.1:${port}/v1/kpis?${params}`, { headers: { 'x-tenant-id': tenant } });
  const body = (await r.json()) as { series: Series[] };
  expect(r.status, JSON.stringify(body).slice(0, 500)).toBe(200);
  return body.series;
}

async function groupMembers(groupId: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    return groups[0]?.state === 'Stable' ? groups[0].members.length : 0;
  } finally {
    await admin.disconnect();
  }
}
async function waitMembers(groupId: string, n: number, procs: Proc[]): Promise<void> {
  const deadline = Date.now() + 90_000;
  while ((await groupMembers(groupId)) !== n) {
    const dead = procs.find((p) => !isAlive(p));
    if (dead) throw new Error(`an aggregator exited\n${outputTail(dead)}`);
    if (Date.now() > deadline) throw new Error(`group ${groupId} never had ${n} members\n${procs.map((p) => outputTail(p)).join('\n')}`);
    await sleep(250);
  }
}

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
async function waitCaughtUp(topic: string, groupId: string, procs: Proc[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await caughtUp(topic, groupId))) {
    if (Date.now() > deadline) throw new Error(`group ${groupId} did not catch up\n${procs.map((p) => outputTail(p)).join('\n')}`);
    await sleep(300);
  }
}

function scenario(name: string) {
  const run = `${name}-${randomUUID().slice(0, 8)}`;
  const now = Date.now();
  const start = Math.floor((now - 3 * HOUR) / 60_000) * 60_000;
  const events = generateEvents({ intraday: FLAT_DAY, seed: run, tenantId: run, start, durationMs: 2 * HOUR, arrivalsPerHour: 1400, drain: true, queueCount: 5 })
    .filter((e) => e.occurred_at < now);
  const dataDir = mkdtempSync(join(tmpdir(), `sb-${name}-`));
  dirs.push(dataDir);
  return { run, tenant: run, start, events, prefix: `${run}-`, topics: topicNames(`${run}-`), groupId: run, dataDir: join(dataDir, 'chdb') };
}

/** publishes in chunks, calling `at(i)` after chunk i so the drill can act mid-stream */
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

/** every KPI (4 grain × group shapes) against the reference, then the ledger: read through the store host */
async function expectExact(url: string, tenant: string, start: number, events: ContactEvent[]): Promise<{ values: number; recorded: number; lost: number; duplicates: number }> {
  const store = await openStore({ kind: 'server', url });
  try {
    let values = 0;
    for (const [granularity, groupBy] of [['1m', []], ['15m', ['queue_id']], ['1h', ['agent_id']], ['1d', ['channel']]] as [Granularity, Dimension[]][]) {
      const q = { kpis: kpiIdsAt(granularity).map((id) => KPI_BY_ID.get(id)!), from: start, to: start + 4 * HOUR, granularity, groupBy, filters: {}, options: DEFAULT_OPTIONS };
      const want = referenceSeries(events, { tenant, from: q.from, to: q.to, granularity, metrics: kpiIdsAt(granularity), groupBy, filters: {}, options: DEFAULT_OPTIONS });
      expect(differences((await readKpis(store.client, tenant, q)) as typeof want, want), granularity).toEqual([]);
      values += want.reduce((n, s) => n + s.points.length * kpiIdsAt(granularity).length, 0);
    }
    const rs = await store.client.query({ query: 'SELECT count() AS n, uniqExact(event_id) AS u FROM event_ids WHERE tenant_id = {t:String}', query_params: { t: tenant }, format: 'JSONEachRow' });
    const [{ n, u }] = (await rs.json<{ n: string; u: string }>()) as [{ n: string; u: string }];
    const recorded = Number(n);
    const unique = Number(u);
    expect(unique).toBe(events.length);
    expect(recorded).toBe(events.length);
    return { values, recorded, lost: events.length - unique, duplicates: recorded - unique };
  } finally {
    await store.close();
  }
}

async function stopGracefully(procs: Proc[]): Promise<void> {
  for (const p of procs) p.child.kill('SIGTERM');
  for (const p of procs) expect(await p.exited, outputTail(p)).toBe(0);
}

const lines = (procs: Proc[], text: string) => procs.flatMap((p) => p.output.join('').split('\n')).filter((l) => l.includes(text));

describe('multi-process drills: one store host, aggregator processes', () => {
  it('rebalance: three aggregator processes, one SIGKILLed and one added mid-stream', async () => {
    const t0 = Date.now();
    const s = scenario('mp-rebal');
    expect(s.events.length).toBeGreaterThan(20_000);
    await ensureTopics(kafka, s.topics, { eventPartitions: 6, replicationFactor: 1 });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const host = await startStoreHost(s.dataDir, port);
    const setup = await openStore({ kind: 'server', url });
    await migrate(setup.client); // once, before the aggregators (each would also apply what is missing)
    await setup.close();

    const aggregators = [1, 2, 3].map((i) => startAggregator(`aggregator-${i}`, url, s.prefix, s.groupId));
    // and the query service, reading through the same store host while the aggregators write
    const queryPort = await freePort();
    const query = await startQuery(url, queryPort);
    await waitMembers(s.groupId, 3, aggregators);
    let kills = 0;
    let joins = 0;
    let reads = 0;
    await publishWhile(s.topics, s.events, 12, async (i) => {
      await apiKpis(queryPort, s.tenant, s.start, '1h', ['queue_id']);
      reads++;
      if (i === 3) {
        // SIGKILL: no graceful leave; its partitions move once the session times out, and
        // whoever gets them replays the batch it may have been writing
        aggregators[1]!.child.kill('SIGKILL');
        await aggregators[1]!.exited;
        kills++;
      }
      if (i === 6) {
        aggregators.push(startAggregator('aggregator-4', url, s.prefix, s.groupId));
        joins++;
      }
      await sleep(600);
    });
    const survivors = aggregators.filter(isAlive);
    expect(survivors).toHaveLength(3);
    await waitCaughtUp(s.topics.events, s.groupId, survivors);
    await stopGracefully(survivors);
    const replays = lines(aggregators, 'replaying the batch').length;

    const r = await expectExact(url, s.tenant, s.start, s.events);
    // the query process's answers too
    for (const [granularity, groupBy] of [['1h', ['queue_id']], ['15m', []]] as [Granularity, Dimension[]][]) {
      const want = referenceSeries(s.events, { tenant: s.tenant, from: s.start, to: s.start + 4 * HOUR, granularity, metrics: KPI_IDS, groupBy, filters: {}, options: DEFAULT_OPTIONS });
      expect(differences(await apiKpis(queryPort, s.tenant, s.start, granularity, groupBy), want), `/v1/kpis ${granularity}`).toEqual([]);
      reads++;
    }
    expect(isAlive(host)).toBe(true);
    await stopGracefully([query, host]);
    console.log(
      `[multi-process] rebalance: ${s.events.length} events over 6 partitions; processes: 1 store host + ${aggregators.length} aggregators ` +
        `(3 at start, ${kills} SIGKILLed, ${joins} added mid-stream) + the query service (${reads} /v1/kpis reads through it, the last 2 equal to the reference), ${replays} batches replayed from intents; ` +
        `event_ids recorded ${r.recorded}: lost ${r.lost}, duplicates ${r.duplicates}; ${r.values} KPI values equal to the reference (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }, 240_000);

  it('ClickHouse outage: the store host SIGKILLed mid-stream and restarted on its data directory', async () => {
    const t0 = Date.now();
    const s = scenario('mp-chdown');
    expect(s.events.length).toBeGreaterThan(20_000);
    await ensureTopics(kafka, s.topics, { eventPartitions: 4, replicationFactor: 1 });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const hosts = [await startStoreHost(s.dataDir, port)];
    const setup = await openStore({ kind: 'server', url });
    await migrate(setup.client);
    await setup.close();

    const aggregators = [1, 2].map((i) => startAggregator(`aggregator-${i}`, url, s.prefix, s.groupId));
    await waitMembers(s.groupId, 2, aggregators);
    const OUTAGE_MS = 6000;
    let downAt = 0;
    let outageMs = 0;
    await publishWhile(s.topics, s.events, 12, async (i) => {
      if (i === 3) {
        // the engine's process dies with whatever it was doing: clients see resets, then refusals
        hosts[0]!.child.kill('SIGKILL');
        await hosts[0]!.exited;
        downAt = Date.now();
      }
      if (i === 8) {
        await sleep(Math.max(0, OUTAGE_MS - (Date.now() - downAt)));
        hosts.push(await startStoreHost(s.dataDir, port)); // same data directory, same port
        outageMs = Date.now() - downAt;
      }
      await sleep(500);
    });
    expect(outageMs).toBeGreaterThanOrEqual(OUTAGE_MS);
    // the aggregators rode it out: none exited, every write they could not make was retried
    for (const a of aggregators) expect(isAlive(a), outputTail(a)).toBe(true);
    await waitCaughtUp(s.topics.events, s.groupId, aggregators);
    await stopGracefully(aggregators);
    const retries = lines(aggregators, 'batch not written; retrying');
    const causes = new Map<string, number>();
    for (const l of retries) {
      const err = (JSON.parse(l) as { err?: { code?: string; message?: string } }).err;
      const cause = err?.code ?? err?.message?.slice(0, 40) ?? 'unknown';
      causes.set(cause, (causes.get(cause) ?? 0) + 1);
    }
    expect(retries.length).toBeGreaterThan(0);

    const r = await expectExact(url, s.tenant, s.start, s.events);
    await stopGracefully([hosts[1]!]);
    console.log(
      `[multi-process] ClickHouse outage: ${s.events.length} events over 4 partitions, 2 aggregator processes; the store host SIGKILLed mid-stream ` +
        `and restarted on its data directory after ${(outageMs / 1000).toFixed(1)} s; ${retries.length} batch writes failed and were retried ` +
        `(${[...causes].map(([c, n]) => `${c} ×${n}`).join(', ')}); event_ids recorded ${r.recorded}: lost ${r.lost}, duplicates ${r.duplicates}; ` +
        `${r.values} KPI values equal to the reference (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }, 240_000);
});
