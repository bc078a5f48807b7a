import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import { CONTENT_TYPE_HEADER, sniffContentType } from '@switchboard/events';
import { TOPICS } from './topics';
import { BrokerUnavailableError } from './producer';

/** A dead letter that did not come from a Kafka record: a vendor delivery the ingest edge could not map. */
export interface RawDeadLetter {
  key: string;
  value: string | Buffer;
  /** what `value` holds (the delivery's own content type): the DLQ's `content-type` header */
  contentType: string;
  reason: string;
  headers?: Record<string, string>;
}

export interface RawDeadLetterPublisher {
  publishRaw(letters: RawDeadLetter[]): Promise<void>;
}

export interface DeadLetter {
  message: KafkaMessage;
  sourceTopic: string;
  partition: number;
  reason: string;
}

/**
 * Bad records go to contact-events.dlq.v1 byte for byte, with the reason and their origin in
 * headers, so nothing is silently dropped and a fixed pipeline can replay them. Every letter
 * says what its value holds in a `content-type` header (docs/events.md, "Dead letters"): Kafka
 * records keep theirs (or get one from their first bytes), raw deliveries carry their own.
 */
export class DeadLetterPublisher implements RawDeadLetterPublisher {
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
          [CONTENT_TYPE_HEADER]: headerOf(l.message, CONTENT_TYPE_HEADER) ?? sniffContentType(l.message.value),
          'dlq.reason': l.reason,
          'dlq.source.topic': l.sourceTopic,
          'dlq.source.partition': String(l.partition),
          'dlq.source.offset': l.message.offset,
          'dlq.failed_at': now,
        },
      })),
    });
  }

  async publishRaw(letters: RawDeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const now = new Date().toISOString();
    let timer: NodeJS.Timeout | undefined;
    try {
      const send = this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: letters.map((l) => ({
          key: l.key,
          value: l.value,
          headers: { ...l.headers, [CONTENT_TYPE_HEADER]: l.contentType, 'dlq.reason': l.reason, 'dlq.source.topic': 'http', 'dlq.source.partition': '', 'dlq.source.offset': '', 'dlq.failed_at': now },
        })),
      });
      // answer the caller within a bound while the broker is down, as EventPublisher does
      send.catch(() => undefined);
      await Promise.race([send, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no acknowledgement within 10000 ms')), 10_000)))]);
    } catch (err) {
      throw new BrokerUnavailableError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    await this.producer.disconnect();
  }
}

function headerOf(message: KafkaMessage, name: string): string | undefined {
  const v = message.headers?.[name];
  const one = Array.isArray(v) ? v[0] : v;
  return one === undefined ? undefined : one.toString();
}
