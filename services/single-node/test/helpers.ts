import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';

/** Deterministic Fisher–Yates, so a failing order can be replayed. */
export function seededShuffle<T>(items: T[], seed: number): T[] {
  const a = [...items];
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 2 ** 32;
  };
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export interface Letter {
  reason: string;
  sourceTopic: string;
  offset: string | undefined;
  value: Buffer | null;
}

/** Reads the DLQ from the beginning until `expected` letters arrived (or 30 s passed). */
export async function readDeadLetters(kafka: Kafka, topic: string, expected: number): Promise<Letter[]> {
  const consumer = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const out: Letter[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const h = message.headers ?? {};
      out.push({ reason: String(h['dlq.reason']), sourceTopic: String(h['dlq.source.topic']), offset: h['dlq.source.offset']?.toString(), value: message.value });
    },
  });
  const deadline = Date.now() + 30_000;
  while (out.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 500));
  await consumer.disconnect();
  return out;
}

export { differences } from '@switchboard/testkit';
