import { randomUUID } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerReachable, resolveClickHouse, resolveKafka } from '../src/env';

const docker = await dockerReachable();

// Captured before any test edits the env: what test/global-setup handed this worker.
const brokersFromGlobalSetup = process.env.KAFKA_BROKERS;

const ENV_KEYS = ['KAFKA_BROKERS', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'CLICKHOUSE_PASSWORD', 'CLICKHOUSE_DATABASE'];
let savedEnv: Record<string, string | undefined>;
beforeEach(() => {
  savedEnv = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
});
afterEach(() => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

describe('services named by env', () => {
  it('uses KAFKA_BROKERS as given and owns nothing', async () => {
    process.env.KAFKA_BROKERS = ' kafka-a:9092, kafka-b:19092 ,';
    const kafka = await resolveKafka();
    expect(kafka.how).toBe('env');
    expect(kafka.brokers).toEqual(['kafka-a:9092', 'kafka-b:19092']);
    await kafka.stop();
  });

  it('uses CLICKHOUSE_URL with its credentials', async () => {
    process.env.CLICKHOUSE_URL = 'http://clickhouse.example:8123';
    process.env.CLICKHOUSE_USER = 'kpi';
    process.env.CLICKHOUSE_PASSWORD = 's3cret';
    delete process.env.CLICKHOUSE_DATABASE;
    const ch = await resolveClickHouse();
    expect(ch.how).toBe('env');
    expect(ch.target).toEqual({
      kind: 'server',
      url: 'http://clickhouse.example:8123',
      username: 'kpi',
      password: 's3cret',
      database: undefined,
    });
    await ch.stop();
  });
});

describe('fallbacks without env', () => {
  it('test/global-setup resolved one broker and handed it to this worker', () => {
    expect(brokersFromGlobalSetup).toMatch(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/);
  });

  it('starts or reuses a broker that kafkajs can produce to and consume from', async () => {
    delete process.env.KAFKA_BROKERS;
    const resolved = await resolveKafka();
    try {
      expect(resolved.how).toBe(docker ? 'testcontainers' : 'local');
      if (!docker) expect(resolved.brokers).toEqual([`127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`]);

      const kafka = new Kafka({ clientId: 'testkit-env-test', brokers: resolved.brokers, logLevel: logLevel.NOTHING });
      const admin = kafka.admin();
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
      const consumer = kafka.consumer({ groupId: `testkit-${randomUUID()}` });
      const topic = `testkit.roundtrip.${randomUUID()}`;
      try {
        await admin.connect();
        // No numPartitions: the broker's num.partitions (6) applies, which the
        // partition-count-as-parallelism design relies on.
        expect(await admin.createTopics({ topics: [{ topic }], waitForLeaders: true })).toBe(true);
        const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
        expect(meta?.partitions).toHaveLength(6);

        const sent = Array.from({ length: 20 }, (_, i) => ({ key: `contact-${i % 4}`, value: `event-${i}` }));
        await producer.connect();
        await producer.send({ topic, messages: sent, acks: -1 });

        const received: { key: string; value: string; partition: number }[] = [];
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        const done = new Promise<void>((resolve) => {
          void consumer.run({
            eachMessage: async ({ message, partition }) => {
              received.push({ key: String(message.key), value: String(message.value), partition });
              if (received.length === sent.length) resolve();
            },
          });
        });
        await done;

        expect(received.map((m) => m.value).sort()).toEqual(sent.map((m) => m.value).sort());
        // Same key, same partition: per-contact ordering depends on it.
        for (const key of new Set(sent.map((m) => m.key))) {
          const forKey = received.filter((m) => m.key === key);
          expect(new Set(forKey.map((m) => m.partition)).size).toBe(1);
          expect(forKey.map((m) => m.value)).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
        }

        await admin.deleteTopics({ topics: [topic] });
      } finally {
        await consumer.disconnect();
        await producer.disconnect();
        await admin.disconnect();
      }
    } finally {
      await resolved.stop();
    }
  });

  // containers are per call where a Docker engine answers: nothing is shared, nothing to test
  it.skipIf(docker)('leaves a broker it only reused running', async () => {
    delete process.env.KAFKA_BROKERS;
    const first = await resolveKafka();
    const second = await resolveKafka(); // finds the first one running
    await second.stop();
    // still serving: asked over the wire, since the broker on the port may belong to another
    // checkout's state dir (broker.sh reuses it), which `status` of this one does not count
    const admin = new Kafka({ clientId: 'still-there', brokers: first.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await expect(admin.listTopics()).resolves.toBeInstanceOf(Array);
    await admin.disconnect();
    await first.stop();
  });

  // where Docker answers, callers get containers instead (covered there)
  it.skipIf(docker)('gives each caller a fresh embedded ClickHouse dir and removes it on stop', async () => {
    delete process.env.CLICKHOUSE_URL;
    const a = await resolveClickHouse();
    const b = await resolveClickHouse();
    expect(a.how).toBe('embedded');
    if (a.target.kind !== 'embedded' || b.target.kind !== 'embedded') throw new Error('expected embedded targets');
    expect(a.target.path).not.toBe(b.target.path);
    expect(await readdir(a.target.path)).toEqual([]);
    const path = a.target.path;
    await a.stop();
    await b.stop();
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
