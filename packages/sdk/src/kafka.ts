import { Kafka, Partitioners, logLevel, type KafkaConfig, type Message, type Producer } from 'kafkajs';
import {
  CONTENT_TYPE_HEADER, ContactEventCodec, DEFAULT_LATE_HORIZON_HOURS, SchemaRegistryClient, valueSubject,
  type ContactEvent, type SchemaRegistryConfig,
} from '@switchboard/events';
import { validateEvents, type EventInput } from './validation.js';

export interface KafkaProducerOptions {
  /** bootstrap servers, e.g. ['127.0.0.1:9092'] */
  brokers: string[];
  clientId?: string;
  /** the event topic (default contact-events.v1; with a topic prefix, prefix + that) */
  topic?: string;
  /** tenant of events that carry no tenant_id */
  tenantId?: string;
  /** a send waits at most this long for more events to share its request (default 20 ms) */
  lingerMs?: number;
  /** at most this many events per request (default 1,000) … */
  batchSize?: number;
  /** … and at most this many bytes of encoded events (default 900,000, under Kafka's 1 MB message limit) */
  maxBatchBytes?: number;
  /** events older than this are refused, as the aggregator would dead-letter them (default 168 h) */
  lateHorizonHours?: number;
  /** with a Confluent-compatible registry, the schema is registered and events are written in the Confluent wire format */
  schemaRegistry?: SchemaRegistryConfig;
  /** passed to kafkajs (ssl, sasl, timeouts…) */
  kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'>;
}

interface Pending {
  message: Message;
  bytes: number;
  done: { resolve(): void; reject(err: unknown): void; left: number };
}

/**
 * Publishes contact events straight to Switchboard's event topic, as ingest does
 * (docs/sdk.md): validated with the same rules, Avro-encoded, keyed `tenant/contact` so one
 * contact's events stay in order on one partition, through an idempotent producer (acks=all,
 * one request in flight: retries neither duplicate nor reorder). Sends are batched: events
 * wait up to `lingerMs` for others to share a request, or go at once when `batchSize` events
 * or `maxBatchBytes` are queued.
 */
export class KafkaEventProducer {
  private readonly producer: Producer;
  private readonly codec: ContactEventCodec;
  private readonly registry: SchemaRegistryClient | null;
  private readonly topic: string;
  private queue: Pending[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> = Promise.resolve();
  private connected = false;
  /** requests sent and events acknowledged since connect (what batching did) */
  readonly stats = { requests: 0, events: 0 };

  constructor(private readonly opts: KafkaProducerOptions) {
    this.topic = opts.topic ?? 'contact-events.v1';
    this.registry = opts.schemaRegistry ? new SchemaRegistryClient(opts.schemaRegistry) : null;
    this.codec = new ContactEventCodec(undefined, this.registry);
    const kafka = new Kafka({ logLevel: logLevel.WARN, ...opts.kafka, brokers: opts.brokers, clientId: opts.clientId ?? 'switchboard-sdk' });
    // kafkajs's default partitioner (murmur2 of the key, as Java clients and Switchboard's own
    // ingest use): a contact's events land on the same partition whoever sends them
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  }

  /** Connects, and registers the schema when a registry is configured. */
  async connect(): Promise<void> {
    if (this.registry) this.codec.useSchemaId(await this.registry.register(valueSubject(this.topic), this.codec.writerSchemaText));
    await this.producer.connect();
    this.connected = true;
  }

  /**
   * Validates the events (all or nothing: an EventValidationError names every bad field and
   * nothing is queued) and resolves once Kafka has acknowledged all of them.
   */
  send(events: EventInput | readonly EventInput[]): Promise<void> {
    if (!this.connected) return Promise.reject(new Error('KafkaEventProducer: call connect() first'));
    let valid: ContactEvent[];
    try {
      valid = validateEvents(Array.isArray(events) ? events : [events as EventInput], {
        ...(this.opts.tenantId !== undefined ? { tenantId: this.opts.tenantId } : {}),
        lateHorizonHours: this.opts.lateHorizonHours ?? DEFAULT_LATE_HORIZON_HOURS,
      });
    } catch (err) {
      return Promise.reject(err);
    }
    if (valid.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = { resolve, reject, left: valid.length };
      const headers = { [CONTENT_TYPE_HEADER]: this.codec.contentType };
      for (const e of valid) {
        const value = this.codec.encode(e);
        const key = `${e.tenant_id}/${e.contact_id}`;
        this.queue.push({ message: { key, value, headers }, bytes: value.length + key.length, done });
        this.queuedBytes += value.length + key.length;
      }
      if (this.queue.length >= this.batchSize || this.queuedBytes >= this.maxBatchBytes) void this.drain();
      else this.timer ??= setTimeout(() => void this.drain(), this.opts.lingerMs ?? 20);
    });
  }

  /** Sends whatever is queued and resolves once everything sent so far is acknowledged. */
  async flush(): Promise<void> {
    await this.drain();
  }

  /** Flushes, then disconnects. */
  async close(): Promise<void> {
    await this.flush();
    await this.producer.disconnect();
    this.connected = false;
  }

  private get batchSize(): number {
    return this.opts.batchSize ?? 1000;
  }
  private get maxBatchBytes(): number {
    return this.opts.maxBatchBytes ?? 900_000;
  }

  /** One request at a time, in queue order: per-key order holds across batches. */
  private drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sending = this.sending.then(async () => {
      while (this.queue.length > 0) {
        let n = 0;
        let bytes = 0;
        while (n < this.queue.length && n < this.batchSize && (n === 0 || bytes + this.queue[n]!.bytes <= this.maxBatchBytes)) bytes += this.queue[n++]!.bytes;
        const batch = this.queue.splice(0, n);
        this.queuedBytes -= bytes;
        try {
          this.stats.requests++;
          await this.producer.send({ topic: this.topic, acks: -1, messages: batch.map((p) => p.message) });
          this.stats.events += batch.length;
          for (const p of batch) if (--p.done.left === 0) p.done.resolve();
        } catch (err) {
          for (const p of batch) p.done.reject(err);
        }
      }
    });
    return this.sending;
  }
}
