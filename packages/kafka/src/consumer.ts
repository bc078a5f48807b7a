import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';

export interface PartitionBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  firstOffset: string;
  lastOffset: string;
  /**
   * Names exactly these records (`topic:partition:first-last`). A batch re-read after a crash
   * is cut to the same range and carries the same token, so writes keyed by it are idempotent.
   */
  token: string;
}

export interface BatchConsumerOptions {
  groupId: string;
  topic: string;
  /** must make the batch durable (or dead-lettered) before it resolves; offsets are committed only then */
  handle(batch: PartitionBatch): Promise<void>;
  /** a partition's records are written once this many are buffered … */
  flushEvents: number;
  /** … or once the oldest buffered record has waited this long */
  flushDelayMs: number;
  partitionsConcurrently?: number;
  maxBytesPerPartition?: number;
  maxWaitTimeInMs?: number;
  sessionTimeoutMs?: number;
  retry?: { initialMs: number; maxMs: number };
}

/** Offset-commit metadata saying "records first..last may already be written". */
const INTENT_PREFIX = 'sb-intent:';
const encodeIntent = (first: bigint, last: bigint) => `${INTENT_PREFIX}${first}-${last}`;
export function parseIntent(metadata: string | null | undefined): { first: bigint; last: bigint } | null {
  const m = metadata?.startsWith(INTENT_PREFIX) ? /^(\d+)-(\d+)$/.exec(metadata.slice(INTENT_PREFIX.length)) : null;
  return m ? { first: BigInt(m[1]!), last: BigInt(m[2]!) } : null;
}

/** Commit errors that mean "this member no longer owns its partitions" (kafkajs rejoins on these). */
const MEMBERSHIP_ERRORS = new Set(['UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'NOT_COORDINATOR_FOR_GROUP']);

interface PartitionState {
  buffer: KafkaMessage[];
  /** when the oldest buffered record arrived */
  since: number;
  /** a range a previous owner may have written: must be replayed exactly, once */
  intent: { first: bigint; last: bigint } | null;
  timer: NodeJS.Timeout | null;
  /** serializes flushes of this partition (eachBatch and the timer both flush) */
  lock: Promise<void>;
  generation: number;
}

/**
 * A Kafka consumer that counts each record once however it crashes, by deterministic batches:
 *
 * - Records of a partition are buffered and written in one batch when `flushEvents` are
 *   buffered or the oldest has waited `flushDelayMs` (one ClickHouse write has a large fixed
 *   cost, so small writes are expensive).
 * - Before a batch is written, its exact offset range is recorded as the metadata of an
 *   offset commit at its first offset (the write-ahead intent). Then `handle` writes it, with
 *   the range as deduplication token, and only then is the offset after it committed.
 * - Whoever owns the partition next (this process after a restart, or another replica after
 *   a rebalance) reads the intent and replays exactly that range under the same token, so a
 *   write that did land is dropped by ClickHouse and one that did not is completed.
 * - A failed write is retried with capped backoff; nothing past it is committed.
 * - Backpressure: a partition holds at most `flushEvents` records, buffered and being written
 *   together (or, when replaying, the whole range a previous owner intended, if that is more).
 *   kafkajs hands a partition's next batch only after its eachBatch returned, and fetches by
 *   bytes, not records: so eachBatch takes only what fits, resolves the offset of the last
 *   record taken (kafkajs fetches the rest again), and once the partition is full waits for
 *   the write. Lag grows in Kafka instead of memory.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly states = new Map<number, PartitionState>();
  /** partitions of a previous generation whose flushes may still hold records */
  private readonly retired = new Set<PartitionState>();
  private bufferedMax = 0;
  private previousFlushes: Promise<void> = Promise.resolve();
  private generation = 0;
  private stopping = false;
  private draining = false;
  private joined = false;
  private lastError: string | null = null;

  private readonly heartbeatIntervalMs: number;

  constructor(kafka: Kafka, private readonly opts: BatchConsumerOptions, private readonly log: Logger) {
    this.heartbeatIntervalMs = Math.max(500, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 10));
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.heartbeatIntervalMs,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 1_048_576,
      maxWaitTimeInMs: opts.maxWaitTimeInMs ?? 100,
      allowAutoTopicCreation: false,
    });
    this.admin = kafka.admin();
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      this.lastError = String(e.payload.error);
      this.log.error({ err: e.payload.error, restart: e.payload.restart }, 'consumer crashed');
      // not restarted by kafkajs: readiness drops, so an orchestrator replaces the process
      if (!e.payload.restart) this.joined = false;
    });
    // A new generation may move partitions and resets kafkajs to the committed offsets:
    // buffered records are dropped (they were never committed) and intents re-read.
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      this.generation++;
      for (const st of this.states.values()) if (st.timer) clearTimeout(st.timer);
      // A flush of the old generation may still be writing. Its offset commits would carry
      // the new generation id and be accepted, so the new generation must not read intents
      // before the old flushes are done: otherwise an old intent could overwrite a new one
      // and the ledger would hide a batch whose aggregates were never written.
      const old = [...this.states.values()];
      for (const st of old) this.retired.add(st);
      this.previousFlushes = Promise.allSettled([this.previousFlushes, ...old.map((st) => st.lock)]).then(() => {
        // never written by this member now: the next owner re-reads them from Kafka
        for (const st of old) {
          st.buffer = [];
          this.retired.delete(st);
        }
      });
      this.states.clear();
      this.joined = true;
    });
  }

  get isRunning(): boolean {
    return this.joined && !this.stopping;
  }
  get error(): string | null {
    return this.lastError;
  }

  /** Records held in memory now, over all partitions: buffered plus being written. */
  get bufferedRecords(): number {
    let n = 0;
    for (const st of this.states.values()) n += st.buffer.length;
    for (const st of this.retired) n += st.buffer.length;
    return n;
  }
  /** The most `bufferedRecords` has been since start. */
  get bufferedRecordsMax(): number {
    return this.bufferedMax;
  }

  /**
   * Connects and subscribes, then joins the group in the background: a join can wait a whole
   * session timeout for a crashed predecessor to be evicted, and the process should be up
   * (healthy, not yet ready) meanwhile. `isRunning` turns true once the group is joined.
   */
  async start(): Promise<void> {
    await this.admin.connect();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.opts.topic, fromBeginning: true });
    this.consumer
      .run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.opts.partitionsConcurrently ?? 64,
        eachBatch: (payload) => this.onBatch(payload),
      })
      .catch((err) => {
        this.lastError = (err as Error).message;
        this.log.error({ err }, 'consumer failed to start');
      });
  }

  private async stateOf(partition: number): Promise<PartitionState> {
    let st = this.states.get(partition);
    if (st) return st;
    const generation = this.generation;
    await this.previousFlushes;
    const offsets = await this.admin.fetchOffsets({ groupId: this.opts.groupId, topics: [this.opts.topic] });
    const p = offsets[0]?.partitions.find((x) => x.partition === partition);
    const intent = parseIntent(p?.metadata);
    // the intent holds only while the committed offset still points at its start
    const valid = intent && p && BigInt(p.offset) === intent.first ? intent : null;
    if (valid) this.log.info({ partition, first: String(valid.first), last: String(valid.last) }, 'replaying the batch a previous owner may have written');
    st = this.states.get(partition) ?? { buffer: [], since: 0, intent: valid, timer: null, lock: Promise.resolve(), generation };
    this.states.set(partition, st);
    return st;
  }

  private async onBatch({ batch, resolveOffset, isRunning, isStale, heartbeat }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || this.stopping || this.draining) return;
    const st = await this.stateOf(batch.partition);
    const lastBuffered = st.buffer.length ? BigInt(st.buffer[st.buffer.length - 1]!.offset) : -1n;
    const fresh = batch.messages.filter((m) => BigInt(m.offset) > lastBuffered);
    // Take only what fits (one fetch is up to maxBytesPerPartition of records, whatever their count)
    const capacity = Math.max(this.opts.flushEvents, st.intent ? Number(st.intent.last - st.intent.first + 1n) : 0);
    const take = Math.min(fresh.length, Math.max(0, capacity - st.buffer.length));
    if (take > 0 && st.buffer.length === 0) st.since = Date.now();
    for (let i = 0; i < take; i++) st.buffer.push(fresh[i]!);
    const held = this.bufferedRecords;
    if (held > this.bufferedMax) this.bufferedMax = held;
    // kafkajs fetches on after the last record taken (what did not fit comes again once the
    // partition is written); nothing is committed until the write is done
    if (take === fresh.length) resolveOffset(batch.lastOffset());
    else if (st.buffer.length > 0) resolveOffset(st.buffer[st.buffer.length - 1]!.offset);
    if (!isRunning() || isStale()) return;
    if (st.intent || st.buffer.length >= this.opts.flushEvents || Date.now() - st.since >= this.opts.flushDelayMs) {
      // kafkajs heartbeats only between batches: a write longer than the session timeout
      // would otherwise get this member evicted mid-write, and its partitions replayed.
      const beat = setInterval(() => heartbeat().catch(() => undefined), this.heartbeatIntervalMs);
      try {
        await this.flush(batch.topic, batch.partition, st);
      } finally {
        clearInterval(beat);
      }
    } else if (!st.timer) {
      st.timer = setTimeout(() => {
        st.timer = null;
        this.flush(batch.topic, batch.partition, st).catch((err) => this.log.warn({ err, partition: batch.partition }, 'timed flush failed'));
      }, Math.max(0, this.opts.flushDelayMs - (Date.now() - st.since)));
    }
  }

  private flush(topic: string, partition: number, st: PartitionState): Promise<void> {
    const run = st.lock.catch(() => undefined).then(() => this.flushNow(topic, partition, st));
    st.lock = run;
    return run;
  }

  private owned(st: PartitionState): boolean {
    return !this.stopping && st.generation === this.generation;
  }

  private async flushNow(topic: string, partition: number, st: PartitionState): Promise<void> {
    if (st.timer) {
      clearTimeout(st.timer);
      st.timer = null;
    }
    while (st.buffer.length > 0 && this.owned(st)) {
      let cut: KafkaMessage[];
      const replay = st.intent;
      if (replay) {
        const lastHave = BigInt(st.buffer[st.buffer.length - 1]!.offset);
        if (lastHave < replay.last) return; // the rest of the intended range is still to be fetched
        cut = st.buffer.filter((m) => BigInt(m.offset) <= replay.last);
      } else {
        cut = st.buffer.slice(0, this.opts.flushEvents);
      }
      const first = BigInt(cut[0]!.offset);
      const last = BigInt(cut[cut.length - 1]!.offset);
      const batch: PartitionBatch = {
        topic, partition, messages: cut, firstOffset: String(first), lastOffset: String(last),
        token: `${topic}:${partition}:${first}-${last}`,
      };
      if (!this.owned(st)) return; // revoked: the next generation decides what to write
      if (!replay) await this.commit(topic, partition, first, encodeIntent(first, last));
      if (!this.owned(st)) return; // revoked meanwhile: the next owner replays the intent
      if (!(await this.writeWithRetry(batch, st))) return; // revoked while retrying: the next owner replays the intent
      if (!this.owned(st)) return; // revoked meanwhile: the next owner replays the intent
      await this.commit(topic, partition, last + 1n, null);
      st.intent = null;
      st.buffer = st.buffer.slice(cut.length);
      st.since = Date.now();
      // only a full buffer is flushed again at once; a small remainder waits for the next batch or timer
      if (st.buffer.length < this.opts.flushEvents) {
        if (st.buffer.length > 0 && !st.timer) {
          st.timer = setTimeout(() => {
            st.timer = null;
            this.flush(topic, partition, st).catch((err) => this.log.warn({ err, partition }, 'timed flush failed'));
          }, this.opts.flushDelayMs);
        }
        return;
      }
    }
  }

  /**
   * kafkajs wraps a commit refused for group membership (evicted, or the group rebalancing)
   * in a non-retriable error, and a consumer crashing on that one is not restarted. Rethrown
   * unwrapped, the runner recognizes it and rejoins the group; the next owner of the
   * partition then replays the intent.
   */
  private async commit(topic: string, partition: number, offset: bigint, metadata: string | null): Promise<void> {
    try {
      await this.consumer.commitOffsets([{ topic, partition, offset: String(offset), metadata }]);
    } catch (err) {
      const cause = (err as { cause?: { type?: string } }).cause;
      if (cause?.type && MEMBERSHIP_ERRORS.has(cause.type)) throw cause;
      throw err;
    }
  }

  /**
   * True once the batch is written; false when the partition was revoked while retrying (the
   * store's error is not rethrown: kafkajs would take it for a consumer failure, while the
   * next owner simply replays the intent).
   */
  private async writeWithRetry(batch: PartitionBatch, st: PartitionState): Promise<boolean> {
    const { initialMs, maxMs } = this.opts.retry ?? { initialMs: 200, maxMs: 10_000 };
    for (let attempt = 0, delay = initialMs; ; attempt++, delay = Math.min(delay * 2, maxMs)) {
      try {
        await this.opts.handle(batch);
        this.lastError = null;
        return true;
      } catch (err) {
        this.lastError = (err as Error).message;
        this.log.warn({ err, partition: batch.partition, offsets: [batch.firstOffset, batch.lastOffset], attempt }, 'batch not written; retrying');
        if (!this.owned(st)) return false;
        await new Promise((r) => setTimeout(r, delay));
        if (!this.owned(st)) return false;
      }
    }
  }

  /**
   * Graceful: takes no new batches, writes and commits what is buffered, then leaves the
   * group so the partitions move on at once (no session timeout to wait out).
   */
  async stop(): Promise<void> {
    this.draining = true;
    await Promise.all(
      [...this.states.entries()].map(([partition, st]) =>
        this.flush(this.opts.topic, partition, st).catch((err) => this.log.warn({ err, partition }, 'final flush failed; the next owner replays it')),
      ),
    );
    this.stopping = true;
    for (const st of this.states.values()) if (st.timer) clearTimeout(st.timer);
    await this.consumer.disconnect();
    await this.admin.disconnect();
    this.joined = false;
  }
}
