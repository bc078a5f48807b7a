import { createHash, randomUUID } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';

/** One partition's share of a combined batch: the records `firstOffset..lastOffset`. */
export interface BatchPart {
  partition: number;
  messages: KafkaMessage[];
  firstOffset: string;
  lastOffset: string;
}

/**
 * What one flush writes: the records of every partition this member owns that were buffered,
 * parts ordered by partition. `token` names exactly these offset ranges; a batch re-read
 * after a crash or a rebalance is cut to the same ranges and carries the same token, so
 * writes keyed by it are idempotent.
 */
export interface CombinedBatch {
  topic: string;
  parts: BatchPart[];
  token: string;
}

export interface OffsetRange {
  partition: number;
  first: bigint;
  last: bigint;
}

export interface BatchConsumerOptions {
  groupId: string;
  topic: string;
  /** must make the batch durable (or dead-lettered) before it resolves; offsets are committed only then */
  handle(batch: CombinedBatch): Promise<void>;
  /** a flush happens once this many records are buffered over all partitions … */
  flushEvents: number;
  /** … or once the oldest buffered record has waited this long */
  flushDelayMs: number;
  /**
   * A trickle waits longer: while fewer than `events` records are buffered, the oldest may
   * wait `delayMs` (a write's statements cost the same for 300 records as for 30,000).
   */
  trickle?: { events: number; delayMs: number };
  partitionsConcurrently?: number;
  maxBytesPerPartition?: number;
  maxWaitTimeInMs?: number;
  sessionTimeoutMs?: number;
  retry?: { initialMs: number; maxMs: number };
  /** how long a replay may wait for the records of an intent (default 120 s, then it is retried) */
  replayTimeoutMs?: number;
  /** where switchboard_kafka_consumer_lag{topic,partition,group} is exposed */
  metrics?: Registry;
  /** a lag read is reused for this long, so frequent scrapes cost the broker nothing more (default 2 s) */
  lagCacheMs?: number;
}

/** One partition's consumer lag: records on the broker after the group's committed offset. */
export interface PartitionLag {
  partition: number;
  lag: number;
}

/**
 * Offset-commit metadata saying "these ranges may already be written, under one token".
 * `sb-intent:first-last` is the single-partition form of earlier versions (still read, so an
 * upgrade replays what the previous version left); `sb-intents:p:first-last,…` names every
 * partition of a combined batch. Kafka keeps up to 4096 bytes of metadata by default
 * (offset.metadata.max.bytes), so a combined batch spans at most MAX_PARTS_PER_BATCH partitions.
 */
const INTENT_PREFIX = 'sb-intent:';
const INTENTS_PREFIX = 'sb-intents:';
export const MAX_PARTS_PER_BATCH = 96;

export function encodeIntent(ranges: OffsetRange[]): string {
  return `${INTENTS_PREFIX}${ranges.map((r) => `${r.partition}:${r.first}-${r.last}`).join(',')}`;
}

/** The ranges an offset-commit's metadata names, or null; `partition` is the partition it was committed on. */
export function parseIntent(metadata: string | null | undefined, partition: number): OffsetRange[] | null {
  if (!metadata) return null;
  if (metadata.startsWith(INTENT_PREFIX)) {
    const m = /^(\d+)-(\d+)$/.exec(metadata.slice(INTENT_PREFIX.length));
    return m ? [{ partition, first: BigInt(m[1]!), last: BigInt(m[2]!) }] : null;
  }
  if (!metadata.startsWith(INTENTS_PREFIX)) return null;
  const ranges: OffsetRange[] = [];
  for (const item of metadata.slice(INTENTS_PREFIX.length).split(',')) {
    const m = /^(\d+):(\d+)-(\d+)$/.exec(item);
    if (!m) return null;
    ranges.push({ partition: Number(m[1]), first: BigInt(m[2]!), last: BigInt(m[3]!) });
  }
  return ranges.length ? ranges : null;
}

/**
 * The token of a set of ranges. One partition keeps the earlier versions' form
 * (`topic:partition:first-last`), so a replay after an upgrade deduplicates against what the
 * previous version wrote; several partitions are named by a digest of their ranges.
 */
export function batchToken(topic: string, ranges: OffsetRange[]): string {
  if (ranges.length === 1) {
    const r = ranges[0]!;
    return `${topic}:${r.partition}:${r.first}-${r.last}`;
  }
  const digest = createHash('sha256').update(encodeIntent(ranges)).digest('hex').slice(0, 32);
  return `${topic}:x${ranges.length}:${digest}`;
}

/** Commit errors that mean "this member no longer owns its partitions" (kafkajs rejoins on these). */
const MEMBERSHIP_ERRORS = new Set(['UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'NOT_COORDINATOR_FOR_GROUP']);

interface PartitionState {
  partition: number;
  buffer: KafkaMessage[];
  /** records up to this offset belong to a pending replay, which reads them itself */
  skipThrough: bigint;
  generation: number;
}

/**
 * A Kafka consumer that counts each record once however it crashes, by deterministic batches,
 * and writes once per flush for all the partitions it owns (the store's cost is per write,
 * not per record: see docs/architecture.md, "The write path"):
 *
 * - Records of every owned partition are buffered together and written as one combined batch
 *   when `flushEvents` are buffered or the oldest has waited `flushDelayMs`.
 * - Before a batch is written, its exact offset ranges (one per partition) are recorded as the
 *   metadata of an offset commit at each partition's first offset (the write-ahead intent).
 *   Then `handle` writes it, with a token derived from the ranges, and only then are the
 *   offsets after it committed, all partitions in one request.
 * - Whoever owns one of those partitions next (this process after a restart, or another
 *   replica after a rebalance) reads the intent and replays the whole batch, re-reading every
 *   named range by offset whether it owns that partition now or not, under the same token:
 *   a write that did land is dropped by the store's deduplication and one that did not is
 *   completed; two owners replaying the same intent write the same data under the same token.
 * - A failed write is retried with capped backoff; nothing past it is committed.
 * - Backpressure: at most `flushEvents` records are held in memory over all partitions
 *   (plus, when replaying, the intended ranges). kafkajs hands a partition's next batch only
 *   after its eachBatch returned, and fetches by bytes, not records: so eachBatch takes only
 *   what fits, resolves the offset of the last record taken (kafkajs fetches the rest again),
 *   and once the buffer is full waits for the write. Lag grows in Kafka instead of memory.
 */
export class BatchConsumer {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly states = new Map<number, PartitionState>();
  /** partitions of a previous generation whose flushes may still hold records */
  private readonly retired = new Set<PartitionState>();
  /** intents a previous owner left, by token, to be written before anything else */
  private readonly replays = new Map<string, OffsetRange[]>();
  private bufferedMax = 0;
  /** when the oldest buffered record arrived (0: nothing buffered) */
  private since = 0;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = 0;
  /** serializes flushes (eachBatch and the timer both flush) */
  private lock: Promise<void> = Promise.resolve();
  private previousFlushes: Promise<void> = Promise.resolve();
  private generation = 0;
  private stopping = false;
  private draining = false;
  private joined = false;
  private lastError: string | null = null;
  private flushCount = 0;

  private readonly heartbeatIntervalMs: number;
  private lagRead: { at: number; lag: Promise<PartitionLag[]> } | null = null;
  private adminConnected = false;

  constructor(private readonly kafka: Kafka, private readonly opts: BatchConsumerOptions, private readonly log: Logger) {
    this.heartbeatIntervalMs = Math.max(500, Math.floor((opts.sessionTimeoutMs ?? 30_000) / 10));
    this.consumer = kafka.consumer({
      groupId: opts.groupId,
      sessionTimeout: opts.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.heartbeatIntervalMs,
      maxBytesPerPartition: opts.maxBytesPerPartition ?? 1_048_576,
      // a fetch waits this long for records when there are none: the consumer's idle cost
      maxWaitTimeInMs: opts.maxWaitTimeInMs ?? 500,
      allowAutoTopicCreation: false,
    });
    this.admin = kafka.admin();
    if (opts.metrics) {
      const consumer = this;
      const { topic, groupId: group } = opts;
      new Gauge({
        name: 'switchboard_kafka_consumer_lag',
        help: 'Records on the broker not yet consumed and committed by the group, per partition (log-end offset minus committed offset; read at scrape time, at most every 2 s)',
        labelNames: ['topic', 'partition', 'group'],
        registers: [opts.metrics],
        async collect() {
          this.reset();
          // a scrape while the broker is away shows no lag series rather than a stale one
          const lag = await consumer.lag().catch(() => []);
          for (const p of lag) this.set({ topic, partition: String(p.partition), group }, p.lag);
        },
      });
    }
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
      this.clearTimer();
      // A flush of the old generation may still be writing. Its offset commits would carry
      // the new generation id and be accepted, so the new generation must not read intents
      // before the old flush is done: otherwise an old intent could overwrite a new one
      // and the ledger would hide a batch whose aggregates were never written.
      const old = [...this.states.values()];
      for (const st of old) this.retired.add(st);
      this.previousFlushes = Promise.allSettled([this.previousFlushes, this.lock]).then(() => {
        // never written by this member now: the next owner re-reads them from Kafka
        for (const st of old) {
          st.buffer = [];
          this.retired.delete(st);
        }
      });
      this.states.clear();
      this.replays.clear();
      this.since = 0;
      this.joined = true;
    });
  }

  get isRunning(): boolean {
    return this.joined && !this.stopping;
  }
  get error(): string | null {
    return this.lastError;
  }
  /** Combined batches written since start (replays included). */
  get flushes(): number {
    return this.flushCount;
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
   * Per partition of the topic, the records after the group's committed offset (all of them
   * while the group has committed nothing). A batch being written counts as not consumed: its
   * offsets are committed once it is durable. Reads are reused for `lagCacheMs`.
   */
  lag(): Promise<PartitionLag[]> {
    const cacheMs = this.opts.lagCacheMs ?? 2000;
    if (this.lagRead && Date.now() - this.lagRead.at < cacheMs) return this.lagRead.lag;
    if (!this.adminConnected) return Promise.reject(new Error('consumer not started'));
    const lag = (async () => {
      const { topic, groupId } = this.opts;
      const [ends, committed] = await Promise.all([this.admin.fetchTopicOffsets(topic), this.admin.fetchOffsets({ groupId, topics: [topic] })]);
      const at = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      return ends
        .map((e) => {
          const high = BigInt(e.high);
          const c = at.get(e.partition) ?? -1n;
          const from = c < 0n ? BigInt(e.low) : c;
          return { partition: e.partition, lag: Number(high > from ? high - from : 0n) };
        })
        .sort((a, b) => a.partition - b.partition);
    })();
    this.lagRead = { at: Date.now(), lag };
    lag.catch(() => { if (this.lagRead?.lag === lag) this.lagRead = null; });
    return lag;
  }

  /**
   * Connects and subscribes, then joins the group in the background: a join can wait a whole
   * session timeout for a crashed predecessor to be evicted, and the process should be up
   * (healthy, not yet ready) meanwhile. `isRunning` turns true once the group is joined.
   */
  async start(): Promise<void> {
    await this.admin.connect();
    this.adminConnected = true;
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
    const ranges = parseIntent(p?.metadata, partition);
    const own = ranges?.find((r) => r.partition === partition);
    // the intent holds only while the committed offset still points at its start
    const valid = ranges && own && p && BigInt(p.offset) === own.first ? ranges : null;
    st = this.states.get(partition);
    if (st) return st;
    st = { partition, buffer: [], skipThrough: -1n, generation };
    if (valid && generation === this.generation) {
      const token = batchToken(this.opts.topic, valid);
      if (!this.replays.has(token)) {
        this.log.info({ partition, token, ranges: valid.map((r) => `${r.partition}:${r.first}-${r.last}`) }, 'replaying the batch a previous owner may have written');
        this.replays.set(token, valid);
      }
      st.skipThrough = own!.last;
    }
    this.states.set(partition, st);
    return st;
  }

  private async onBatch({ batch, resolveOffset, isRunning, isStale, heartbeat }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0 || this.stopping || this.draining) return;
    const st = await this.stateOf(batch.partition);
    if (st.generation !== this.generation) return; // a rebalance happened meanwhile: kafkajs refetches
    const lastBuffered = st.buffer.length ? BigInt(st.buffer[st.buffer.length - 1]!.offset) : -1n;
    const floor = lastBuffered > st.skipThrough ? lastBuffered : st.skipThrough;
    let skipped: string | null = null;
    let fresh = batch.messages;
    if (BigInt(batch.messages[0]!.offset) <= floor) {
      fresh = [];
      for (const m of batch.messages) {
        if (BigInt(m.offset) > floor) fresh.push(m);
        else skipped = m.offset;
      }
    }
    // take only what fits (one fetch is up to maxBytesPerPartition of records, whatever their count)
    const take = Math.min(fresh.length, Math.max(0, this.opts.flushEvents - this.bufferedRecords));
    if (take > 0 && this.since === 0) this.since = Date.now();
    for (let i = 0; i < take; i++) st.buffer.push(fresh[i]!);
    const held = this.bufferedRecords;
    if (held > this.bufferedMax) this.bufferedMax = held;
    // kafkajs fetches on after the last record taken (what did not fit comes again once the
    // buffer is written); nothing is committed until the write is done
    if (take === fresh.length) resolveOffset(batch.lastOffset());
    else if (take > 0) resolveOffset(fresh[take - 1]!.offset);
    else if (skipped !== null) resolveOffset(skipped);
    if (!isRunning() || isStale()) return;
    if (this.due()) {
      // kafkajs heartbeats only between batches: a write longer than the session timeout
      // would otherwise get this member evicted mid-write, and its partitions replayed.
      const beat = setInterval(() => heartbeat().catch(() => undefined), this.heartbeatIntervalMs);
      try {
        await this.flush();
      } finally {
        clearInterval(beat);
      }
    } else {
      this.armTimer();
    }
  }

  /** How long the oldest buffered record may wait: longer for a trickle. */
  private delayMs(): number {
    const t = this.opts.trickle;
    return t && this.bufferedRecords < t.events ? Math.max(t.delayMs, this.opts.flushDelayMs) : this.opts.flushDelayMs;
  }

  private armTimer(): void {
    if (this.since === 0) return;
    const at = this.since + this.delayMs();
    // records that lift the buffer out of the trickle bring the flush forward
    if (this.timer && this.timerAt <= at) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch((err) => this.log.warn({ err }, 'timed flush failed'));
    }, Math.max(0, at - Date.now()));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /**
   * Queues a flush behind the one running. `force` (on stop) writes whatever is buffered;
   * otherwise a queued flush that is no longer due when its turn comes (eachBatch of several
   * partitions each asked for one while a write ran) only arms the timer, so a steady trickle
   * of records is written once per flush interval, not once per partition.
   */
  private flush(force = false): Promise<void> {
    const run = this.lock.catch(() => undefined).then(() => this.flushNow(force));
    this.lock = run;
    return run;
  }

  private due(): boolean {
    return this.replays.size > 0 || this.bufferedRecords >= this.opts.flushEvents || (this.since > 0 && Date.now() - this.since >= this.delayMs());
  }

  private owned(generation: number): boolean {
    return !this.stopping && generation === this.generation;
  }

  private async flushNow(force: boolean): Promise<void> {
    this.clearTimer();
    if (!force && !this.due()) {
      this.armTimer();
      return;
    }
    const generation = this.generation;
    // intents first: no record of a partition past its intent is written before the intent
    while (this.replays.size > 0 && this.owned(generation)) {
      const [token, ranges] = this.replays.entries().next().value as [string, OffsetRange[]];
      const parts = await this.readRanges(ranges);
      if (!this.owned(generation)) return;
      const batch: CombinedBatch = { topic: this.opts.topic, parts, token };
      if (!(await this.writeWithRetry(batch, generation))) return; // revoked while retrying: the next owner replays the intent
      if (!this.owned(generation)) return;
      // commit only the partitions this member owns; the others' owners replay (and dedupe) or have
      const mine = ranges.filter((r) => this.states.has(r.partition));
      if (mine.length) await this.commit(mine.map((r) => ({ partition: r.partition, offset: r.last + 1n, metadata: null })));
      this.replays.delete(token);
      this.flushCount++;
    }
    while (this.owned(generation)) {
      const states = [...this.states.values()].filter((st) => st.buffer.length > 0).sort((a, b) => a.partition - b.partition).slice(0, MAX_PARTS_PER_BATCH);
      if (states.length === 0) {
        this.since = 0;
        return;
      }
      const cutAt = Date.now();
      // a copy: records fetched during the write are appended to the buffers meanwhile
      const cuts = states.map((st) => ({ st, messages: st.buffer.slice() }));
      const ranges: OffsetRange[] = cuts.map(({ st, messages }) => ({ partition: st.partition, first: BigInt(messages[0]!.offset), last: BigInt(messages[messages.length - 1]!.offset) }));
      const batch: CombinedBatch = {
        topic: this.opts.topic,
        parts: cuts.map(({ st, messages }, i) => ({ partition: st.partition, messages, firstOffset: String(ranges[i]!.first), lastOffset: String(ranges[i]!.last) })),
        token: batchToken(this.opts.topic, ranges),
      };
      const intent = encodeIntent(ranges);
      await this.commit(ranges.map((r) => ({ partition: r.partition, offset: r.first, metadata: intent })));
      if (!this.owned(generation)) return; // revoked meanwhile: the next owner replays the intent
      if (!(await this.writeWithRetry(batch, generation))) return;
      if (!this.owned(generation)) return;
      await this.commit(ranges.map((r) => ({ partition: r.partition, offset: r.last + 1n, metadata: null })));
      this.flushCount++;
      this.log.debug({ token: batch.token, records: cuts.reduce((n, c) => n + c.messages.length, 0), partitions: ranges.length, ms: Date.now() - cutAt }, 'batch written');
      for (const { st, messages } of cuts) st.buffer.splice(0, messages.length);
      // records that arrived during the write wait for their own timer (from the cut, when
      // the oldest of them arrived at the earliest), unless the buffer is full
      const held = this.bufferedRecords;
      if (held === 0) {
        this.since = 0;
        return;
      }
      this.since = cutAt;
      if (held < this.opts.flushEvents && states.length < MAX_PARTS_PER_BATCH) {
        this.armTimer();
        return;
      }
    }
  }

  /**
   * The records of a previous owner's intent, read by offset from every partition it names,
   * owned by this member or not: a throwaway consumer group, its offsets set to each range's
   * start, reads until each range's end (kafkajs has no manual assignment).
   */
  private async readRanges(ranges: OffsetRange[]): Promise<BatchPart[]> {
    const topic = this.opts.topic;
    const groupId = `${this.opts.groupId}.replay.${randomUUID()}`;
    const want = new Map(ranges.map((r) => [r.partition, r]));
    const got = new Map<number, KafkaMessage[]>(ranges.map((r) => [r.partition, []]));
    const pending = new Set(want.keys());
    const ends = await this.admin.fetchTopicOffsets(topic);
    await this.admin.setOffsets({
      groupId,
      topic,
      partitions: ends.map((e) => ({ partition: e.partition, offset: want.has(e.partition) ? String(want.get(e.partition)!.first) : e.high })),
    });
    const reader = this.kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
    let finished!: () => void;
    const done = new Promise<void>((r) => (finished = r));
    try {
      await reader.connect();
      await reader.subscribe({ topic, fromBeginning: true });
      await reader.run({
        autoCommit: false,
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch }) => {
          const range = want.get(batch.partition);
          if (!range || !pending.has(batch.partition)) return;
          const out = got.get(batch.partition)!;
          for (const m of batch.messages) {
            const o = BigInt(m.offset);
            if (o >= range.first && o <= range.last) out.push(m);
          }
          // done once the fetch reached the range's end (a gap, such as a compacted or
          // transactional marker offset, counts as reached)
          if (BigInt(batch.lastOffset()) >= range.last) {
            pending.delete(batch.partition);
            if (pending.size === 0) finished();
          }
        },
      });
      const timeoutMs = this.opts.replayTimeoutMs ?? 120_000;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([done, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`replay of ${encodeIntent(ranges)} not read within ${timeoutMs} ms`)), timeoutMs)))]).finally(() => clearTimeout(timer));
    } finally {
      await reader.disconnect().catch(() => undefined);
      await this.admin.deleteGroups([groupId]).catch(() => undefined);
    }
    return ranges
      .map((r) => {
        const messages = got.get(r.partition)!;
        return { partition: r.partition, messages, firstOffset: String(r.first), lastOffset: String(r.last) };
      })
      .filter((p) => p.messages.length > 0);
  }

  /**
   * kafkajs wraps a commit refused for group membership (evicted, or the group rebalancing)
   * in a non-retriable error, and a consumer crashing on that one is not restarted. Rethrown
   * unwrapped, the runner recognizes it and rejoins the group; the next owner of the
   * partition then replays the intent. One request for all partitions: the coordinator
   * appends it as one record batch, so a combined batch's offsets move together.
   */
  private async commit(offsets: { partition: number; offset: bigint; metadata: string | null }[]): Promise<void> {
    try {
      await this.consumer.commitOffsets(offsets.map((o) => ({ topic: this.opts.topic, partition: o.partition, offset: String(o.offset), metadata: o.metadata })));
    } catch (err) {
      const cause = (err as { cause?: { type?: string } }).cause;
      if (cause?.type && MEMBERSHIP_ERRORS.has(cause.type)) throw cause;
      throw err;
    }
  }

  /**
   * True once the batch is written; false when the member's generation ended while retrying
   * (the store's error is not rethrown: kafkajs would take it for a consumer failure, while
   * the next owner simply replays the intent).
   */
  private async writeWithRetry(batch: CombinedBatch, generation: number): Promise<boolean> {
    const { initialMs, maxMs } = this.opts.retry ?? { initialMs: 200, maxMs: 10_000 };
    for (let attempt = 0, delay = initialMs; ; attempt++, delay = Math.min(delay * 2, maxMs)) {
      try {
        await this.opts.handle(batch);
        this.lastError = null;
        return true;
      } catch (err) {
        this.lastError = (err as Error).message;
        this.log.warn({ err, token: batch.token, partitions: batch.parts.map((p) => p.partition), attempt }, 'batch not written; retrying');
        if (!this.owned(generation)) return false;
        await new Promise((r) => setTimeout(r, delay));
        if (!this.owned(generation)) return false;
      }
    }
  }

  /**
   * Graceful: takes no new batches, writes and commits what is buffered, then leaves the
   * group so the partitions move on at once (no session timeout to wait out).
   */
  async stop(): Promise<void> {
    this.draining = true;
    await this.flush(true).catch((err) => this.log.warn({ err }, 'final flush failed; the next owner replays it'));
    this.stopping = true;
    this.clearTimer();
    await this.consumer.disconnect();
    this.adminConnected = false;
    await this.admin.disconnect();
    this.joined = false;
  }
}
