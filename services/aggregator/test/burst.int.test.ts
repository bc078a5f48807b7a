import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ContactEvent } from '@switchboard/events';
import { EventPublisher, createKafka, ensureTopics, topicNames } from '@switchboard/kafka';
import { DEFAULT_OPTIONS, KPI_BY_ID, KPI_IDS, referenceSeries, type Dimension, type Granularity } from '@switchboard/kpi';
import { openStore, readKpis } from '@switchboard/warehouse';
import { generateEvents } from '@switchboard/simulator';
import { consumerLag, differences, outputTail, spawnService } from '@switchboard/testkit';

// Backpressure drill: the aggregator as its own process (its memory is its own) while a
// burst far above its capacity is published as fast as the producer can. What users rely on:
// (a) the records it holds in memory never exceed the bound the consumer promises
//     (AGGREGATOR_FLUSH_EVENTS over all partitions, from its own high-water-mark gauge);
// (b) the backlog waits in Kafka instead: consumer lag grows to most of the burst;
// (c) it recovers by itself: lag back to 0, every event counted once, KPIs equal the reference.
// No timing or memory thresholds: speed and RSS are printed, targets belong to benchmarks.

const EVENTS = Number(process.env.BURST_TEST_EVENTS ?? 200_000);
const PARTITIONS = 4;
const FLUSH_EVENTS = 5000;
const BOUND = FLUSH_EVENTS;
const log = pino({ level: 'silent' });
const run = randomUUID().slice(0, 8);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const prefix = `burst-${run}-`;
const topics = topicNames(prefix);
const groupId = `burst-${run}`;
const state = mkdtempSync(join(tmpdir(), 'sb-burst-'));
const tenant = `burst-${run}`;
const HOUR = 3_600_000;
const FLAT_DAY = new Array<number>(24).fill(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const children = new Set<ChildProcess>();
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await sleep(500);
  rmSync(state, { recursive: true, force: true, maxRetries: 5 });
});

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

/** Peak resident set (VmHWM) of a live process, in MiB: printed, never asserted. */
function peakRssMiB(pid: number | undefined): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

async function scrape(url: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const line of (await (await fetch(`${url}/metrics`)).text()).split('\n')) {
    if (!line.startsWith('switchboard_aggregator_')) continue;
    const name = line.slice(0, line.search(/[{ ]/));
    out[name] = (out[name] ?? 0) + Number(line.split(' ').pop());
  }
  return out;
}

describe('burst above capacity: backpressure', () => {
  it(`holds at most flush events in memory over all partitions, lets lag grow, and recovers (${EVENTS} events)`, async () => {
    const kafka = createKafka({ brokers, clientId: 'burst-test' }, log);
    await ensureTopics(kafka, topics, { eventPartitions: PARTITIONS, replicationFactor: 1 });
    const now = Date.now();
    const start = Math.floor((now - 4 * HOUR) / 60_000) * 60_000;
    // bounded by count: enough simulated hours, cut to EVENTS
    const events: ContactEvent[] = generateEvents({ intraday: FLAT_DAY, seed: `burst-${run}`, tenantId: tenant, start, durationMs: 3.5 * HOUR, arrivalsPerHour: Math.ceil(EVENTS / 25), drain: true, queueCount: 6 })
      .filter((e) => e.occurred_at < now)
      .slice(0, EVENTS);
    expect(events.length).toBe(EVENTS);

    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const agg = spawnService('aggregator', 'services/aggregator/src/main.ts', {
      KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, SWITCHBOARD_STATE: state, PORT: String(port),
      AGGREGATOR_GROUP_ID: groupId, AGGREGATOR_FLUSH_EVENTS: String(FLUSH_EVENTS), AGGREGATOR_FLUSH_MS: '2000',
      AGGREGATOR_SESSION_TIMEOUT_MS: '10000',
    }, children);
    const { child, exited } = agg;
    const tail = () => outputTail(agg);
    for (let i = 0; !(await fetch(`${url}/readyz`).then((r) => r.ok, () => false)); i++) {
      if (i > 1200 || child.exitCode !== null) throw new Error(`aggregator did not become ready:\n${tail()}`);
      await sleep(100);
    }

    // lag = topic end offsets − committed offsets, sampled every 250 ms through the admin client
    const admin = kafka.admin();
    await admin.connect();
    const lagNow = () => consumerLag(admin, groupId, topics.events);
    let peakLag = 0;
    let lag = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        lag = await lagNow().catch(() => lag);
        peakLag = Math.max(peakLag, lag);
        await sleep(250);
      }
    })();

    // the burst, as fast as one idempotent producer goes
    const publisher = new EventPublisher(kafka, log, topics.events);
    await publisher.start();
    const t0 = Date.now();
    for (let i = 0; i < events.length; i += 2000) await publisher.publish(events.slice(i, i + 2000));
    const tPublished = Date.now();
    await publisher.stop();

    // recovers by itself: a liveness bound only (the drain takes well under a minute here)
    const deadline = Date.now() + 240_000;
    while ((lag = await lagNow()) > 0) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`aggregator did not catch up (lag ${lag}):\n${tail()}`);
      await sleep(250);
    }
    const tDrained = Date.now();
    sampling = false;
    await sampler;
    await admin.disconnect();
    const m = await scrape(url);
    const rss = peakRssMiB(child.pid);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const bufferedMax = m.switchboard_aggregator_buffered_records_max ?? NaN;
    console.log(
      `[burst] ${EVENTS} events over ${PARTITIONS} partitions published in ${((tPublished - t0) / 1000).toFixed(1)} s ` +
      `(${Math.round(EVENTS / ((tPublished - t0) / 1000))}/s); peak buffered records ${bufferedMax} (bound ${BOUND}, all partitions); ` +
      `peak lag ${peakLag} (${Math.round((100 * peakLag) / EVENTS)} % of the burst); aggregator peak RSS ${rss} MiB; ` +
      `drained ${((tDrained - tPublished) / 1000).toFixed(1)} s after the last publish (${((tDrained - t0) / 1000).toFixed(1)} s after the first, ` +
      `${Math.round(EVENTS / ((tDrained - t0) / 1000))} events/s)`,
    );

    // (a) memory: the records held never exceeded the bound (and the burst did fill them)
    expect(bufferedMax).toBeGreaterThan(0);
    expect(bufferedMax).toBeLessThanOrEqual(BOUND);
    expect(m.switchboard_aggregator_buffered_records).toBe(0);
    // (b) the backlog waited in Kafka: lag reached most of the burst, far above what memory held
    expect(peakLag).toBeGreaterThanOrEqual(EVENTS / 2);
    // (c) recovered: every record consumed once, every id recorded once, every KPI right
    expect(m.switchboard_aggregator_events_total).toBe(EVENTS);
    const store = await openStore({ kind: 'embedded', path: join(state, 'chdb') });
    try {
      const counted = await store.client.query({ query: 'SELECT count() AS n, uniqExact(event_id) AS u FROM event_ids WHERE tenant_id = {t:String}', query_params: { t: tenant }, format: 'JSONEachRow' });
      const [row] = await counted.json<{ n: string; u: string }>();
      expect(Number(row!.u)).toBe(EVENTS);
      expect(Number(row!.n)).toBe(EVENTS);
      const kpis = KPI_IDS.map((id) => KPI_BY_ID.get(id)!);
      let values = 0;
      for (const [granularity, groupBy] of [['15m', ['queue_id']], ['1h', ['agent_id']]] as [Granularity, Dimension[]][]) {
        const q = { kpis, from: start, to: start + 5 * HOUR, granularity, groupBy, filters: {}, options: DEFAULT_OPTIONS };
        const got = await readKpis(store.client, tenant, q);
        const want = referenceSeries(events, { tenant, from: q.from, to: q.to, granularity, metrics: KPI_IDS, groupBy, filters: {}, options: DEFAULT_OPTIONS });
        expect(differences(got as typeof want, want)).toEqual([]);
        values += want.reduce((n, s) => n + s.points.length * KPI_IDS.length, 0);
      }
      console.log(`[burst] lost 0, duplicates 0 — ${values} KPI values equal to the reference`);
    } finally {
      await store.close();
    }
  }, 300_000);
});
