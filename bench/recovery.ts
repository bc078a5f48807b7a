// `npm run bench -- recovery`: the cost of a crash under load. The simulator publishes a steady
// load below the aggregator's capacity to the real broker; the aggregator runs as its own
// process (embedded ClickHouse). After a warm-up the normal consumer lag is measured (lag =
// topic end offsets − committed offsets, sampled every 250 ms); then, BENCH_RECOVERY_KILLS
// times, the aggregator is SIGKILLed and restarted at once, and the time from the kill until
// the lag is back within the normal band (≤ max(normal p90, one flush interval of events),
// after the new process has committed) is reported, with its phases and the records the new
// process replayed from write-ahead intents. Finally the load stops, the backlog drains and
// the ids in the store are counted against what the simulator delivered.
// Env: BENCH_EPS (3000), BENCH_PARTITIONS (6), BENCH_QUEUES (20), BENCH_RECOVERY_KILLS (3),
// BENCH_RECOVERY_WARMUP_S (20), BENCH_RECOVERY_BASELINE_S (20), BENCH_RECOVERY_SETTLE_S (10),
// BENCH_RECOVERY_TIMEOUT_S (180, per kill); the aggregator's own AGGREGATOR_* variables pass
// through (AGGREGATOR_SESSION_TIMEOUT_MS keeps its production default, 30 s, unless set).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createKafka, topicNames } from '@switchboard/kafka';
import { REPO_ROOT } from '@switchboard/service-kit';
import { openStore } from '@switchboard/warehouse';
import { NODE_FLAGS, freePort, load, percentile, sleep } from './proc';

const EPS = Number(process.env.BENCH_EPS ?? 3000);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6);
const QUEUES = Number(process.env.BENCH_QUEUES ?? 20);
const KILLS = Number(process.env.BENCH_RECOVERY_KILLS ?? 3);
const WARMUP_S = Number(process.env.BENCH_RECOVERY_WARMUP_S ?? 20);
const BASELINE_S = Number(process.env.BENCH_RECOVERY_BASELINE_S ?? 20);
const SETTLE_S = Number(process.env.BENCH_RECOVERY_SETTLE_S ?? 10);
const TIMEOUT_S = Number(process.env.BENCH_RECOVERY_TIMEOUT_S ?? 180);
const FLUSH_MS = Number(process.env.AGGREGATOR_FLUSH_MS ?? 2000);
const SESSION_TIMEOUT_MS = Number(process.env.AGGREGATOR_SESSION_TIMEOUT_MS ?? 30_000);
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';

const secs = (ms: number) => +(ms / 1000).toFixed(1);

interface Aggregator {
  child: ChildProcess;
  started: number;
  exited: Promise<void>;
  /** records of the write-ahead intents this process replayed (summed ranges) */
  replayed: { batches: number; records: number };
}

export async function runRecovery(): Promise<void> {
  const run = randomUUID().slice(0, 8);
  const prefix = `recovery-${run}-`;
  const topic = topicNames(prefix).events;
  const groupId = `recovery-${run}`;
  const tenant = 'bench-recovery';
  const state = mkdtempSync(join(tmpdir(), 'sb-recovery-'));
  const log = pino({ level: 'warn' });
  const loadAtStart = load();
  const children = new Set<ChildProcess>();
  process.on('exit', () => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(state, { recursive: true, force: true });
  });
  const baseEnv = { ...process.env, KAFKA_BROKERS: BROKERS, KAFKA_TOPIC_PREFIX: prefix, KAFKA_EVENT_PARTITIONS: String(PARTITIONS), DEFAULT_TENANT: tenant };

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const startAggregator = (): Aggregator => {
    const child = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', 'services/aggregator/src/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...baseEnv, PORT: String(port), SWITCHBOARD_STATE: state, AGGREGATOR_GROUP_ID: groupId, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    const agg: Aggregator = { child, started: Date.now(), exited: new Promise((r) => child.on('exit', () => r())), replayed: { batches: 0, records: 0 } };
    let rest = '';
    child.stdout!.on('data', (d: Buffer) => {
      const lines = (rest + d.toString()).split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        if (line.includes('replaying the batch')) {
          const { first, last } = JSON.parse(line) as { first: string; last: string };
          agg.replayed.batches++;
          agg.replayed.records += Number(last) - Number(first) + 1;
        } else if (line.includes('"level":50') || line.includes('"level":60')) process.stderr.write(`[aggregator] ${line}\n`);
      }
    });
    child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[aggregator] ${d}`));
    return agg;
  };
  const ready = async (agg: Aggregator): Promise<number> => {
    for (;;) {
      if (agg.child.exitCode !== null) throw new Error('aggregator exited before it was ready');
      if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return Date.now();
      if (Date.now() - agg.started > TIMEOUT_S * 1000) throw new Error('aggregator did not become ready');
      await sleep(100);
    }
  };

  let agg = startAggregator();
  await ready(agg);

  // lag samples, every 250 ms, for the whole run
  const kafka = createKafka({ brokers: BROKERS.split(','), clientId: 'bench-recovery' }, log);
  const admin = kafka.admin();
  await admin.connect();
  type Sample = { t: number; lag: number; committed: number };
  const samples: Sample[] = [];
  let sampling = true;
  const measure = async (): Promise<Sample> => {
    const ends = await admin.fetchTopicOffsets(topic);
    const [c] = await admin.fetchOffsets({ groupId, topics: [topic] });
    let lag = 0;
    let committed = 0;
    for (const e of ends) {
      const off = Math.max(Number(c!.partitions.find((p) => p.partition === e.partition)?.offset ?? -1), Number(e.low));
      lag += Number(e.high) - off;
      committed += off;
    }
    return { t: Date.now(), lag, committed };
  };
  const sampler = (async () => {
    while (sampling) {
      // the broker busy or the topic not there yet: next sample
      await measure().then((s) => samples.push(s), () => undefined);
      await sleep(250);
    }
  })();
  const last = () => samples[samples.length - 1];

  const simPort = await freePort();
  const sim = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', 'services/simulator/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...baseEnv, PORT: String(simPort), LOG_LEVEL: 'warn', SIMULATOR_SINK: 'kafka', SIMULATOR_EPS: String(EPS), SIMULATOR_DURATION_S: '0',
      SIMULATOR_QUEUES: String(QUEUES), SIMULATOR_SEED: `recovery-${run}`, SIMULATOR_BATCH: '500',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(sim);
  let simStats: { eventsDelivered: number; eventsDropped: number; eventsPerSecond: number } | null = null;
  sim.stdout!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line.startsWith('{"simulator"')) simStats = JSON.parse(line).simulator;
  });
  sim.stderr!.on('data', (d: Buffer) => process.stderr.write(`[simulator] ${d}`));
  const simExited = new Promise<void>((r) => sim.on('exit', () => r()));

  console.log(`[recovery] load ${EPS} events/s over ${PARTITIONS} partitions; warm-up ${WARMUP_S} s, then normal lag over ${BASELINE_S} s`);
  await sleep(WARMUP_S * 1000);
  const b0 = Date.now();
  await sleep(BASELINE_S * 1000);
  const baseline = samples.filter((s) => s.t >= b0).map((s) => s.lag);
  const normal = { median: percentile(baseline, 50), p90: percentile(baseline, 90), max: Math.max(...baseline), samples: baseline.length };
  const oneFlush = Math.round((EPS * FLUSH_MS) / 1000);
  const band = Math.max(normal.p90, oneFlush);
  console.log(`[recovery] normal lag: median ${normal.median}, p90 ${normal.p90}, max ${normal.max} (${normal.samples} samples); band ≤ ${band} (max of p90 and one flush, ${oneFlush})`);

  const kills: Record<string, number>[] = [];
  for (let k = 1; k <= KILLS; k++) {
    const tKill = Date.now();
    agg.child.kill('SIGKILL');
    await agg.exited;
    children.delete(agg.child);
    // what the killed process had committed: recovery needs the new one to commit past it
    const atKill = await measure();
    agg = startAggregator();
    const tReady = await ready(agg);
    let tCommit = NaN;
    let peak = atKill.lag;
    for (;;) {
      const s = last()!;
      if (s.t > tKill) {
        peak = Math.max(peak, s.lag);
        if (s.committed > atKill.committed && Number.isNaN(tCommit)) tCommit = s.t;
        if (s.committed > atKill.committed && s.lag <= band) break;
      }
      if (Date.now() - tKill > TIMEOUT_S * 1000) throw new Error(`kill ${k}: lag not back to normal within ${TIMEOUT_S} s (lag ${s.lag})`);
      if (agg.child.exitCode !== null) throw new Error(`kill ${k}: the restarted aggregator exited`);
      await sleep(50);
    }
    const tBack = last()!.t;
    const row = {
      kill: k,
      lag_at_kill: atKill.lag,
      recovery_s: secs(tBack - tKill),
      ready_s: secs(tReady - tKill),
      first_commit_s: secs(tCommit - tKill),
      peak_lag: peak,
      intents_replayed: agg.replayed.batches,
      records_replayed: agg.replayed.records,
    };
    kills.push(row);
    console.log(`[recovery] kill ${k}: lag back within the band ${row.recovery_s} s after SIGKILL (ready ${row.ready_s} s, first commit ${row.first_commit_s} s), peak lag ${peak}, ${row.intents_replayed} intents replayed (${row.records_replayed} records)`);
    if (k < KILLS) await sleep(SETTLE_S * 1000);
  }

  // stop the load, drain, stop gracefully, and count what landed
  sim.kill('SIGTERM');
  await simExited;
  const tStop = Date.now();
  while (!(last() && last()!.t > tStop && last()!.lag === 0)) {
    if (Date.now() - tStop > TIMEOUT_S * 1000) throw new Error('backlog did not drain');
    await sleep(100);
  }
  sampling = false;
  await sampler;
  await admin.disconnect();
  agg.child.kill('SIGTERM');
  await agg.exited;
  children.delete(agg.child);
  const store = await openStore({ kind: 'embedded', path: join(state, 'chdb') });
  let ids = { n: NaN, u: NaN };
  try {
    const rs = await store.client.query({ query: 'SELECT count() AS n, uniqExact(event_id) AS u FROM event_ids WHERE tenant_id = {t:String}', query_params: { t: tenant }, format: 'JSONEachRow' });
    const [row] = await rs.json<{ n: string; u: string }>();
    ids = { n: Number(row!.n), u: Number(row!.u) };
  } finally {
    await store.close();
  }

  const stats = simStats as { eventsDelivered: number; eventsDropped: number; eventsPerSecond: number } | null;
  const recoveries = kills.map((r) => r.recovery_s!);
  const report = {
    target_events_per_s: EPS,
    simulator_events_per_s: stats ? Math.round(stats.eventsPerSecond) : null,
    partitions: PARTITIONS,
    flush_ms: FLUSH_MS,
    session_timeout_ms: SESSION_TIMEOUT_MS,
    normal_lag_median: normal.median,
    normal_lag_p90: normal.p90,
    band,
    kills: KILLS,
    recovery_s: recoveries,
    recovery_median_s: percentile(recoveries, 50),
    ready_median_s: percentile(kills.map((r) => r.ready_s!), 50),
    peak_lag_median: percentile(kills.map((r) => r.peak_lag!), 50),
    records_replayed_from_intents: kills.map((r) => r.records_replayed),
    simulator_delivered: stats?.eventsDelivered ?? null,
    simulator_dropped: stats?.eventsDropped ?? null,
    event_ids_recorded: ids.n,
    event_ids_unique: ids.u,
    load_average_start: loadAtStart,
    load_average_end: load(),
  };
  console.log('\nSwitchboard recovery bench (SIGKILL of the aggregator under steady load)');
  for (const [k, v] of Object.entries(report)) console.log(`  ${k.padEnd(30)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : v}`);
  console.log(`\n${JSON.stringify(report)}`);
}
