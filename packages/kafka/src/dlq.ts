import type { Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import { CONTENT_TYPE_HEADER, sniffContentType } from '@switchboard/events';
import { TOPICS } from './topics';
import { BrokerUnavailableError } from './producer';
import { publishErrors, sharedCounter } from './metrics';

/** The class of a dead letter's reason, its text before the first colon (`future: occurred_at …` → `future`): a bounded label. */
export const reasonClass = (reason: string): string => reason.split(':')[0]!.trim() || 'unknown';

export interface DeadLetterObservers {
  /** one line per dead letter with its reason, at warn */
  log?: Logger;
  /** where switchboard_dlq_records_total{source,reason} and publish errors are counted */
  metrics?: Registry;
  /** the `source` label: who dead-lettered (aggregator, ingest) */
  source?: string;
}

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
  private readonly records: Counter<'source' | 'reason'> | null;
  private readonly errors: Counter<'topic'> | null;
  private readonly log: Logger | null;
  private readonly source: string;

  constructor(kafka: Kafka, private readonly topic: string = TOPICS.dlq, observers: DeadLetterObservers = {}) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.source = observers.source ?? 'unknown';
    this.log = observers.log?.child({ component: 'dlq' }) ?? null;
    this.records = observers.metrics
      ? sharedCounter(observers.metrics, 'switchboard_dlq_records_total', 'Records written to the dead-letter topic, by who sent them and reason class', ['source', 'reason'])
      : null;
    this.errors = observers.metrics ? publishErrors(observers.metrics) : null;
  }

  /** Counted and logged once the DLQ acknowledged them: a letter that failed to land is retried, not lost. */
  private written(letters: { reason: string; key: string | null; origin: Record<string, string | number> }[]): void {
    for (const l of letters) {
      const reason = reasonClass(l.reason);
      this.records?.inc({ source: this.source, reason });
      this.log?.warn({ source: this.source, reason, detail: l.reason, key: l.key, ...l.origin }, 'dead letter');
    }
  }

  async start(): Promise<void> {
    await this.producer.connect();
  }

  async publish(letters: DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    const now = new Date().toISOString();
    const send = this.producer.send({
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
    try {
      await send;
    } catch (err) {
      this.errors?.inc({ topic: this.topic });
      throw err;
    }
    this.written(letters.map((l) => ({ reason: l.reason, key: l.message.key?.toString() ?? null, origin: { source_topic: l.sourceTopic, partition: l.partition, offset: l.message.offset } })));
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
      this.errors?.inc({ topic: this.topic });
      throw new BrokerUnavailableError(err);
    } finally {
      clearTimeout(timer);
    }
    this.written(letters.map((l) => ({ reason: l.reason, key: l.key, origin: { source_topic: 'http' } })));
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
