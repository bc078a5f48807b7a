import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Topics } from '@switchboard/kafka';
import { sniffContentType } from '@switchboard/events';

export interface DeadLetterRecord {
  offset: string;
  reason: string;
  source: string;
  failedAt: string;
  key: string | null;
  message: KafkaMessage;
}

const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString() ?? '';

/** Reads the DLQ from `fromOffset` to its current end (a snapshot; it does not wait for more). */
export async function readDlq(kafka: Kafka, topics: Topics, fromOffset?: string): Promise<DeadLetterRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const [end] = await admin.fetchTopicOffsets(topics.dlq);
  await admin.disconnect();
  const high = BigInt(end?.high ?? '0');
  const start = BigInt(fromOffset ?? end?.low ?? '0');
  if (start >= high) return [];
  const out: DeadLetterRecord[] = [];
  const consumer = kafka.consumer({ groupId: `switchboard-dlq-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.dlq, fromBeginning: true });
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (BigInt(message.offset) >= start && BigInt(message.offset) < high) {
        out.push({
          offset: message.offset,
          reason: header(message, 'dlq.reason'),
          source: `${header(message, 'dlq.source.topic')}[${header(message, 'dlq.source.partition')}]@${header(message, 'dlq.source.offset')}`,
          failedAt: header(message, 'dlq.failed_at'),
          key: message.key?.toString() ?? null,
          message,
        });
      }
      if (BigInt(message.offset) >= high - 1n) done();
    },
  });
  consumer.seek({ topic: topics.dlq, partition: 0, offset: String(start) });
  await finished;
  await consumer.disconnect();
  return out;
}

/**
 * Puts dead letters back on the event topic, byte for byte under their original key, so a
 * fixed pipeline counts them; the event_id ledger keeps a replay that runs twice from counting
 * twice. `filter` picks which letters (e.g. by reason prefix).
 */
export async function replayDlq(kafka: Kafka, topics: Topics, letters: DeadLetterRecord[], filter: (l: DeadLetterRecord) => boolean): Promise<number> {
  const chosen = letters.filter(filter);
  if (chosen.length === 0) return 0;
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = 0; i < chosen.length; i += 1000) {
      await producer.send({
        topic: topics.events,
        acks: -1,
        messages: chosen.slice(i, i + 1000).map((l) => ({
          key: l.message.key,
          value: l.message.value,
          // the content type travels with the bytes (docs/events.md, "Dead letters")
          headers: { 'content-type': l.message.headers?.['content-type']?.toString() ?? sniffContentType(l.message.value), 'dlq.replayed_from': `${topics.dlq}@${l.offset}` },
        })),
      });
    }
  } finally {
    await producer.disconnect();
  }
  return chosen.length;
}
