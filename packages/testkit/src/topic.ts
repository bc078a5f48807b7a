import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

/** The first `n` records of a topic (from its beginning) read by a throwaway group; fewer if 30 s pass first. */
export async function readMessages(kafka: Kafka, topic: string, n: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `testkit-reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const out: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void out.push(message) });
  const deadline = Date.now() + 30_000;
  while (out.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return out;
}
