import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { ContactEventCodec, type ContactEvent, type SchemaRegistryClient } from '@switchboard/events';
import { QUEUE_DIMENSIONS, feedsAggregates } from '@switchboard/kpi';
import { BatchConsumer, DeadLetterPublisher, type CombinedBatch, type DeadLetter, type Topics } from '@switchboard/kafka';
import { BusinessConfigBook, type BusinessConfigFiles, EventLedger, FcrFactWriter, InsertStats, engineCounters, type EngineCounters, KpiWriter, StateWriter, aggregateMinuteRows, type Store } from '@switchboard/warehouse';
import type { Component } from '@switchboard/service-kit';
import { screenMessage, type ScreenPolicy } from './screen';

export interface AggregatorConfig extends ScreenPolicy {
  groupId: string;
  partitionsConcurrently: number;
  topics: Topics;
  /** buffered records (of all owned partitions) are written once the oldest has waited this long … */
  flushDelayMs: number;
  /** a trickle's records may wait longer (see BatchConsumerOptions.trickle) */
  trickle?: { events: number; delayMs: number };
  /** … or this many are buffered over all partitions */
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
  /** where the writer schemas of Confluent-framed records are looked up (SCHEMA_REGISTRY_URL) */
  registry?: SchemaRegistryClient | null;
  /**
   * where the tenants' calendars and SLA policies come from beside the store (the files,
   * CALENDARS_FILE and SLA_POLICIES_FILE) and how often the store is looked at
   * (BUSINESS_CONFIG_REFRESH_MS); docs/business-hours.md
   */
  businessConfig?: { files?: BusinessConfigFiles; refreshMs?: number };
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
  /** the business configuration, refreshed before each flush */
  readonly book: BusinessConfigBook;
  private readonly writer: KpiWriter;
  private readonly stateWriter: StateWriter;
  private readonly fcrFacts: FcrFactWriter;
  private readonly ledger: EventLedger;
  private readonly codec: ContactEventCodec;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly consumed: Counter<'outcome'>;
  private readonly writeSeconds: Histogram;
  private readonly rowsWritten: Counter;
  private readonly flushes: Counter;
  /** event time of the newest event written, for freshness dashboards */
  lastWrittenAt = 0;
  /** inserts and rows written, by table (the bench reads them) */
  readonly insertStats = new InsertStats();

  constructor(private readonly deps: AggregatorDeps) {
    this.log = deps.log.child({ component: 'aggregator' });
    this.now = deps.now ?? Date.now;
    this.codec = new ContactEventCodec(undefined, deps.registry ?? null);
    const client = deps.store.client;
    this.writer = new KpiWriter(client, this.insertStats);
    this.stateWriter = new StateWriter(client, this.insertStats);
    this.fcrFacts = new FcrFactWriter(client, this.insertStats);
    this.book = new BusinessConfigBook({
      client, files: deps.businessConfig?.files, minIntervalMs: deps.businessConfig?.refreshMs, now: this.now, stats: this.insertStats,
      onInvalidRow: (row, err) => this.log.error({ err, ...row }, 'stored business configuration no longer valid; skipped'),
    });
    this.ledger = new EventLedger(deps.store, deps.config.dedupHorizonHours, this.insertStats);
    this.dlq = new DeadLetterPublisher(deps.kafka, deps.config.topics.dlq, { log: this.log, metrics: deps.metrics, source: 'aggregator' });
    this.consumer = new BatchConsumer(
      deps.kafka,
      {
        groupId: deps.config.groupId,
        topic: deps.config.topics.events,
        partitionsConcurrently: deps.config.partitionsConcurrently,
        flushDelayMs: deps.config.flushDelayMs,
        ...(deps.config.trickle ? { trickle: deps.config.trickle } : {}),
        flushEvents: deps.config.flushEvents,
        sessionTimeoutMs: deps.config.sessionTimeoutMs,
        metrics: deps.metrics,
        handle: (b) => this.handle(b),
      },
      this.log,
    );
    const registers = [deps.metrics];
    this.consumed = new Counter({ name: 'switchboard_aggregator_events_total', help: 'Kafka records consumed, by outcome', labelNames: ['outcome'], registers });
    // Freshness: how far behind the clock the newest event written is. While nothing was
    // written since start it is unknown (NaN), so an alert on it stays quiet until the first write.
    const self = this;
    new Gauge({ name: 'switchboard_aggregator_newest_event_timestamp_seconds', help: 'Event time (occurred_at, Unix seconds) of the newest event written to the store since start; NaN before the first write', registers, collect() { this.set(self.lastWrittenAt > 0 ? self.lastWrittenAt / 1000 : NaN); } });
    new Gauge({ name: 'switchboard_aggregator_freshness_seconds', help: 'Seconds between now and the event time of the newest event written to the store; NaN before the first write', registers, collect() { this.set(self.lastWrittenAt > 0 ? (self.now() - self.lastWrittenAt) / 1000 : NaN); } });
    this.writeSeconds = new Histogram({ name: 'switchboard_aggregator_write_seconds', help: 'ClickHouse write time per combined batch', registers, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });
    const stats = this.insertStats;
    new Counter({
      name: 'switchboard_aggregator_inserts_total', help: 'ClickHouse inserts sent, by table', labelNames: ['table'], registers,
      collect() { this.reset(); for (const [table, n] of stats.inserts) this.inc({ table }, n); },
    });
    new Counter({
      name: 'switchboard_aggregator_insert_rows_total', help: 'Rows inserted into ClickHouse, by table', labelNames: ['table'], registers,
      collect() { this.reset(); for (const [table, n] of stats.rows) this.inc({ table }, n); },
    });
    new Counter({
      name: 'switchboard_aggregator_lookups_total', help: 'ClickHouse lookups (SELECTs) of the write path, by table', labelNames: ['table'], registers,
      collect() { this.reset(); for (const [table, l] of stats.lookups) this.inc({ table }, l.n); },
    });
    // What ClickHouse did, read from its own system tables at most every 5 s (a scrape must
    // not cost a query each): active parts by table, and its counters of parts and merges.
    const store = deps.store.client;
    let storeSnapshot: ({ at: number } & EngineCounters) | null = null;
    const snapshot = async () => {
      if (storeSnapshot && Date.now() - storeSnapshot.at < 5000) return storeSnapshot;
      storeSnapshot = { at: Date.now(), ...(await engineCounters(store)) };
      return storeSnapshot;
    };
    new Gauge({
      name: 'switchboard_store_parts_active', help: 'Active data parts of each table (ClickHouse system.parts; refreshed at most every 5 s)', labelNames: ['table'], registers,
      async collect() { this.reset(); for (const [table, n] of (await snapshot().catch(() => null))?.parts ?? []) this.set({ table }, n); },
    });
    new Gauge({
      name: 'switchboard_store_profile_events', help: 'ClickHouse counters since the engine started (system.events: queries, inserted rows and parts, merges; refreshed at most every 5 s)', labelNames: ['event'], registers,
      async collect() { this.reset(); for (const [event, v] of (await snapshot().catch(() => null))?.events ?? []) this.set({ event }, v); },
    });
    new Gauge({
      name: 'switchboard_store_memory_bytes', help: "ClickHouse's tracked memory (system.metrics MemoryTracking; embedded: the engine's share of this process) and what its running merges hold (system.merges); refreshed at most every 5 s", labelNames: ['of'], registers,
      async collect() {
        this.reset();
        const m = (await snapshot().catch(() => null))?.memory;
        if (m) { this.set({ of: 'engine' }, m.tracked); this.set({ of: 'merges' }, m.mergeBytes); }
      },
    });
    new Gauge({
      name: 'switchboard_store_merges_running', help: 'Merges ClickHouse is running now in this database (system.merges; refreshed at most every 5 s)', registers,
      async collect() { const m = (await snapshot().catch(() => null))?.memory; this.set(m ? m.merges : NaN); },
    });
    this.flushes = new Counter({ name: 'switchboard_aggregator_flushes_total', help: 'Combined batches written (one per flush, for all owned partitions)', registers });
    this.rowsWritten = new Counter({ name: 'switchboard_aggregator_rows_written_total', help: '1-minute aggregate rows written', registers });
    // the backpressure bound: at most flushEvents over all partitions (see BatchConsumer)
    const consumer = this.consumer;
    new Gauge({ name: 'switchboard_aggregator_buffered_records', help: 'Kafka records held in memory: buffered plus being written, over all partitions', registers, collect() { this.set(consumer.bufferedRecords); } });
    new Gauge({ name: 'switchboard_aggregator_buffered_records_max', help: 'High-water mark of switchboard_aggregator_buffered_records since start', registers, collect() { this.set(consumer.bufferedRecordsMax); } });
  }

  /**
   * One combined batch (every owned partition's buffered records): screen every record (bad
   * ones to the DLQ with the reason), drop event_ids counted before (in this batch or by
   * another within the horizon), record the new ids, then write the realtime state, the FCR
   * facts and the aggregates. Every write is one block under a token derived from the
   * batch's, so a replay of the same records after a crash completes or skips each, never
   * doubles (docs/architecture.md, "Exactly once").
   */
  async handle(batch: CombinedBatch): Promise<void> {
    const now = this.now();
    const unique = new Map<string, ContactEvent>();
    const letters: DeadLetter[] = [];
    let screenedCount = 0;
    // writer schemas of unknown registry ids first; a registry that is down fails the write
    // (retried), so good records are not dead-lettered for it
    await this.codec.prepare(batch.parts.flatMap((p) => p.messages.map((m) => m.value)));
    for (const part of batch.parts) {
      for (const m of part.messages) {
        const s = screenMessage(this.codec, m, this.deps.config, now);
        if (!s.ok) {
          letters.push({ message: m, sourceTopic: batch.topic, partition: part.partition, reason: s.reason });
          continue;
        }
        screenedCount++;
        const k = EventLedger.key(s.event.tenant_id, s.event.event_id);
        if (!unique.has(k)) unique.set(k, s.event);
      }
    }
    const candidates = [...unique.values()];
    const seen = await this.ledger.seenElsewhere(candidates, batch.token);
    const fresh = seen.size === 0 ? candidates : candidates.filter((e) => !seen.has(EventLedger.key(e.tenant_id, e.event_id)));
    const duplicates = screenedCount - fresh.length;

    // Dead letters first: a failed write below redelivers the batch and may dead-letter them
    // twice, which is harmless; the reverse order could lose them.
    if (letters.length > 0) {
      await this.dlq.publish(letters);
    }
    const end = this.writeSeconds.startTimer();
    // calendars and SLA policies changed since the last look, before anything of the batch is
    // written (at most one small statement, none within BUSINESS_CONFIG_REFRESH_MS of the last)
    await this.book.refresh();
    await this.ledger.record(fresh, batch.token);
    const counted = fresh.filter(feedsAggregates);
    const rows = aggregateMinuteRows(counted, undefined, this.book);
    const byQueue = aggregateMinuteRows(counted, QUEUE_DIMENSIONS, this.book);
    // realtime state (GET /v1/realtime) before the rollups: idempotent under the batch token
    await this.stateWriter.write(fresh, batch.token);
    await this.fcrFacts.write(fresh, batch.token);
    await this.writer.write(rows, batch.token, byQueue);
    end();
    this.flushes.inc();
    this.rowsWritten.inc(rows.length);
    this.consumed.inc({ outcome: 'counted' }, fresh.length);
    this.consumed.inc({ outcome: 'duplicate' }, duplicates);
    this.consumed.inc({ outcome: 'dead_lettered' }, letters.length);
    // every event written (the realtime state takes holds too), not only those feeding the rollups
    for (const e of fresh) if (e.occurred_at > this.lastWrittenAt) this.lastWrittenAt = e.occurred_at;
  }

  /** DLQ producer starts before the consumer and stops after it, so a batch in flight can still dead-letter. */
  components(): Component[] {
    return [
      // the configuration is read before the first batch is folded
      { name: 'aggregator-business-config', start: () => this.book.refresh(true), stop: async () => undefined },
      { name: 'aggregator-dlq-producer', start: () => this.dlq.start(), stop: () => this.dlq.stop() },
      { name: 'aggregator-consumer', start: () => this.consumer.start(), stop: () => this.consumer.stop() },
    ];
  }
}
