import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchConsumer, createKafka, type CombinedBatch } from '../src/index';

// switchboard_kafka_consumer_lag on the real broker: records produced but not yet written and
// committed by the group show per partition, and drop to 0 once the group committed them.

const log = pino({ level: 'silent' });
const run = randomUUID().slice(0, 8);
const topic = `lag-${run}`;
const group = `lag-${run}`;
const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'lag-test' }, log);
const admin = kafka.admin();
const producer = kafka.producer();
let consumer: BatchConsumer | undefined;

afterAll(async () => {
  await consumer?.stop().catch(() => undefined);
  await producer.disconnect();
  await admin.deleteGroups([group]).catch(() => undefined);
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

/** partition → lag, as the exposition text shows it for this topic and group */
async function lagSeries(metrics: Registry): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const line of (await metrics.metrics()).split('\n')) {
    const m = /^switchboard_kafka_consumer_lag\{(.*)\} (\S+)$/.exec(line);
    if (!m || !m[1]!.includes(`topic="${topic}"`) || !m[1]!.includes(`group="${group}"`)) continue;
    out.set(Number(/partition="(\d+)"/.exec(m[1]!)![1]), Number(m[2]));
  }
  return out;
}

async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) if (await ok()) return;
  throw new Error(`timed out waiting for ${what}`);
}

describe('consumer lag gauge', () => {
  it('shows produced-but-unconsumed records per partition, then 0 once the group committed them', async () => {
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3, replicationFactor: 1 }] });
    await producer.connect();
    const perPartition = [7, 0, 12];
    for (const [partition, n] of perPartition.entries()) {
      if (n) await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ partition, key: `k${i}`, value: `v${i}` })) });
    }

    // the write is held until released: nothing is committed meanwhile
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const written: CombinedBatch[] = [];
    const metrics = new Registry();
    consumer = new BatchConsumer(kafka, {
      groupId: group, topic, flushEvents: 1000, flushDelayMs: 50, sessionTimeoutMs: 10_000, lagCacheMs: 0, metrics,
      handle: async (b) => { await released; written.push(b); },
    }, log);
    expect(await lagSeries(metrics), 'no series before the consumer started').toEqual(new Map());
    await consumer.start();

    // every partition's records are waiting (the group has committed nothing, or an intent at the first offset)
    await until('the consumer to hold the records', async () => consumer!.bufferedRecords === 19);
    expect(await lagSeries(metrics)).toEqual(new Map([[0, 7], [1, 0], [2, 12]]));

    // more records arrive on partition 1 while the write is stuck
    await producer.send({ topic, acks: -1, messages: [{ partition: 1, key: 'late', value: 'x' }, { partition: 1, key: 'late2', value: 'y' }] });
    expect(await lagSeries(metrics)).toEqual(new Map([[0, 7], [1, 2], [2, 12]]));

    release();
    await until('the group to commit everything', async () => [...(await lagSeries(metrics)).values()].every((v) => v === 0));
    expect(written.flatMap((b) => b.parts).reduce((n, p) => n + p.messages.length, 0)).toBe(21);
    expect(await lagSeries(metrics)).toEqual(new Map([[0, 0], [1, 0], [2, 0]]));
  });
});
