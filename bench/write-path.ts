// `npm run bench -- write-path`: the aggregator's write path alone, without Kafka. The
// simulator's events (20 queues, a flat day, as `npm run bench` sends them) are cut into the
// combined batches one flush would take at a given rate (BENCH_WP_EPS events/s, one batch per
// BENCH_WP_FLUSH_MS), and each batch goes through the aggregator's own handle() into a fresh
// embedded ClickHouse: screening, ledger, realtime state, FCR facts and every grain. Prints
// events per CPU-second of this process (JS and ClickHouse together, ClickHouse runs in it),
// statements and rows per flush by table, and the parts ClickHouse made.
// Env: BENCH_WP_EVENTS (200000), BENCH_WP_EPS (20000), BENCH_WP_FLUSH_MS (1000).
// BENCH_WP_VARIANTS (plain): a comma list run in turn on the same batches, each on a fresh
// store, BENCH_WP_ROUNDS (1) times (A B A B): `plain` (no calendar, no SLA policy) and
// `business` (every queue on a split-shift calendar with holidays, and SLA policies for the
// tickets' priorities: the business-time and SLA measures computed for real, docs/business-hours.md).
// The tickets carry priorities in both, so only the configuration differs; with more than one
// run, an uncounted warm-up run goes first.
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, constants as perfConstants, performance } from 'node:perf_hooks';

import pino from 'pino';
import { createMetricsRegistry } from '@switchboard/service-kit';
import { Aggregator, aggregatorConfig, aggregatorEnvSchema } from '@switchboard/aggregator';
import { ContactEventCodec } from '@switchboard/events';
import { createKafka, topicNames, type BatchPart, type CombinedBatch } from '@switchboard/kafka';

type KafkaMessage = BatchPart['messages'][number];
import { eventStream, estimateEventsPerArrival } from '@switchboard/simulator';
import { calendarSchema, slaPolicyListSchema, tenantCalendarSchema } from '@switchboard/kpi';
import { migrate, openStore, type BusinessConfigFiles } from '@switchboard/warehouse';

const EVENTS = Number(process.env.BENCH_WP_EVENTS ?? 200_000);
const EPS = Number(process.env.BENCH_WP_EPS ?? 20_000);
const FLUSH_MS = Number(process.env.BENCH_WP_FLUSH_MS ?? 1000);
const QUEUES = Number(process.env.BENCH_QUEUES ?? 20);

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const VARIANTS = (process.env.BENCH_WP_VARIANTS ?? 'plain').split(',').map((v) => v.trim()).filter(Boolean);
const ROUNDS = Number(process.env.BENCH_WP_ROUNDS ?? 1);

/** Berlin split shifts on weekdays, a Saturday morning, two holidays: every queue's calendar in `business`. */
const BUSINESS: BusinessConfigFiles = {
  calendars: [{
    tenant: 'bench', id: 'bench', source: 'file', version: 0,
    calendar: tenantCalendarSchema.parse({
      default: true,
      versions: calendarSchema.parse({ versions: [{
        effective_from: '2020-01-01', zone: 'Europe/Berlin',
        weekly: { ...Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['08:00', '12:00'], ['13:00', '18:00']]])), sat: [['09:00', '13:00']] },
        holidays: [{ date: '2026-12-24', open: [['08:00', '12:00']] }, { date: '2026-12-25', to: '2026-12-26' }],
      }] }).versions,
    }),
  }],
  sla: [{
    tenant: 'bench', source: 'file', effective_from: 0, version: 0,
    policies: slaPolicyListSchema.parse({ policies: [
      { name: 'chat', conditions: { channel: ['chat'] }, targets: { urgent: { first_reply: { minutes: 2 } }, high: { first_reply: { minutes: 5 } }, normal: { first_reply: { minutes: 10 } }, low: { first_reply: { minutes: 30 } } } },
      { name: 'tickets', targets: Object.fromEntries(['urgent', 'high', 'normal', 'low'].map((p, i) => [p, { first_reply: { minutes: 60 * (i + 1), business_hours: true }, next_reply: { minutes: 120 * (i + 1), business_hours: true }, resolution: { minutes: 480 * (i + 1), business_hours: true } }])) },
    ] }).policies,
  }],
};

export async function runWritePath(): Promise<void> {
  const start = Date.now() - 3_600_000;
  const base = { seed: 'write-path', tenantId: 'bench', queueCount: QUEUES, warmStart: true, intraday: new Array<number>(24).fill(1), priorities: true };
  const arrivalsPerHour = (EPS * 3600) / estimateEventsPerArrival(base);
  const codec = new ContactEventCodec();
  // simulated time runs at EPS; a batch holds what arrives in FLUSH_MS of it
  const batches: KafkaMessage[][] = [];
  let current: KafkaMessage[] = [];
  let batchEnd = start + FLUSH_MS;
  let n = 0;
  for (const e of eventStream({ ...base, start, durationMs: Infinity, arrivalsPerHour })) {
    if (n >= EVENTS) break;
    while (e.occurred_at >= batchEnd) {
      if (current.length) batches.push(current);
      current = [];
      batchEnd += FLUSH_MS;
    }
    current.push({ offset: String(n), value: codec.encode(e), key: null, timestamp: String(e.occurred_at), attributes: 0, headers: {} } as KafkaMessage);
    n++;
  }
  if (current.length) batches.push(current);

  const results = new Map<string, number[]>();
  if (VARIANTS.length > 1 || ROUNDS > 1) {
    // a first run warms the JIT and the engine; compared runs follow it
    console.log('\n[warm-up, not counted]');
    await runOnce(batches, n, { calendars: [], sla: [] });
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of VARIANTS) {
      if (variant !== 'plain' && variant !== 'business') throw new Error(`BENCH_WP_VARIANTS: unknown variant ${variant} (plain, business)`);
      console.log(`\n[${variant} #${round + 1}] load average ${loadavg().map((l) => l.toFixed(2)).join(' / ')}`);
      const perCpu = await runOnce(batches, n, variant === 'business' ? BUSINESS : { calendars: [], sla: [] });
      results.set(variant, [...(results.get(variant) ?? []), perCpu]);
    }
  }
  if (VARIANTS.length > 1 || ROUNDS > 1) {
    const median = (xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      const m = s.length >> 1;
      return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    };
    console.log('\nevents per CPU-second by variant (each run, median):');
    for (const [v, xs] of results) console.log(`  ${v.padEnd(9)} ${xs.map((x) => Math.round(x)).join(' · ')}  median ${Math.round(median(xs))}`);
    if (results.has('plain') && results.has('business')) {
      console.log(`  business ÷ plain (medians): ×${(median(results.get('business')!) / median(results.get('plain')!)).toFixed(3)}`);
    }
  }
}

async function runOnce(batches: KafkaMessage[][], n: number, files: BusinessConfigFiles): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-write-path-'));
  const store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
  const log = pino({ level: 'warn' });
  const topics = topicNames('write-path-');
  const env = aggregatorEnvSchema.parse({});
  // never connected: handle() publishes to the DLQ only for bad records, and these are good
  const kafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'write-path' }, log);
  const agg = new Aggregator({ kafka, store, log, metrics: createMetricsRegistry(), config: aggregatorConfig(env, topics), businessConfig: { files } });
  await agg.book.refresh(true);

  const parts = async () => {
    const rs = await store.client.query({ query: "SELECT table, count() AS n FROM system.parts WHERE database = currentDatabase() AND active GROUP BY table", format: 'JSONEachRow' });
    return Object.fromEntries((await rs.json<{ table: string; n: string }>()).map((r) => [r.table, Number(r.n)]));
  };
  // V8's collections within the timed part, by kind: scavenges of the young generation
  // (their cost grows with what survives them) and mark-compacts of the whole heap
  const gc = { minor: 0, major: 0, minorN: 0, majorN: 0 };
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) { gc.minor += e.duration; gc.minorN++; }
      else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) { gc.major += e.duration; gc.majorN++; }
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const c0 = cpuSeconds();
  const t0 = performance.now();
  let offset = 0;
  for (const [i, messages] of batches.entries()) {
    const batch: CombinedBatch = {
      topic: topics.events, token: `wp:${i}`,
      parts: [{ partition: 0, messages, firstOffset: String(offset), lastOffset: String(offset + messages.length - 1) }],
    };
    offset += messages.length;
    await agg.handle(batch);
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds() - c0;
  gcObserver.disconnect();
  const finalParts = await parts();
  console.log(`\nwrite path: ${n} events in ${batches.length} batches of ${FLUSH_MS} ms at ${EPS}/s (${Math.round(n / batches.length)} events per batch)`);
  console.log(`  wall ${wall.toFixed(1)} s, CPU ${cpu.toFixed(1)} s, ${Math.round(n / cpu)} events per CPU-second, ${Math.round(n / wall)} events/s`);
  console.log(`  GC ${((gc.minor + gc.major) / 1000).toFixed(2)} s: ${gc.minorN} scavenges ${(gc.minor / 1000).toFixed(2)} s, ${gc.majorN} mark-compacts ${(gc.major / 1000).toFixed(2)} s`);
  console.log('  per flush, by table: inserts, rows, ms in the insert');
  for (const [table, k] of agg.insertStats.inserts) {
    console.log(`    ${table.padEnd(16)} ${(k / batches.length).toFixed(2)}  ${Math.round(agg.insertStats.rows.get(table)! / batches.length)}  ${Math.round(agg.insertStats.ms.get(table)! / batches.length)} ms`);
  }
  for (const [table, l] of agg.insertStats.lookups) console.log(`    ${`${table} lookup`.padEnd(16)} ${(l.n / batches.length).toFixed(2)}  -  ${Math.round(l.ms / batches.length)} ms`);
  console.log('  active parts after the run', JSON.stringify(finalParts));
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return n / cpu;
}
