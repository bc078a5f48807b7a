import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ContactEventCodec, type ContactEvent } from '@switchboard/events';
import { feedsAggregates } from '@switchboard/kpi';
import { BatchConsumer, DeadLetterPublisher, type DeadLetter, type PartitionBatch, type Topics } from '@switchboard/kafka';
import type { Store } from '@switchboard/store';
import type { Component } from '@switchboard/service-kit';
import { aggregateMinuteRows } from './rows';
import { screenMessage, type ScreenPolicy } from './screen';
import { KpiWriter } from './writer';
import { EventLedger } from './event-ledger';
import { StateWriter } from './state-writer';
import { FcrFactWriter } from './fcr-facts';

export interface AggregatorConfig extends ScreenPolicy {
  groupId: string;
  partitionsConcurrently: number;
  topics: Topics;
  /** a partition's records are written once the oldest has waited this long … */
  flushDelayMs: number;
  /** … or this many are buffered */
  flushEvents: number;
  /** how long an event_id is remembered for deduplication */
  dedupHorizonHours: number;
  sessionTimeoutMs: number;
}

export interface AggregatorDeps {
  kafka: Kafka;
  store: Store;
  log: Logger;
  metrics: Registry;
  config: AggregatorConfig;
  now?: () => number;
}

/**
 * Kafka → ClickHouse. Stateless: everything it knows is in the batch at hand, so any number
 * of replicas split the partitions between them. Per batch: screen each record (bad ones to
 * the DLQ with the reason), fold the good ones into 1-minute rows, write, then commit.
 */
export class Aggregator {
  readonly consumer: BatchConsumer;
  readonly dlq: DeadLetterPublisher;
  private readonly writer: KpiWriter;
  private readonly stateWriter: StateWriter;
  private readonly fcrFacts: FcrFactWriter;
  private readonly ledger: EventLedger;
  private readonly codec = new ContactEventCodec();
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly consumed: Counter<'outcome'>;
  private readonly deadLettered: Counter<'reason'>;
  private readonly writeSeconds: Histogram;
  private readonly rowsWritten: Counter;
  /** event time of the newest event written, for freshness dashboards */
  lastWrittenAt = 0;

  constructor(private readonly deps: AggregatorDeps) {
    this.log = deps.log.child({ component: 'aggregator' });
    this.now = deps.now ?? Date.now;
    this.writer = new KpiWriter(deps.store.client);
    this.stateWriter = new StateWriter(deps.store.client);
    this.fcrFacts = new FcrFactWriter(deps.store.client);
    this.ledger = new EventLedger(deps.store.client, deps.config.dedupHorizonHours);
    this.dlq = new DeadLetterPublisher(deps.kafka, deps.config.topics.dlq);
    this.consumer = new BatchConsumer(
      deps.kafka,
      {
        groupId: deps.config.groupId,
        topic: deps.config.topics.events,
        partitionsConcurrently: deps.config.partitionsConcurrently,
        flushDelayMs: deps.config.flushDelayMs,
        flushEvents: deps.config.flushEvents,
        sessionTimeoutMs: deps.config.sessionTimeoutMs,
        handle: (b) => this.handle(b),
      },
      this.log,
    );
    const registers = [deps.metrics];
    this.consumed = new Counter({ name: 'switchboard_aggregator_events_total', help: 'Kafka records consumed, by outcome', labelNames: ['outcome'], registers });
    this.deadLettered = new Counter({ name: 'switchboard_aggregator_dlq_total', help: 'Records sent to the DLQ, by reason class', labelNames: ['reason'], registers });
    this.writeSeconds = new Histogram({ name: 'switchboard_aggregator_write_seconds', help: 'ClickHouse write time per batch', registers, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });
    this.rowsWritten = new Counter({ name: 'switchboard_aggregator_rows_written_total', help: '1-minute aggregate rows written', registers });
    // the backpressure bound: at most flushEvents per partition (see BatchConsumer)
    const consumer = this.consumer;
    new Gauge({ name: 'switchboard_aggregator_buffered_records', help: 'Kafka records held in memory: buffered plus being written, over all partitions', registers, collect() { this.set(consumer.bufferedRecords); } });
    new Gauge({ name: 'switchboard_aggregator_buffered_records_max', help: 'High-water mark of switchboard_aggregator_buffered_records since start', registers, collect() { this.set(consumer.bufferedRecordsMax); } });
  }

  /**
   * One partition batch: screen every record (bad ones to the DLQ with the reason), drop
   * event_ids counted before (in this batch or by another within the horizon), record the
   * new ids, then write their aggregates. Both writes are idempotent under the batch token,
   * so a replay of the same records after a crash completes or skips them, never doubles.
   */
  async handle(batch: PartitionBatch): Promise<void> {
    const now = this.now();
    const screened: ContactEvent[] = [];
    const letters: DeadLetter[] = [];
    for (const m of batch.messages) {
      const s = screenMessage(this.codec, m, this.deps.config, now);
      if (s.ok) screened.push(s.event);
      else letters.push({ message: m, sourceTopic: batch.topic, partition: batch.partition, reason: s.reason });
    }
    const unique = new Map<string, ContactEvent>();
    for (const e of screened) {
      const k = EventLedger.key(e.tenant_id, e.event_id);
      if (!unique.has(k)) unique.set(k, e);
    }
    const seen = await this.ledger.seenElsewhere([...unique.values()], batch.token);
    const fresh = [...unique.values()].filter((e) => !seen.has(EventLedger.key(e.tenant_id, e.event_id)));
    const duplicates = screened.length - fresh.length;

    // Dead letters first: a failed write below redelivers the batch and may dead-letter them
    // twice, which is harmless; the reverse order could lose them.
    if (letters.length > 0) {
      await this.dlq.publish(letters);
      for (const l of letters) this.deadLettered.inc({ reason: l.reason.split(':')[0]! });
    }
    await this.ledger.record(fresh, batch.token);
    const counted = fresh.filter(feedsAggregates);
    const rows = aggregateMinuteRows(counted);
    const end = this.writeSeconds.startTimer();
    // realtime state (GET /v1/realtime) before the rollups: idempotent under the batch token
    await this.stateWriter.write(fresh, batch.token);
    await this.fcrFacts.write(fresh, batch.token);
    await this.writer.write(rows, batch.token);
    end();
    this.rowsWritten.inc(rows.length);
    this.consumed.inc({ outcome: 'counted' }, fresh.length);
    this.consumed.inc({ outcome: 'duplicate' }, duplicates);
    this.consumed.inc({ outcome: 'dead_lettered' }, letters.length);
    for (const e of counted) if (e.occurred_at > this.lastWrittenAt) this.lastWrittenAt = e.occurred_at;
  }

  /** DLQ producer starts before the consumer and stops after it, so a batch in flight can still dead-letter. */
  components(): Component[] {
    return [
      { name: 'aggregator-dlq-producer', start: () => this.dlq.start(), stop: () => this.dlq.stop() },
      { name: 'aggregator-consumer', start: () => this.consumer.start(), stop: () => this.consumer.stop() },
    ];
  }
}
