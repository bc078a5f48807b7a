// `npm run bench -- peer`: our aggregator side by side with a peer built from ClickHouse's own
// streaming pieces, on the same backlog (issue 12).
//
// What it measures. One backlog of simulator events (the generator of services/simulator, the
// same center the `kafka` sink feeds, deterministic for a seed) is published once to two fresh
// topics: the Avro topic the aggregator reads and a JSON copy (one ContactEvent object per
// message, occurred_at in epoch ms, same keys and so the same partitions). Then, one process at
// a time (the machine has 2 cores), A B A B …:
//   A  the aggregator (services/aggregator/src/main.ts, its own process, fresh state and group)
//      drains the Avro topic until its switchboard_aggregator_events_total reaches the backlog;
//   B  the peer (bench/peer-engine.ts, its own process): chDB with a Kafka engine table over the
//      JSON topic and materialized views that compute the same stored measures (foldEvent of
//      packages/kpi, translated to SQL) into the same six stored tables our migrations create
//      and the aggregator writes (STORED_TABLES: kpi_agg_1m/1h by agent, kpi_queue_1m/15m/1h/1d;
//      the 5m, 30m and other kpi_agg_* grains are views over them), until a counting view has
//      seen the backlog.
// Per run: wall time and CPU seconds (user + system of that process, /proc) from readiness
// (start-up, chDB load and migrations excluded on both sides) to caught up, events per
// CPU-second, peak RSS (VmHWM, whole life), the broker's CPU over the run and the load average.
// After each drain the per-table totals of every measure (sums, maxima, sumMap of the maps) are
// compared with a reference fold of the same events through foldEvent, for both sides.
//
// Fair: same events, same partitions, same broker, same store engine (chDB) and tables, same
// measures into the same stored tables, measured one at a time from the same point.
// Not fair, in both directions:
//  - The aggregator is exactly-once and does more per event: it records every event_id (dedup
//    ledger), screens each record (DLQ), writes the realtime state (contact_state, agent_state)
//    and the FCR facts, and writes every stored table under a deduplication token.
//    The peer is at-least-once: no dedup, and a crash or rebalance counts a block twice.
//  - The peer parses JSON (larger messages, more bytes through the broker) where the aggregator
//    decodes Avro; ClickHouse cannot read our Avro single-object encoding.
//  - The peer's tables are folded by ClickHouse's vectorized GROUP BY over blocks of up to
//    kafka_max_block_size events; the aggregator folds in JavaScript per flush.
//  - The peer's JSON columns are typed for a fast parse (see EVENT_COLUMNS in peer-engine.ts):
//    the obvious Nullable / LowCardinality columns more than double its cost.
//
// The peer's settings, measured on 100,000 events with one side at a time (load average 3–8 on
// 2 cores from other work, so ±10 %): views chained (events → kpi_agg_1m, the other five tables
// from kpi_agg_1m's inserts) 13–16k events per CPU-second at ~700 MiB, against one view per
// table straight from the events 13.5–15k at ~800 MiB; kafka_num_consumers 2 no cheaper (14–17.5k)
// on 2 cores; kafka_max_block_size 16384 dearer (13k: more parts, more merges), 262144 the same
// as 65536; without any measure view (counting only) ~29k with the fast columns. The CPU is
// almost all the one consumer thread's (chDB names it RuntimeData): parse, GROUP BY, inserts.
//
// Env: BENCH_PEER_EVENTS (500000), BENCH_PEER_ROUNDS (2), BENCH_PEER_EPS (22000: the rate the
// generator simulates, so the backlog spans events/eps seconds of traffic), BENCH_PEER_QUEUES
// (20), BENCH_PEER_SEED ('peer'), BENCH_PARTITIONS (6), BENCH_PEER_TIMEOUT_S (600 per run),
// BENCH_PEER_SIDES (both | peer | aggregator: one side alone, to tune it); the peer's Kafka
// engine: BENCH_PEER_CONSUMERS (kafka_num_consumers, 1), BENCH_PEER_BLOCK (kafka_max_block_size,
// 65536), BENCH_PEER_FLUSH_MS (kafka_flush_interval_ms; AGGREGATOR_FLUSH_MS or 1000, the
// aggregator's flush), BENCH_PEER_THREAD_PER_CONSUMER (0), BENCH_PEER_VIEWS (chained | direct |
// none: the counting view alone, the cost of consuming and parsing; chained). The aggregator's
// own AGGREGATOR_* variables pass through.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ContactEventCodec, type ContactEvent } from '@switchboard/events';
import { EventPublisher, createKafka, ensureTopics, eventKey, topicNames } from '@switchboard/kafka';
import { AGGREGATE_COLUMNS, STORED_TABLES, emptyMeasures, feedsAggregates, foldEvent, type AggregateKind, type Measures } from '@switchboard/kpi';
import { REPO_ROOT } from '@switchboard/service-kit';
import { Engine, estimateEventsPerArrival } from '@switchboard/simulator';
import type { TableTotals, PeerOptions } from './peer-engine';
import { NODE_FLAGS, cpuByThread, variantsFromEnv, cpuSeconds, freePort, load, peakRssMiB, sleep, topThreads } from './proc';

const EVENTS = Number(process.env.BENCH_PEER_EVENTS ?? 500_000);
const ROUNDS = Number(process.env.BENCH_PEER_ROUNDS ?? 2);
const EPS = Number(process.env.BENCH_PEER_EPS ?? 22_000);
const QUEUES = Number(process.env.BENCH_PEER_QUEUES ?? 20);
const SEED = process.env.BENCH_PEER_SEED ?? 'peer';
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6);
const CONSUMERS = Number(process.env.BENCH_PEER_CONSUMERS ?? 1);
const BLOCK = Number(process.env.BENCH_PEER_BLOCK ?? 65_536);
const FLUSH_MS = Number(process.env.BENCH_PEER_FLUSH_MS ?? process.env.AGGREGATOR_FLUSH_MS ?? 1000);
const VIEWS = (process.env.BENCH_PEER_VIEWS ?? 'chained') as PeerOptions['views'];
const THREAD_PER_CONSUMER = process.env.BENCH_PEER_THREAD_PER_CONSUMER === '1';
const TIMEOUT_S = Number(process.env.BENCH_PEER_TIMEOUT_S ?? 600);
/** 'peer' or 'aggregator' runs one side only (to tune a side; no ratios then) */
const SIDES = process.env.BENCH_PEER_SIDES ?? 'both';
/**
 * The aggregator's node flags and extra environment, by round: BENCH_PEER_AGG_VARIANTS is a JSON
 * array of { "flags": [...], "env": {...} }, round r taking variant (r - 1) mod n, so that
 * ROUNDS = 2n with one side alone compares n variants A B … A B on one published backlog.
 */
const AGG_DEFAULT_FLAGS = [...NODE_FLAGS];
const AGG_VARIANTS = variantsFromEnv('BENCH_PEER_AGG_VARIANTS');
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const POLL_MS = 200;
const TENANT = 'bench-peer';
const DAY = 86_400_000;
const CHUNK = 2000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};


function brokerPid(): number | undefined {
  // absent when the broker on the port belongs to another checkout (broker.sh reuses it)
  try {
    return Number(readFileSync(join(REPO_ROOT, '.state/kafka/broker.pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** The aggregator's memory at its largest resident set sampled during the drain (BENCH_PEER_MEM=1). */
let memAtPeak: { rssMiB: number; detail: string } = { rssMiB: 0, detail: '' };
async function scrape(url: string, pid?: number): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  const mem: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^switchboard_aggregator_events_total\{outcome="(\w+)"\} (\S+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
    const h = /^(?:switchboard_)?(nodejs_heap_size_total_bytes|nodejs_heap_size_used_bytes|nodejs_external_memory_bytes|aggregator_buffered_records) (\S+)$/.exec(line);
    if (h) mem[h[1]!] = Number(h[2]);
  }
  if (pid && process.env.BENCH_PEER_MEM === '1') {
    try {
      const st = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(st)?.[1] ?? NaN) / 1024;
      if (kb('VmRSS') > memAtPeak.rssMiB) {
        memAtPeak = { rssMiB: kb('VmRSS'), detail: `rss ${kb('VmRSS').toFixed(0)} anon ${kb('RssAnon').toFixed(0)} file ${kb('RssFile').toFixed(0)} heap total ${(mem.nodejs_heap_size_total_bytes! / 2 ** 20).toFixed(0)} used ${(mem.nodejs_heap_size_used_bytes! / 2 ** 20).toFixed(0)} external ${(mem.nodejs_external_memory_bytes! / 2 ** 20).toFixed(0)} MiB, buffered ${mem.aggregator_buffered_records} records` };
      }
    } catch { /* gone */ }
  }
  return out;
}
const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

// ---- totals ---------------------------------------------------------------------------------

type Totals = TableTotals[string];

/** The reference: every event folded by foldEvent into one row; each stored table's totals must equal it. */
function referenceTotals(m: Measures): Totals {
  const out: Record<string, number | Record<string, number>> = {};
  for (const c of AGGREGATE_COLUMNS) {
    const v = m[c.name];
    out[c.name] = v instanceof Map ? Object.fromEntries([...(v as Map<unknown, number>)].map(([k, x]) => [String(k), x])) : v;
  }
  return out as Totals;
}

function same(kind: AggregateKind, a: number | Record<string, number> | undefined, b: number | Record<string, number> | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (typeof a === 'number' || typeof b === 'number') {
    if (typeof a !== 'number' || typeof b !== 'number') return false;
    // Float64 sums: the order of addition differs (blocks, rows, merges), so the last bits may
    return kind === 'fsum' ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a)) : a === b;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k] === b[k]);
}

/** Which measures differ, as "column (tables)": from the reference (one row for every table) or from another store's totals. */
function differences(ref: Totals | TableTotals | undefined, got: TableTotals | undefined): string[] {
  if (!got || !ref) return ['no totals'];
  const bad = new Map<string, string[]>();
  for (const { table } of STORED_TABLES) {
    const want = (table in ref ? (ref as TableTotals)[table] : ref) as Totals;
    for (const c of AGGREGATE_COLUMNS) {
      if (!same(c.kind, want[c.name], got[table]?.[c.name])) bad.set(c.name, [...(bad.get(c.name) ?? []), table]);
    }
  }
  return [...bad].map(([c, ts]) => `${c} (${ts.length === STORED_TABLES.length ? 'every table' : ts.join(', ')})`);
}

// ---- the backlog ------------------------------------------------------------------------------

interface Backlog {
  events: number;
  reference: Totals;
  firstAt: number;
  lastAt: number;
  avroBytes: number;
  jsonBytes: number;
  seconds: number;
}

/**
 * The simulated center of the bench (the recipe of createSimulator: warm start, a flat day,
 * arrivals for EPS events/s), generated from a fixed start and moved by whole days to
 * yesterday, so every window and grain is the same on every day and the aggregator's lateness
 * horizon (7 days) and future-skew check pass. The events stream to both topics in chunks and
 * are folded into the reference on the way; none is kept.
 */
async function publishBacklog(avro: EventPublisher, json: { send: (chunk: ContactEvent[]) => Promise<number> }): Promise<Backlog> {
  const t0 = Date.now();
  const FLAT = new Array<number>(24).fill(1);
  const opts = { seed: SEED, tenantId: TENANT, queueCount: QUEUES };
  const eventsPerArrival = estimateEventsPerArrival(opts);
  const fixedStart = Date.UTC(2026, 0, 5, 12);
  const shift = (Math.floor(Date.now() / DAY) - 1) * DAY + 12 * 3_600_000 - fixedStart;
  const engine = new Engine({
    ...opts, start: fixedStart, durationMs: Infinity, arrivalsPerHour: (EPS * 3600) / eventsPerArrival,
    intraday: FLAT, warmStart: true, runId: `peer-${SEED}`,
  });
  process.stdout.write(`[peer] generator ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const ref = emptyMeasures();
  let n = 0;
  let firstAt = Infinity;
  let lastAt = -Infinity;
  let jsonBytes = 0;
  const codec = new ContactEventCodec();
  let avroBytes = 0;
  while (n < EVENTS) {
    const chunk: ContactEvent[] = [];
    while (chunk.length < CHUNK && n < EVENTS) {
      const e = engine.next();
      if (e === undefined) throw new Error('the generator ran out of events');
      e.occurred_at += shift;
      firstAt = Math.min(firstAt, e.occurred_at);
      lastAt = Math.max(lastAt, e.occurred_at);
      if (feedsAggregates(e)) foldEvent(ref, e);
      chunk.push(e);
      n++;
    }
    for (const e of chunk) avroBytes += codec.encode(e).length;
    const [, bytes] = await Promise.all([avro.publish(chunk), json.send(chunk)]);
    jsonBytes += bytes;
    if (n % 100_000 < CHUNK) process.stdout.write(`[peer] published ${n} events\n`);
  }
  return {
    events: n, reference: referenceTotals(ref), firstAt, lastAt,
    avroBytes, jsonBytes, seconds: (Date.now() - t0) / 1000,
  };
}

// ---- one run of each side ----------------------------------------------------------------------

interface RunResult {
  side: 'aggregator' | 'peer';
  round: number;
  wall_s: number;
  cpu_s: number;
  events: number;
  events_per_cpu_s: number;
  events_per_s: number;
  peak_rss_mib: number;
  startup_cpu_s: number;
  broker_cpu_s: number;
  /** CPU seconds of the run by thread name, the busiest first */
  threads: string;
  load_avg: number[];
  totals?: TableTotals;
  note?: string;
}

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function spawnNode(name: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[${name}] ${d}`));
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited(child);
  clearTimeout(t);
}

/** "PEER {json}" lines of a bench/peer-engine.ts process, one callback each. */
function peerLines(child: ChildProcess, on: (msg: Record<string, unknown>) => void): void {
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line.startsWith('PEER ')) on(JSON.parse(line.slice(5)) as Record<string, unknown>);
  });
}

/** Per-table totals of a chDB directory, read by a process of its own (one data dir per process). */
async function storeTotals(dir: string, file: string): Promise<TableTotals | undefined> {
  const child = spawnNode('totals', ['--import', 'tsx', 'bench/peer-engine.ts', 'totals', dir, file], {});
  child.stdout!.resume();
  await exited(child);
  return readTotals(file, `the aggregator's store (exit ${child.exitCode ?? child.signalCode})`);
}

function readTotals(file: string, what: string): TableTotals | undefined {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as TableTotals;
  process.stderr.write(`[peer] no totals from ${what}\n`);
  return undefined;
}

async function runAggregator(round: number, prefix: string): Promise<RunResult> {
  const state = mkdtempSync(join(tmpdir(), 'sb-peer-agg-'));
  tempDirs.add(state);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const variant = AGG_VARIANTS[(round - 1) % AGG_VARIANTS.length]!;
  const child = spawnNode('aggregator', [...(variant.flags ?? AGG_DEFAULT_FLAGS), '--import', 'tsx', 'services/aggregator/src/main.ts'], {
    ...variant.env,
    KAFKA_BROKERS: BROKERS, KAFKA_TOPIC_PREFIX: prefix, KAFKA_EVENT_PARTITIONS: String(PARTITIONS), PORT: String(port),
    SWITCHBOARD_STATE: state, AGGREGATOR_GROUP_ID: `${prefix}aggregator-${round}`, DEFAULT_TENANT: TENANT,
  });
  // its warnings and errors (pino, on stdout) to our stderr
  let rest = '';
  child.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (/"level":(40|50|60)/.test(line)) process.stderr.write(`[aggregator] ${line}\n`);
  });
  const deadline = Date.now() + TIMEOUT_S * 1000;
  while (!(await fetch(`${url}/readyz`).then((r) => r.ok, () => false))) {
    if (child.exitCode !== null) throw new Error('the aggregator exited before it was ready');
    if (Date.now() > deadline) throw new Error('the aggregator did not become ready');
    await sleep(50);
  }
  const broker = brokerPid();
  const m0 = await scrape(url);
  const cpu0 = cpuSeconds(child.pid);
  const th0 = cpuByThread(child.pid);
  const b0 = cpuSeconds(broker);
  const t0 = Date.now();
  let m = m0;
  while (total(m) < EVENTS) {
    if (child.exitCode !== null) throw new Error('the aggregator exited during the drain');
    if (Date.now() > deadline) throw new Error(`the aggregator counted ${total(m)} of ${EVENTS} events within ${TIMEOUT_S} s`);
    await sleep(POLL_MS);
    m = await scrape(url, child.pid);
  }
  if (process.env.BENCH_PEER_MEM === '1') process.stderr.write(`[peer] aggregator #${round} at its largest sampled RSS: ${memAtPeak.detail}\n`);
  memAtPeak = { rssMiB: 0, detail: '' };
  const t1 = Date.now();
  const cpu1 = cpuSeconds(child.pid);
  const threads = topThreads(th0, cpuByThread(child.pid));
  const b1 = cpuSeconds(broker);
  const rss = peakRssMiB(child.pid);
  const loadAvg = load();
  await stop(child);
  const totals = await storeTotals(join(state, 'chdb'), join(state, 'totals.json'));
  rmSync(state, { recursive: true, force: true });
  tempDirs.delete(state);
  const events = EVENTS - total(m0);
  const outcomes = Object.entries(m).filter(([k, v]) => k !== 'counted' && v > 0);
  return {
    side: 'aggregator', round, wall_s: (t1 - t0) / 1000, cpu_s: cpu1 - cpu0, events,
    events_per_cpu_s: events / (cpu1 - cpu0), events_per_s: events / ((t1 - t0) / 1000), peak_rss_mib: rss,
    startup_cpu_s: cpu0, broker_cpu_s: b1 - b0, threads, load_avg: loadAvg, totals,
    note: [AGG_VARIANTS.length > 1 ? `variant ${JSON.stringify(variant)}` : '', total(m0) > 0 ? `${total(m0)} counted before readiness (left out)` : '', outcomes.length ? `outcomes ${JSON.stringify(m)}` : ''].filter(Boolean).join('; ') || undefined,
  };
}

async function runPeerEngine(round: number, prefix: string, jsonTopic: string): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-peer-ch-'));
  tempDirs.add(dir);
  const opts: PeerOptions = {
    dir: join(dir, 'chdb'), totalsFile: join(dir, 'totals.json'), brokers: BROKERS, topic: jsonTopic, group: `${prefix}peer-${round}`, events: EVENTS,
    consumers: CONSUMERS, blockSize: BLOCK, flushMs: FLUSH_MS, threadPerConsumer: THREAD_PER_CONSUMER, views: VIEWS, pollMs: POLL_MS,
  };
  const child = spawnNode('peer', ['--import', 'tsx', 'bench/peer-engine.ts', 'drain', JSON.stringify(opts)], {});
  const broker = brokerPid();
  let cpu0 = NaN;
  let th0: Record<string, number> = {};
  let b0 = NaN;
  let t0 = NaN;
  let end: { t: number; cpu: number; b: number; rss: number; load: number[]; threads: string } | undefined;
  let consumed = NaN;
  peerLines(child, (msg) => {
    if (msg.ready) {
      cpu0 = cpuSeconds(child.pid);
      th0 = cpuByThread(child.pid);
      b0 = cpuSeconds(broker);
      t0 = Date.now();
      child.stdin!.write('go\n');
    } else if (msg.done !== undefined) {
      end = { t: Date.now(), cpu: cpuSeconds(child.pid), b: cpuSeconds(broker), rss: peakRssMiB(child.pid), load: load(), threads: topThreads(th0, cpuByThread(child.pid)) };
    } else if (msg.consumed !== undefined) {
      consumed = Number(msg.consumed);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_S * 1000);
  await exited(child);
  clearTimeout(timer);
  const totals = readTotals(opts.totalsFile, `the peer (exit ${child.exitCode ?? child.signalCode})`);
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
  if (!end) throw new Error(`the peer did not count the backlog (exit ${child.exitCode ?? child.signalCode})`);
  return {
    side: 'peer', round, wall_s: (end.t - t0) / 1000, cpu_s: end.cpu - cpu0, events: EVENTS,
    events_per_cpu_s: EVENTS / (end.cpu - cpu0), events_per_s: EVENTS / ((end.t - t0) / 1000), peak_rss_mib: end.rss,
    startup_cpu_s: cpu0, broker_cpu_s: end.b - b0, threads: end.threads, load_avg: end.load, totals,
    note: consumed !== EVENTS ? `consumed ${consumed} rows for ${EVENTS} events (at-least-once)` : undefined,
  };
}

// ---- the bench ----------------------------------------------------------------------------------

export async function runPeer(): Promise<void> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  const run = randomUUID().slice(0, 8);
  const prefix = `peer-${run}-`;
  const topics = topicNames(prefix);
  const jsonTopic = `${prefix}contact-events.json.v1`;
  const log = pino({ level: 'error' });
  const loadAtStart = load();
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  });

  const kafka = createKafka({ brokers: BROKERS.split(','), clientId: 'bench-peer' }, log);
  const admin = kafka.admin();
  await admin.connect();
  const groups: string[] = [];
  try {
    await ensureTopics(kafka, topics, { eventPartitions: PARTITIONS, replicationFactor: 1 });
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: jsonTopic, numPartitions: PARTITIONS, replicationFactor: 1 }] });

    // the backlog, once
    const avro = new EventPublisher(kafka, log, topics.events, 60_000);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await Promise.all([avro.start(), producer.connect()]);
    console.log(`[peer] publishing ${EVENTS} events (seed ${SEED}, ${QUEUES} queues, simulated at ${EPS} events/s) to ${topics.events} (Avro) and ${jsonTopic} (JSON), ${PARTITIONS} partitions each`);
    const backlog = await publishBacklog(avro, {
      send: async (chunk) => {
        let bytes = 0;
        const messages = chunk.map((e) => {
          const value = JSON.stringify(e);
          bytes += Buffer.byteLength(value);
          return { key: eventKey(e), value };
        });
        await producer.send({ topic: jsonTopic, acks: -1, messages });
        return bytes;
      },
    });
    await Promise.all([avro.stop(), producer.disconnect()]);
    console.log(`[peer] backlog: ${backlog.events} events over ${((backlog.lastAt - backlog.firstAt) / 1000).toFixed(1)} s of event time (${new Date(backlog.firstAt).toISOString()} …), Avro ${(backlog.avroBytes / 2 ** 20).toFixed(0)} MiB, JSON ${(backlog.jsonBytes / 2 ** 20).toFixed(0)} MiB, published in ${backlog.seconds.toFixed(1)} s`);
    console.log(`[peer] peer: kafka_num_consumers ${CONSUMERS}, kafka_max_block_size ${BLOCK}, kafka_flush_interval_ms ${FLUSH_MS}, kafka_thread_per_consumer ${THREAD_PER_CONSUMER ? 1 : 0}, views ${VIEWS}`);

    const runs: RunResult[] = [];
    const show = (r: RunResult) =>
      console.log(`[peer] ${`${r.side} #${r.round}`.padEnd(14)} wall ${r.wall_s.toFixed(1).padStart(6)} s  cpu ${r.cpu_s.toFixed(1).padStart(6)} s  ${Math.round(r.events_per_cpu_s).toLocaleString('en').padStart(8)} events/cpu-s  ${Math.round(r.events_per_s).toLocaleString('en').padStart(8)} events/s  peak RSS ${Math.round(r.peak_rss_mib).toString().padStart(5)} MiB  start-up cpu ${r.startup_cpu_s.toFixed(1)} s  broker cpu ${r.broker_cpu_s.toFixed(1)} s  load ${r.load_avg.join(' ')}${r.note ? `  (${r.note})` : ''}\n${' '.repeat(22)}cpu s by thread: ${r.threads}`);
    for (let round = 1; round <= ROUNDS; round++) {
      groups.push(`${prefix}aggregator-${round}`, `${prefix}peer-${round}`);
      if (SIDES !== 'peer') {
        const a = await runAggregator(round, prefix);
        runs.push(a);
        show(a);
        await sleep(3000);
      }
      if (SIDES !== 'aggregator') {
        const b = await runPeerEngine(round, prefix, jsonTopic);
        runs.push(b);
        show(b);
        if (round < ROUNDS) await sleep(3000);
      }
    }

    const side = (s: RunResult['side']) => runs.filter((r) => r.side === s);
    const med = (s: RunResult['side'], k: 'wall_s' | 'cpu_s' | 'events_per_cpu_s' | 'events_per_s' | 'peak_rss_mib' | 'broker_cpu_s') => median(side(s).map((r) => r[k]));
    const summary = (s: RunResult['side']) => ({
      wall_s: +med(s, 'wall_s').toFixed(2), cpu_s: +med(s, 'cpu_s').toFixed(2), events_per_cpu_s: Math.round(med(s, 'events_per_cpu_s')),
      events_per_s: Math.round(med(s, 'events_per_s')), peak_rss_mib: Math.round(med(s, 'peak_rss_mib')), broker_cpu_s: +med(s, 'broker_cpu_s').toFixed(2),
    });
    const agg = summary('aggregator');
    const peer = summary('peer');
    const diffs = (s: RunResult['side']) => [...new Set(side(s).flatMap((r) => differences(backlog.reference, r.totals)))];
    // the counting view alone computes no measures: nothing to compare
    const compared = (s: RunResult['side']) => side(s).length > 0 && (s === 'aggregator' || VIEWS !== 'none');
    const aggDiffs = compared('aggregator') ? diffs('aggregator') : [];
    const peerDiffs = compared('peer') ? diffs('peer') : [];
    const agg0 = side('aggregator')[0]?.totals;
    const betweenDiffs = compared('aggregator') && compared('peer') ? [...new Set(side('peer').flatMap((r) => differences(agg0, r.totals)))] : [];
    const identical = compared('aggregator') || compared('peer') ? aggDiffs.length === 0 && peerDiffs.length === 0 && betweenDiffs.length === 0 : null;
    const ratios = {
      events_per_cpu_s: +(agg.events_per_cpu_s / peer.events_per_cpu_s).toFixed(3),
      peak_rss: +(agg.peak_rss_mib / peer.peak_rss_mib).toFixed(3),
    };
    console.log('\nSwitchboard peer bench: aggregator vs ClickHouse Kafka engine + materialized views (chDB), same backlog');
    console.log(`  backlog                      ${backlog.events} events, ${PARTITIONS} partitions, ${ROUNDS} rounds (A B …, one process at a time)`);
    console.log(`  aggregator (median)          ${JSON.stringify(agg)}`);
    console.log(`  peer (median)                ${JSON.stringify(peer)}`);
    console.log(`  aggregator / peer            events per CPU-second ×${ratios.events_per_cpu_s}, peak RSS ×${ratios.peak_rss}`);
    console.log(`  identical totals             ${identical === null ? 'not compared' : identical ? 'yes' : 'no'} (every measure of every stored table: each run against foldEvent over the same events${compared('aggregator') && compared('peer') ? ", and the peer's against the aggregator's" : ''}${aggDiffs.length ? `; aggregator differs from foldEvent: ${aggDiffs.join(', ')}` : ''}${peerDiffs.length ? `; peer differs from foldEvent: ${peerDiffs.join(', ')}` : ''}${betweenDiffs.length ? `; peer differs from aggregator: ${betweenDiffs.join(', ')}` : ''})`);
    console.log(`  load average start / end     ${loadAtStart.join(' ')} / ${load().join(' ')}`);
    const report = {
      events: backlog.events, partitions: PARTITIONS, rounds: ROUNDS, eps_simulated: EPS, queues: QUEUES, seed: SEED,
      json_mib: +(backlog.jsonBytes / 2 ** 20).toFixed(1), avro_mib: +(backlog.avroBytes / 2 ** 20).toFixed(1),
      peer_settings: { kafka_num_consumers: CONSUMERS, kafka_max_block_size: BLOCK, kafka_flush_interval_ms: FLUSH_MS, kafka_thread_per_consumer: THREAD_PER_CONSUMER ? 1 : 0, views: VIEWS },
      runs: runs.map(({ totals: _t, ...r }) => ({ ...r, wall_s: +r.wall_s.toFixed(2), cpu_s: +r.cpu_s.toFixed(2), events_per_cpu_s: Math.round(r.events_per_cpu_s), events_per_s: Math.round(r.events_per_s), peak_rss_mib: Math.round(r.peak_rss_mib), startup_cpu_s: +r.startup_cpu_s.toFixed(2), broker_cpu_s: +r.broker_cpu_s.toFixed(2) })),
      aggregator: agg, peer, ratio_aggregator_over_peer: ratios,
      identical_totals: identical, aggregator_differs: aggDiffs, peer_differs: peerDiffs, peer_differs_from_aggregator: betweenDiffs,
      load_average_start: loadAtStart, load_average_end: load(),
    };
    console.log(`\n${JSON.stringify(report)}`);
  } finally {
    await admin.deleteTopics({ topics: [topics.events, topics.dlq, topics.alerts, jsonTopic] }).catch(() => undefined);
    if (groups.length) await admin.deleteGroups(groups).catch(() => undefined);
    await admin.disconnect();
  }
}
