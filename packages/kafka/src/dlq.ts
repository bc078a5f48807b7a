import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { TOPICS } from './topics';

export interface DeadLetter {
  message: KafkaMessage;
  sourceTopic: string;
  partition: number;
  reason: string;
}

/**
 * Bad records go to contact-events.dlq.v1 byte for byte, with the reason and their origin in
 * headers, so nothing is silently dropped and a fixed pipeline can replay them.
 */
export class DeadLetterPublisher {
  private readonly producer: Producer;

  constructor(kafka: Kafka, private readonly topic: string = TOPICS.dlq) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  }

  async start(): Promise<void> {
    await this.producer.connect();
  }

  async publish(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const now = new Date().toISOString();
    await this.producer.send({
      topic: this.topic,
      acks: -1,
      messages: letters.map((l) => ({
        key: l.message.key,
        value: l.message.value,
        headers: {
          'dlq.reason': l.reason,
          'dlq.source.topic': l.sourceTopic,
          'dlq.source.partition': String(l.partition),
          'dlq.source.offset': l.message.offset,
          'dlq.failed_at': now,
        },
      })),
    });
  }

  async stop(): Promise<void> {
    await this.producer.disconnect();
  }
}
