// npm run bench: the simulator drives the real broker into the aggregator, in separate
// processes, and this script reports sustained events/s end to end, the aggregator's events
// per CPU-second, p50/p99 freshness (event sent → visible in /v1/kpis) and peak RSS.
// Env: BENCH_EPS (22000), BENCH_DURATION_S (60), BENCH_PARTITIONS (6), BENCH_QUEUES (20),
// BENCH_BUSINESS (0; 1: the node measures with a calendar on every queue and SLA policies, and
// the simulator's tickets carry priorities: the cost of business time and SLA, docs/business-hours.md).
// `npm run bench -- query` runs the query-latency bench instead (bench/query-latency.ts),
// `npm run bench -- recovery` the recovery time after a SIGKILL under load (bench/recovery.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { makeEvent } from '@switchboard/events';
import { EventPublisher, createKafka } from '@switchboard/kafka';
import { REPO_ROOT } from '@switchboard/service-kit';
import { NODE_FLAGS, cpuSeconds, freePort, histogramQuantile, load, peakRssMiB, percentile, sleep, threadCpuSeconds } from './proc';

// 22k: the simulator paces a little under its target, and the goal is ≥ 20k sustained
const EPS = Number(process.env.BENCH_EPS ?? 22_000);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 60);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6);
const QUEUES = Number(process.env.BENCH_QUEUES ?? 20);
const BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const run = randomUUID().slice(0, 8);
const prefix = `bench-${run}-`;
const tenant = 'bench';
const probeTenant = 'bench-probe';
const log = pino({ level: 'warn' });
const state = mkdtempSync(join(tmpdir(), 'sb-bench-'));


function spawnService(name: string, entry: string, env: Record<string, string>): ChildProcess {
  // the services' V8 flags: both processes allocate many short-lived objects per event
  const child = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, KAFKA_BROKERS: BROKERS, KAFKA_TOPIC_PREFIX: prefix, KAFKA_EVENT_PARTITIONS: String(PARTITIONS), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d) => process.stderr.write(`[${name}] ${d}`));
  // never leave a load process behind, whichever way the bench ends
  process.on('exit', () => child.kill('SIGKILL'));
  return child;
}

async function scrape(url: string): Promise<{ consumed: number; cpu: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let consumed = 0;
  let cpu = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('switchboard_aggregator_events_total{')) consumed += Number(line.split(' ').pop());
    if (line.startsWith('process_cpu_seconds_total ')) cpu = Number(line.split(' ').pop());
  }
  return { consumed, cpu };
}

/** Every sample of a /metrics page, by series (name plus labels). */
async function metricsOf(url: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await (await fetch(`${url}/metrics`)).text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}
const labelled = (m: Map<string, number>, name: string, label: string) => {
  const out = new Map<string, number>();
  for (const [k, v] of m) {
    const match = k.startsWith(`${name}{`) ? new RegExp(`${label}="([^"]*)"`).exec(k) : null;
    if (match) out.set(match[1]!, v);
  }
  return out;
};

/**
 * CPU seconds of a process by thread: the main thread (JavaScript, and the GC pauses it
 * takes) and the rest (ClickHouse's query, merge and background threads, libuv's pool where
 * chDB runs queries, V8's concurrent GC and compiler threads).
 */
function threadCpu(pid: number | undefined): { main: number; other: number } {
  const out = { main: 0, other: 0 };
  for (const t of threadCpuSeconds(pid)) {
    if (t.tid === pid) out.main += t.s;
    else out.other += t.s;
  }
  return out;
}

/** BENCH_BUSINESS=1: every queue on a Berlin split-shift calendar with holidays, SLA policies per priority. */
const BENCH_CALENDARS = `- id: bench
  default: true
  versions:
    - effective_from: "2020-01-01"
      zone: Europe/Berlin
      weekly: { mon: [["08:00", "12:00"], ["13:00", "18:00"]], tue: [["08:00", "12:00"], ["13:00", "18:00"]], wed: [["08:00", "12:00"], ["13:00", "18:00"]], thu: [["08:00", "12:00"], ["13:00", "18:00"]], fri: [["08:00", "12:00"], ["13:00", "18:00"]], sat: [["09:00", "13:00"]] }
      holidays: [{ date: "2026-12-24", open: [["08:00", "12:00"]] }, { date: "2026-12-25", to: "2026-12-26" }]
`;
const BENCH_SLA = `policies:
  - name: chat
    conditions: { channel: [chat] }
    targets: { urgent: { first_reply: { minutes: 2 } }, high: { first_reply: { minutes: 5 } }, normal: { first_reply: { minutes: 10 } }, low: { first_reply: { minutes: 30 } } }
  - name: tickets
    targets:
      urgent: { first_reply: { minutes: 60, business_hours: true }, next_reply: { minutes: 120, business_hours: true }, resolution: { minutes: 480, business_hours: true } }
      high: { first_reply: { minutes: 120, business_hours: true }, next_reply: { minutes: 240, business_hours: true }, resolution: { minutes: 960, business_hours: true } }
      normal: { first_reply: { minutes: 240, business_hours: true }, resolution: { minutes: 1440, business_hours: true } }
      low: { first_reply: { minutes: 480, business_hours: true } }
`;

async function main() {
  const nodePort = await freePort();
  const nodeUrl = `http://127.0.0.1:${nodePort}`;
  const business = process.env.BENCH_BUSINESS === '1';
  const businessFiles: Record<string, string> = {};
  if (business) {
    mkdirSync(state, { recursive: true });
    businessFiles.CALENDARS_FILE = join(state, 'bench-calendars.yaml');
    businessFiles.SLA_POLICIES_FILE = join(state, 'bench-sla.yaml');
    writeFileSync(businessFiles.CALENDARS_FILE, BENCH_CALENDARS);
    writeFileSync(businessFiles.SLA_POLICIES_FILE, BENCH_SLA);
  }
  console.log(`business hours and SLA policies: ${business ? 'on (a split-shift calendar on every queue, SLA policies, tickets with priorities)' : 'off'}`);
  const node = spawnService('node', 'services/single-node/src/main.ts', {
    PORT: String(nodePort), SIMULATOR_EPS: '0', SWITCHBOARD_STATE: state, AGGREGATOR_GROUP_ID: `bench-${run}`, DEFAULT_TENANT: tenant, ...businessFiles,
  });
  for (let i = 0; ; i++) {
    const ok = await fetch(`${nodeUrl}/readyz`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 600) throw new Error('single-node did not become ready');
    await sleep(100);
  }

  const kafka = createKafka({ brokers: BROKERS.split(','), clientId: 'bench-probe' }, log);
  const probe = new EventPublisher(kafka, log, `${prefix}contact-events.v1`);
  await probe.start();

  const before = await scrape(nodeUrl);
  const m0 = await metricsOf(nodeUrl);
  const threads0 = threadCpu(node.pid);
  // absent when the broker on the port belongs to another checkout (broker.sh reuses it)
  let brokerPid: number | undefined;
  try {
    brokerPid = Number(readFileSync(join(REPO_ROOT, '.state/kafka/broker.pid'), 'utf8').trim());
  } catch {
    brokerPid = undefined;
  }
  const cpu0 = { broker: cpuSeconds(brokerPid), node: cpuSeconds(node.pid) };
  let simCpu = NaN;
  const simPort = await freePort();
  const tStart = Date.now();
  const sim = spawnService('simulator', 'services/simulator/src/main.ts', {
    PORT: String(simPort), SIMULATOR_SINK: 'kafka', SIMULATOR_EPS: String(EPS), SIMULATOR_DURATION_S: String(DURATION_S),
    SIMULATOR_QUEUES: String(QUEUES), SIMULATOR_SEED: `bench-${run}`, SIMULATOR_BATCH: '2000', DEFAULT_TENANT: tenant,
    SIMULATOR_PRIORITIES: business ? '1' : '0',
  });
  type SimStats = { eventsDelivered: number; eventsDropped: number; eventsPerSecond: number };
  const simOut: { stats: SimStats | null } = { stats: null };
  sim.stdout!.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (line.startsWith('{"simulator"')) simOut.stats = JSON.parse(line).simulator;
  });
  const simExit = new Promise<void>((r) => sim.on('exit', () => r()));

  // consumed-count samples, for the sustained rate from the first counted event to catch-up
  // (with the simulator's CPU so far: its start-up, calibration and warm start, is not the load)
  const samples: { t: number; consumed: number; simCpu: number }[] = [];
  const sampler = setInterval(() => {
    const simCpuNow = cpuSeconds(sim.pid);
    scrape(nodeUrl).then((m) => samples.push({ t: Date.now(), consumed: m.consumed, simCpu: simCpuNow }), () => undefined);
  }, 250);

  // Freshness probes: one marker event every 250 ms on its own queue; latency = publish →
  // counted by the API. One poller asks for all probe queues at once every 100 ms, so the
  // measuring load stays the same however late the markers are (a poller per marker would
  // multiply the queries exactly when the node is slowest, and measure itself).
  const latencies: number[] = [];
  let probes = 0;
  let simRss = NaN;
  let simRunning = true;
  void simExit.then(() => { simRunning = false; });
  const waiting = new Map<string, number>();
  const probeStart = Math.floor(Date.now() / 3600_000) * 3600_000;
  const poller = (async () => {
    while (simRunning || waiting.size > 0) {
      await sleep(100);
      if (waiting.size === 0) continue;
      const url = `${nodeUrl}/v1/kpis?metrics=offered&granularity=1d&group_by=queue_id&from=${new Date(probeStart).toISOString()}&to=${new Date(probeStart + 2 * 86_400_000).toISOString()}`;
      const body = (await (await fetch(url, { headers: { 'x-tenant-id': probeTenant } })).json()) as { series: { group: { queue_id: string }; points: { offered: number }[] }[] };
      const now = Date.now();
      for (const s of body.series) {
        const sent = waiting.get(s.group.queue_id);
        if (sent !== undefined && s.points.some((p) => p.offered > 0)) {
          latencies.push(now - sent);
          waiting.delete(s.group.queue_id);
        }
      }
      for (const [q, sent] of waiting) {
        if (now - sent > 120_000) {
          latencies.push(Infinity);
          waiting.delete(q);
        }
      }
    }
  })();
  const probeLoop = (async () => {
    while (simRunning) {
      const i = probes++;
      const q = `probe-${i}`;
      const sent = Date.now();
      await probe.publish([makeEvent({ event_id: `probe-${run}-${i}`, tenant_id: probeTenant, contact_id: q, type: 'queued', occurred_at: sent, channel: 'voice', direction: 'inbound', source: 'api', queue_id: q })]);
      waiting.set(q, sent);
      const c = cpuSeconds(sim.pid);
      if (Number.isFinite(c)) simCpu = c;
      const r = peakRssMiB(sim.pid);
      if (Number.isFinite(r)) simRss = Number.isNaN(simRss) ? r : Math.max(simRss, r);
      await sleep(250);
    }
    await poller;
  })();

  await simExit;
  const simStats = simOut.stats as SimStats | null;
  const tSimEnd = Date.now();
  await probeLoop;
  // catch-up: everything the simulator delivered (plus the probes) counted by the aggregator
  const expected = before.consumed + (simStats?.eventsDelivered ?? 0) + probes;
  let after = await scrape(nodeUrl);
  let tCaughtUp = Date.now();
  for (let i = 0; i < 1200 && after.consumed < expected; i++) {
    await sleep(100);
    after = await scrape(nodeUrl);
    tCaughtUp = Date.now();
  }
  clearInterval(sampler);
  samples.push({ t: tCaughtUp, consumed: after.consumed, simCpu: NaN });
  const first = samples.find((x) => x.consumed > before.consumed + probes) ?? samples[0]!;
  const wall = (tCaughtUp - tStart) / 1000;
  const cpuUsed = { broker: cpuSeconds(brokerPid) - cpu0.broker, node: cpuSeconds(node.pid) - cpu0.node, simulator: simCpu };
  const cores = {
    broker: +(cpuUsed.broker / wall).toFixed(2),
    node: +(cpuUsed.node / wall).toFixed(2),
    simulator: +(simCpu / wall).toFixed(2),
  };
  const rss = { broker: peakRssMiB(brokerPid), node: peakRssMiB(node.pid), simulator: simRss };
  await probe.stop();
  const threads1 = threadCpu(node.pid);
  await sleep(5500); // the store's counters are refreshed at most every 5 s
  const m1 = await metricsOf(nodeUrl);
  // idle: nothing arrives any more; what does the node cost now?
  const idleCpu0 = cpuSeconds(node.pid);
  const idleT0 = Date.now();
  await sleep(10_000);
  const idleCores = +((cpuSeconds(node.pid) - idleCpu0) / ((Date.now() - idleT0) / 1000)).toFixed(3);

  node.kill('SIGTERM');
  await new Promise((r) => node.on('exit', r));
  rmSync(state, { recursive: true, force: true });

  const consumed = after.consumed - before.consumed;
  const secs = (tCaughtUp - first.t) / 1000;
  const delta = (name: string, label: string) => {
    const a = labelled(m0, name, label);
    return [...labelled(m1, name, label)].map(([k, v]) => [k, v - (a.get(k) ?? 0)] as const);
  };
  const flushes = (m1.get('switchboard_aggregator_flushes_total') ?? 0) - (m0.get('switchboard_aggregator_flushes_total') ?? 0);
  const inserts = delta('switchboard_aggregator_inserts_total', 'table');
  const lookups = delta('switchboard_aggregator_lookups_total', 'table');
  const events = new Map(delta('switchboard_store_profile_events', 'event'));
  const gcSum = (m: Map<string, number>) => [...labelled(m, 'nodejs_gc_duration_seconds_sum', 'kind').values()].reduce((a, b) => a + b, 0);
  const gc = gcSum(m1) - gcSum(m0);
  const mainCpu = threads1.main - threads0.main;
  const otherCpu = threads1.other - threads0.other;
  const statements = inserts.reduce((n, [, v]) => n + v, 0) + lookups.reduce((n, [, v]) => n + v, 0);
  const writePath = {
    flushes,
    flushes_per_s: +(flushes / secs).toFixed(2),
    statements_per_flush: flushes ? +(statements / flushes).toFixed(2) : null,
    inserts_per_table_per_s: Object.fromEntries(inserts.map(([t, v]) => [t, +(v / secs).toFixed(2)])),
    lookups_per_s: Object.fromEntries(lookups.map(([t, v]) => [t, +(v / secs).toFixed(2)])),
    parts_created_per_s: +(((events.get('InsertedCompactParts') ?? 0) + (events.get('InsertedWideParts') ?? 0)) / secs).toFixed(2),
    merges_per_s: +((events.get('Merge') ?? 0) / secs).toFixed(2),
    rows_merged_per_event: consumed ? +((events.get('MergedRows') ?? 0) / consumed).toFixed(2) : null,
    active_parts_at_end: Object.fromEntries(labelled(m1, 'switchboard_store_parts_active', 'table')),
    node_cpu_split_s: { main_thread_js: +(mainCpu - gc).toFixed(1), main_thread_gc: +gc.toFixed(1), other_threads_clickhouse_and_v8_helpers: +otherCpu.toFixed(1) },
    idle_cores_after_catch_up: idleCores,
  };
  // What freshness is made of on the node's side: a combined batch's write, from the first
  // statement to the last (switchboard_aggregator_write_seconds, as bucket bounds)
  const runDelta = (series: string) => (m1.get(series) ?? 0) - (m0.get(series) ?? 0);
  const writes = runDelta('switchboard_aggregator_write_seconds_count');
  const writeSeconds = {
    writes,
    mean: +(runDelta('switchboard_aggregator_write_seconds_sum') / Math.max(1, writes)).toFixed(3),
    p50_at_most: histogramQuantile(m0, m1, 'switchboard_aggregator_write_seconds', 0.5),
    p99_at_most: histogramQuantile(m0, m1, 'switchboard_aggregator_write_seconds', 0.99),
  };
  // Whether the target fits the machine: each process's events per CPU-second while the load
  // ran and the cores each would need at the target rate. The simulator's CPU is counted from
  // the sample before its first event was counted (its start-up, a calibration run and a warm
  // start of the whole simulated center, is not load the node would see in production); the
  // node's and the broker's from before the simulator started.
  const delivered = simStats?.eventsDelivered ?? 0;
  const perCpu = (cpu: number, n: number) => (cpu > 0 && Number.isFinite(cpu) ? Math.round(n / cpu) : null);
  const simCpuAtLoad = samples.slice(0, Math.max(1, samples.indexOf(first))).at(-1)?.simCpu ?? NaN;
  const simLoadCpu = Number.isFinite(simCpuAtLoad) ? cpuUsed.simulator - simCpuAtLoad : cpuUsed.simulator;
  const eventsPerCpu = { simulator: perCpu(simLoadCpu, delivered), broker: perCpu(cpuUsed.broker, delivered), node: perCpu(cpuUsed.node, consumed) };
  const coresAt = Object.fromEntries(Object.entries(eventsPerCpu).map(([k, v]) => [k, v ? +(EPS / v).toFixed(2) : null])) as Record<string, number | null>;
  const cpuBudget = {
    events_per_cpu_s: eventsPerCpu,
    cores_needed_at_target: { ...coresAt, total: +Object.values(coresAt).reduce<number>((a, b) => a + (b ?? 0), 0).toFixed(2) },
    simulator_start_up_cpu_s: Number.isFinite(simCpuAtLoad) ? +simCpuAtLoad.toFixed(1) : null,
    machine_cores: availableParallelism(),
  };
  const finite = latencies.filter(Number.isFinite);
  const report = {
    target_events_per_s: EPS,
    duration_s: DURATION_S,
    partitions: PARTITIONS,
    simulator_delivered: simStats?.eventsDelivered ?? null,
    simulator_dropped: simStats?.eventsDropped ?? null,
    simulator_events_per_s: simStats ? Math.round(simStats.eventsPerSecond) : null,
    aggregator_consumed: consumed,
    caught_up: after.consumed >= expected,
    catch_up_after_sim_end_s: +((tCaughtUp - tSimEnd) / 1000).toFixed(1),
    end_to_end_events_per_s: Math.round((after.consumed - first.consumed) / secs),
    aggregator_events_per_cpu_s: Math.round(consumed / (after.cpu - before.cpu)),
    freshness_probes: latencies.length,
    freshness_lost: latencies.length - finite.length,
    freshness_p50_ms: percentile(finite, 50),
    freshness_p99_ms: percentile(finite, 99),
    avg_cores_used: cores,
    peak_rss_mib: Object.fromEntries(Object.entries(rss).map(([k, v]) => [k, Math.round(v)])),
    load_average: load(),
    write_seconds: writeSeconds,
    cpu_budget: cpuBudget,
    write_path: writePath,
  };
  console.log('\nSwitchboard bench (simulator → Kafka → aggregator → ClickHouse → /v1/kpis)');
  for (const [k, v] of Object.entries(report)) console.log(`  ${k.padEnd(28)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  console.log(`\n${JSON.stringify(report)}`);
  process.exit(0);
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

// `npm run bench -- query`: query latency instead (bench/query-latency.ts);
// `npm run bench -- recovery`: recovery after a SIGKILL under load (bench/recovery.ts)
const entry = process.argv[2] === 'write-path'
  ? async () => {
    rmSync(state, { recursive: true, force: true });
    await (await import('./write-path')).runWritePath();
    process.exit(0);
  }
  : process.argv[2] === 'query'
  ? async () => {
    rmSync(state, { recursive: true, force: true });
    await (await import('./query-latency')).runQueryLatency();
    process.exit(0);
  }
  : process.argv[2] === 'recovery'
    ? async () => {
      rmSync(state, { recursive: true, force: true });
      await (await import('./recovery')).runRecovery();
      process.exit(0);
    }
    : process.argv[2] === 'idle'
    ? async () => {
      rmSync(state, { recursive: true, force: true });
      await (await import('./idle')).runIdle();
      process.exit(0);
    }
    : process.argv[2] === 'peer'
      ? async () => {
        rmSync(state, { recursive: true, force: true });
        await (await import('./peer')).runPeer();
        process.exit(0);
      }
      : main;
entry().catch((err) => {
  console.error(err);
  rmSync(state, { recursive: true, force: true });
  process.exit(1);
});
