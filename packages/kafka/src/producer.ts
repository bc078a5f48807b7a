import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { Counter, Registry } from 'prom-client';
import { CONTENT_TYPE_HEADER, ContactEventCodec, valueSubject, type ContactEvent, type SchemaRegistryClient } from '@switchboard/events';
import { TOPICS } from './topics';
import { publishErrors } from './metrics';

/** Kafka key: one contact's events stay on one partition, in order. */
export const eventKey = (e: Pick<ContactEvent, 'tenant_id' | 'contact_id'>) => `${e.tenant_id}/${e.contact_id}`;

/** Publishing is not possible now (the broker, or the schema registry when one is configured): retry later. */
export class BrokerUnavailableError extends Error {
  constructor(cause: unknown, readonly what: 'Kafka' | 'The schema registry' = 'Kafka') {
    super(`${what} is unreachable: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'BrokerUnavailableError';
  }
}

/**
 * Publishes contact events as Avro to contact-events.v1: idempotent (acks=all, broker-side
 * sequence numbers stop retry duplicates), one request per call so a caller's batch is
 * acknowledged as a whole. Retries are bounded so a dead broker turns into an error the
 * HTTP edge can answer with 503 instead of a request that hangs forever; a retried request
 * is safe because event_id is the idempotency key downstream.
 */
export class EventPublisher {
  private readonly producer: Producer;
  private connected = false;
  private readonly codec: ContactEventCodec;
  private readonly errors: Counter<'topic'> | null;
  /** set while (or once) the writer schema is registered; cleared on failure so the next publish tries again */
  private registered: Promise<void> | null = null;

  /**
   * With a schema registry, the writer schema is registered under `<topic>-value` before the
   * first publish and messages are written in the Confluent wire format (docs/events.md);
   * without one, in Avro single-object encoding.
   */
  constructor(
    kafka: Kafka,
    private readonly log: Logger,
    private readonly topic: string = TOPICS.events,
    private readonly timeoutMs = 10_000,
    private readonly registry: SchemaRegistryClient | null = null,
    /** where switchboard_kafka_publish_errors_total is counted */
    metrics?: Registry,
  ) {
    this.errors = metrics ? publishErrors(metrics) : null;
    this.codec = new ContactEventCodec(undefined, registry);
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 6, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    this.producer.on(this.producer.events.CONNECT, () => { this.connected = true; });
    this.producer.on(this.producer.events.DISCONNECT, () => { this.connected = false; });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  async start(): Promise<void> {
    await this.producer.connect();
    // a registry that is down at start is not fatal: the first publish tries again (and answers 503 meanwhile)
    await this.ensureRegistered().catch((err) => this.log.warn({ err }, 'schema registry not reachable yet'));
  }

  private ensureRegistered(): Promise<void> {
    if (!this.registry) return Promise.resolve();
    this.registered ??= this.registry.register(valueSubject(this.topic), this.codec.writerSchemaText).then(
      (id) => {
        this.codec.useSchemaId(id);
        this.log.info({ subject: valueSubject(this.topic), id }, 'writer schema registered');
      },
      (err: unknown) => {
        this.registered = null;
        throw err;
      },
    );
    return this.registered;
  }

  async publish(events: ContactEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      await this.ensureRegistered();
    } catch (err) {
      this.log.warn({ err }, 'schema registry unavailable');
      throw new BrokerUnavailableError(err, 'The schema registry');
    }
    // encoded before anything is sent: an event the schema refuses is the caller's bug (the
    // edge validates against the same bounds), never "Kafka is unreachable"
    const headers = { [CONTENT_TYPE_HEADER]: this.codec.contentType };
    const messages = events.map((e) => ({ key: eventKey(e), value: this.codec.encode(e), timestamp: String(Date.now()), headers }));
    let timer: NodeJS.Timeout | undefined;
    try {
      const send = this.producer.send({ topic: this.topic, acks: -1, messages });
      // A request in flight when the broker dies waits out kafkajs's request timeout; the
      // caller gets an answer sooner. The send may still land later: a retry is then a
      // redelivery, which the event_id ledger absorbs.
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no acknowledgement within ${this.timeoutMs} ms`)), this.timeoutMs);
      });
      send.catch(() => undefined);
      await Promise.race([send, deadline]);
    } catch (err) {
      this.errors?.inc({ topic: this.topic });
      this.log.warn({ err, topic: this.topic, events: events.length }, 'publish failed');
      throw new BrokerUnavailableError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    await this.producer.disconnect();
  }
}
