import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import { publishErrors } from '@switchboard/kafka';
import type { AlertEvent } from './events';

/**
 * Publishes alert transitions to alerts.v1 as JSON, keyed by alert_id (one alert's
 * transitions stay in order on one partition), idempotent producer with acks=all. Each record
 * carries `event_id` = `alert_id:seq`: consumers de-duplicate on it, since a transition can be
 * published again after a leadership change.
 */
export class AlertPublisher {
  private readonly producer: Producer;
  private readonly errors: Counter<'topic'> | null;

  /** `metrics`: where a failed send is counted (switchboard_kafka_publish_errors_total) */
  constructor(kafka: Kafka, private readonly topic: string, private readonly log: Logger, metrics?: Registry) {
    this.errors = metrics ? publishErrors(metrics) : null;
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    });
  }

  async start(): Promise<void> {
    await this.producer.connect();
  }

  async publish(events: AlertEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.producer.send({
        topic: this.topic,
        acks: -1,
        messages: events.map((e) => ({
          key: e.alert_id,
          value: JSON.stringify(e),
          headers: { 'event-id': e.event_id, 'alert-kind': e.kind, 'tenant-id': e.tenant_id, 'content-type': 'application/json' },
        })),
      });
    } catch (err) {
      this.errors?.inc({ topic: this.topic });
      throw err;
    }
    this.log.debug({ n: events.length }, 'alert transitions published');
  }

  async stop(): Promise<void> {
    await this.producer.disconnect();
  }
}
