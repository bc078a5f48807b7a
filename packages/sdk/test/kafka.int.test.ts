import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { CONTENT_TYPES, ContactEventCodec, EventValidationError, KafkaEventProducer, type ContactEvent, type EventInput } from '../src';

// The SDK against the real broker: publish through KafkaEventProducer, read the topic back
// with a plain kafkajs consumer and decode with the events codec.
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topic = `t-sdk-${randomUUID().slice(0, 8)}-contact-events.v1`;
const kafka = new Kafka({ brokers, clientId: 'sdk-test', logLevel: logLevel.NOTHING });
const base = Date.now() - 30 * 60_000;

/** N events over `contacts` contacts; each contact's events carry a rising sequence in wait_ms. */
function events(n: number, contacts: number, prefix: string): EventInput[] {
  return Array.from({ length: n }, (_, i) => ({
    event_id: `${prefix}-${i}`, contact_id: `c-${i % contacts}`, type: 'answered' as const, occurred_at: base + i,
    channel: 'voice' as const, direction: 'inbound' as const, queue_id: 'billing', agent_id: `a-${i % 5}`, wait_ms: i,
  }));
}

async function readAll(expect: number): Promise<{ message: KafkaMessage; partition: number }[]> {
  const consumer = kafka.consumer({ groupId: `sdk-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const out: { message: KafkaMessage; partition: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message, partition }) => void out.push({ message, partition }) });
  const deadline = Date.now() + 30_000;
  while (out.length < expect && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return out;
}

let producer: KafkaEventProducer;

beforeAll(async () => {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 4, replicationFactor: 1 }] });
  await admin.disconnect();
  producer = new KafkaEventProducer({ brokers, topic, tenantId: 'acme', batchSize: 250, lingerMs: 10 });
  await producer.connect();
});
afterAll(async () => {
  await producer?.close();
});

describe('KafkaEventProducer on the real broker', () => {
  it('publishes 2,000 events in batches; each reads back decoded, keyed tenant/contact, in order per contact, with its content type', async () => {
    const sent = events(2000, 40, 'k');
    // one call of 2,000 and then 100 single sends within the linger: all batched
    await producer.send(sent.slice(0, 1900));
    await Promise.all(sent.slice(1900).map((e) => producer.send(e)));
    expect(producer.stats.events).toBe(2000);
    expect(producer.stats.requests).toBeGreaterThanOrEqual(8); // 1,900 / 250 rounds up to 8, plus the singles' batch(es)
    expect(producer.stats.requests).toBeLessThan(100);

    const got = await readAll(2000);
    const codec = new ContactEventCodec();
    const decoded = got.map(({ message, partition }) => ({ key: message.key!.toString(), partition, ct: message.headers?.['content-type']?.toString(), offset: Number(message.offset), event: codec.decode(message.value!) as ContactEvent }));
    expect(decoded).toHaveLength(2000);
    expect(new Set(decoded.map((d) => d.event.event_id)).size).toBe(2000);
    expect(new Set(decoded.map((d) => d.ct))).toEqual(new Set([CONTENT_TYPES.singleObject]));
    for (const d of decoded) {
      expect(d.key).toBe(`acme/${d.event.contact_id}`);
      expect(d.event.tenant_id).toBe('acme');
    }
    // per contact: one partition, and offsets in the order the events were sent
    const byContact = new Map<string, typeof decoded>();
    for (const d of decoded) byContact.set(d.key, [...(byContact.get(d.key) ?? []), d]);
    expect(byContact.size).toBe(40);
    for (const list of byContact.values()) {
      expect(new Set(list.map((d) => d.partition)).size).toBe(1);
      const seq = list.sort((a, b) => a.offset - b.offset).map((d) => d.event.wait_ms!);
      expect(seq).toEqual([...seq].sort((a, b) => a - b));
    }
    const first = decoded.find((d) => d.event.event_id === 'k-7')!.event;
    expect(first).toMatchObject({ contact_id: 'c-7', occurred_at: base + 7, agent_id: 'a-2', wait_ms: 7, source: 'api' });
  });

  it('refuses an invalid batch before sending anything, naming the field', async () => {
    const before = producer.stats.requests;
    const bad = [...events(3, 3, 'bad'), { ...events(1, 1, 'bad2')[0]!, type: 'teleported' }] as unknown as EventInput[];
    const err = await producer.send(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventValidationError);
    expect((err as EventValidationError).errors).toEqual([expect.objectContaining({ index: 3, field: 'type' })]);
    await producer.flush();
    expect(producer.stats.requests).toBe(before);
  });
});
