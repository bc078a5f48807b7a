// `npm run bench -- query`: query latency of the embedded store through HTTP.
//
// Loads 30 days × BENCH_QUERY_QUEUES (50) queues of 15-minute KPI rows and 7 days of realtime
// state into embedded ClickHouse (chDB, in this process, as in single-node mode), starts the
// query service on it, and measures client-side latency (request sent → JSON body parsed) of
// /v1/kpis for 30 days at 15m with 5 KPIs (BENCH_QUERY_KPIS) in several shapes, since "30 days ×
// 50 queues" reads either way:
//  - center: no group_by, one series for the whole center (2,880 points);
//  - one_queue: the same filtered to one queue (filter.queue_id, 2,880 points);
//  - by_queue: group_by=queue_id (50 series × 2,880 points = 144,000 points), in the points
//    layout (~17 MB) and format=columns (~3 MB), from the answer cache; in columns with a row
//    written into the current window before each request (today's chunk read again); and both
//    layouts from a second query service without the cache (every request reads 30 days);
// and /v1/realtime per queue (default 168 h lookback).
// Per round, BENCH_QUERY_REQUESTS (200) sequential requests of center, one queue, cached
// columns and realtime, BENCH_QUERY_KPIS_REQUESTS (30) of the other by-queue shapes, after 3
// untimed ones; BENCH_QUERY_ROUNDS (3) rounds after a warm-up; p50/p99 and CPU per request
// (p50) per shape and round, and the median of the rounds.
//
// Data: one simulated day (the simulator, BENCH_QUERY_ARRIVALS_PER_HOUR arrivals/h over the
// queues, ending now) is folded by the aggregator's own aggregateMinuteRows and merged into
// 15-minute rows (what the aggregator writes to kpi_agg_15m, one row per window and dimension
// set), written once and copied inside ClickHouse over 30 days, a day apart. Realtime state: the same day's events through
// the aggregator's StateWriter seven times, a day apart, contacts renamed per day (agents keep
// their ids, so the newest day's state wins, as it would live).
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { StateWriter, aggregateMinuteRows, readKpiTable, toInsertRow, wideMeasures, type AggregateRow } from '@switchboard/warehouse';
import { DIMENSIONS, emptyMeasures, mergeMeasures, windowStart } from '@switchboard/kpi';
import { createQuery, kpiSeriesJson, parseKpiQuery } from '@switchboard/query';
import { HttpServer, createMetricsRegistry, headerTenantResolver } from '@switchboard/service-kit';
import { defaultQueues, generateEvents } from '@switchboard/simulator';
import { migrate, openStore } from '@switchboard/warehouse';
import type { Store } from '@switchboard/warehouse';

const QUEUES = Number(process.env.BENCH_QUERY_QUEUES ?? 50);
const DAYS = Number(process.env.BENCH_QUERY_DAYS ?? 30);
const STATE_DAYS = 7;
const ARRIVALS_PER_HOUR = Number(process.env.BENCH_QUERY_ARRIVALS_PER_HOUR ?? 1000);
const REQUESTS = Number(process.env.BENCH_QUERY_REQUESTS ?? 200);
/** requests per round of the grouped /v1/kpis shape: each answer is ~17 MB */
const KPIS_REQUESTS = Number(process.env.BENCH_QUERY_KPIS_REQUESTS ?? 30);
const ROUNDS = Number(process.env.BENCH_QUERY_ROUNDS ?? 3);
const KPIS = (process.env.BENCH_QUERY_KPIS ?? 'offered,answered,service_level,asa_ms,abandonment_rate').split(',');
const DAY = 86_400_000;
const tenant = 'bench';

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const median = (xs: number[]) => percentile(xs, 50);
const round1 = (x: number) => Math.round(x * 10) / 10;

/** 1-minute rows → 15-minute rows, merged per (window, dimensions) as kpi_agg_15m holds them after merges. */
function quarterRows(minute: AggregateRow[]): AggregateRow[] {
  const out = new Map<string, AggregateRow & { stateOnly: false }>();
  for (const r of minute) {
    const bucket = windowStart(r.bucket, '15m');
    let key = `${r.tenant_id}\u0001${bucket}`;
    for (const d of DIMENSIONS) key += `\u0001${r.dims[d]}`;
    let into = out.get(key);
    if (!into) out.set(key, (into = { tenant_id: r.tenant_id, bucket, dims: r.dims, stateOnly: false, measures: emptyMeasures() }));
    mergeMeasures(into.measures, wideMeasures(r));
  }
  return [...out.values()];
}

/**
 * Loads the data (see the top of this file) and returns what was loaded; the events and rows
 * are dropped when it returns, so the measured process holds what a query service would.
 */
export async function loadData(client: Store['client'], now: number): Promise<Record<string, unknown>> {
  const dayStart = windowStart(now, '15m') - DAY;
  const t0 = Date.now();
  const events = generateEvents({
    seed: 'bench-query', tenantId: tenant, start: dayStart, durationMs: DAY, queues: defaultQueues(QUEUES), arrivalsPerHour: ARRIVALS_PER_HOUR,
  }).filter((e) => e.occurred_at < now);
  const tGen = Date.now();
  const quarter = quarterRows(aggregateMinuteRows(events));
  const tFold = Date.now();
  // one day through the client (JSON, as the aggregator writes) into a staging copy of the
  // table, then copied into kpi_agg_15m inside ClickHouse 30 times, a day apart: parsing
  // 56-column rows is the slow part of a load
  const columns = Object.keys(toInsertRow(quarter[0]!)) as [string, ...string[]];
  await client.command({ query: 'CREATE TABLE bench_day AS kpi_agg_15m' });
  for (let i = 0; i < quarter.length; i += 20_000) {
    const values = quarter.slice(i, i + 20_000).map((r) => { const o = toInsertRow(r); return columns.map((c) => o[c]); });
    await client.insert({ table: 'bench_day', values, columns, format: 'JSONCompactEachRow', clickhouse_settings: { insert_deduplication_token: `bench-day-${i}` } });
  }
  for (let d = 0; d < DAYS; d++) {
    await client.command({
      query: `INSERT INTO kpi_agg_15m SELECT * REPLACE (bucket - toIntervalDay(${d}) AS bucket) FROM bench_day`,
      clickhouse_settings: { insert_deduplication_token: `bench-15m-${d}` },
    });
    if (process.env.BENCH_QUERY_DEBUG) console.log('copied day', d, (await (await client.query({ query: 'SELECT count() AS n FROM kpi_agg_15m', format: 'JSONEachRow' })).json()));
  }
  await client.command({ query: 'DROP TABLE bench_day' });
  const tKpi = Date.now();
  // state in hourly batches (the aggregator writes every 2 s; hourly keeps the load short and
  // still leaves a contact's rows in several parts for the merges and the reads to handle)
  const writer = new StateWriter(client);
  for (let d = STATE_DAYS - 1; d >= 0; d--) {
    const byHour = new Map<number, typeof events>();
    for (const e of events) {
      const shifted = { ...e, contact_id: `${e.contact_id}~${d}`, event_id: `${e.event_id}~${d}`, occurred_at: e.occurred_at - d * DAY };
      const h = Math.floor(shifted.occurred_at / 3_600_000);
      if (!byHour.has(h)) byHour.set(h, []);
      byHour.get(h)!.push(shifted);
    }
    for (const [h, batch] of byHour) await writer.write(batch, `bench-state-${d}-${h}`);
  }
  const tState = Date.now();
  // a live table is merged in the background; let it settle as it would between writes
  await client.command({ query: 'OPTIMIZE TABLE kpi_agg_15m FINAL' });
  const tOpt = Date.now();
  // and let the background merges the load started finish, so that they do not run during the
  // first shapes only (a live store merges now and then, not for minutes after a bulk load)
  let settling = 0;
  while (Number((await (await client.query({ query: 'SELECT count() AS n FROM system.merges', format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n) > 0 && settling < 240) {
    await new Promise((r) => setTimeout(r, 500));
    settling++;
  }
  const tSettle = Date.now();
  const count = async (sql: string) => Number((await (await client.query({ query: sql, format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n);
  return {
    simulated_events_one_day: events.length,
    rows_15m_one_day: quarter.length,
    rows_kpi_agg_15m: await count('SELECT count() AS n FROM kpi_agg_15m'),
    parts_kpi_agg_15m: await count(`SELECT count() AS n FROM system.parts WHERE active AND table = 'kpi_agg_15m'`),
    parts_contact_state: await count(`SELECT count() AS n FROM system.parts WHERE active AND table = 'contact_state'`),
    rows_contact_state: await count('SELECT count() AS n FROM contact_state'),
    rows_agent_state: await count('SELECT count() AS n FROM agent_state'),
    load_s: { simulate: round1((tGen - t0) / 1000), fold: round1((tFold - tGen) / 1000), insert_15m: round1((tKpi - tFold) / 1000), state: round1((tState - tKpi) / 1000), optimize: round1((tOpt - tState) / 1000), merges_settle: round1((tSettle - tOpt) / 1000) },
  };
}

export async function runQueryLatency(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-query-'));
  const log = pino({ level: 'warn' });
  const store = await openStore({ kind: 'embedded', path: dir });
  let http: HttpServer | undefined;
  let uncached: HttpServer | undefined;
  try {
    await migrate(store.client);
    const now = Date.now();
    const load = await loadData(store.client, now);
    console.log('load', JSON.stringify(load));

    // ---- serve and measure --------------------------------------------------------------
    const metrics = createMetricsRegistry();
    http = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics });
    createQuery({ store, http, metrics, tenantOf: headerTenantResolver(tenant) });
    await http.start();
    // the same service without the answer cache: every request reads all 30 days
    const coldMetrics = createMetricsRegistry();
    uncached = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics: coldMetrics });
    createQuery({ store, http: uncached, metrics: coldMetrics, tenantOf: headerTenantResolver(tenant), config: { cacheBytes: 0 } });
    await uncached.start();
    const to = windowStart(now, '15m') + 15 * 60_000;
    const kpis = `${http.url}/v1/kpis?metrics=${KPIS.join(',')}&from=${new Date(to - DAYS * DAY).toISOString()}&to=${new Date(to).toISOString()}&granularity=15m`;
    const oneQueue = defaultQueues(QUEUES)[Math.min(2, QUEUES - 1)]!.id;
    const shapes = [
      { name: 'kpis_center', url: kpis, requests: REQUESTS },
      { name: 'kpis_one_queue', url: `${kpis}&filter.queue_id=${encodeURIComponent(oneQueue)}`, requests: REQUESTS },
      { name: 'kpis_by_queue', url: `${kpis}&group_by=queue_id`, requests: KPIS_REQUESTS },
      { name: 'kpis_by_queue_columns', url: `${kpis}&group_by=queue_id&format=columns`, requests: REQUESTS },
      // a live center: a row lands in the current window before each request (not timed), so
      // today's chunk, and whatever days a merge of the month's parts touches, are read again
      { name: 'kpis_by_queue_columns_live', url: `${kpis}&group_by=queue_id&format=columns`, requests: KPIS_REQUESTS, before: writeNow },
      { name: 'kpis_by_queue_uncached', url: `${kpis.replace(http.url, uncached.url)}&group_by=queue_id`, requests: KPIS_REQUESTS },
      { name: 'kpis_by_queue_columns_uncached', url: `${kpis.replace(http.url, uncached.url)}&group_by=queue_id&format=columns`, requests: KPIS_REQUESTS },
      { name: 'realtime_by_queue', url: `${http.url}/v1/realtime?group_by=queue_id`, requests: REQUESTS },
    ];
    let live = 0;
    async function writeNow(): Promise<void> {
      // one existing row again, into the current window: a new part, as an aggregator flush makes
      await store.client.command({
        query: `INSERT INTO kpi_agg_15m SELECT * REPLACE (toStartOfFifteenMinutes(now()) AS bucket) FROM kpi_agg_15m WHERE tenant_id = {tenant:String} LIMIT 1 OFFSET {n:UInt32}`,
        query_params: { tenant, n: live++ },
        clickhouse_settings: { insert_deduplicate: 0 },
      });
    }
    // wall time as a client sees it, and this process's CPU time (the service, chDB's threads
    // and the client's JSON parsing): on a shared machine the wall time includes waiting for a core
    const time = async (url: string): Promise<{ ms: number; cpuMs: number; body: unknown; bytes: number }> => {
      const c = process.cpuUsage();
      const s = performance.now();
      const r = await fetch(url);
      const text = await r.text();
      const body = JSON.parse(text) as unknown;
      if (!r.ok) throw new Error(`${url}: ${r.status} ${text.slice(0, 500)}`);
      const cpu = process.cpuUsage(c);
      return { ms: performance.now() - s, cpuMs: (cpu.user + cpu.system) / 1000, body, bytes: Buffer.byteLength(text) };
    };
    const answer: Record<string, unknown> = {};
    for (const shape of shapes) {
      const { body, bytes } = await time(shape.url);
      if (shape.name.startsWith('kpis')) {
        const { series, windows } = body as { series: { points?: unknown[] }[]; windows?: unknown[] };
        answer[shape.name] = { series: series.length, points: series.reduce((n, x) => n + (x.points ?? windows!).length, 0), bytes };
      } else {
        const groups = (body as { groups: { contacts_in_queue: number; open_backlog: number; agents_logged_in: number }[] }).groups;
        answer[shape.name] = {
          groups: groups.length, bytes,
          in_queue: groups.reduce((n, g) => n + g.contacts_in_queue, 0),
          open_backlog: groups.reduce((n, g) => n + g.open_backlog, 0),
          agents_logged_in: groups.reduce((n, g) => n + g.agents_logged_in, 0),
        };
      }
      for (let i = 0; i < 3; i++) await time(shape.url);
    }
    console.log('answers', JSON.stringify(answer));
    // where a grouped /v1/kpis answer's time goes in the service: the reader (SQL + formulas),
    // then the answer's JSON; the rest of the HTTP time is transfer and the client's parsing
    const q = parseKpiQuery(Object.fromEntries(new URL(shapes[2]!.url).searchParams));
    const reader: number[] = [];
    const serialize: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = performance.now();
      const table = await readKpiTable(store.client, tenant, q);
      reader.push(performance.now() - s);
      const s2 = performance.now();
      kpiSeriesJson(table);
      serialize.push(performance.now() - s2);
    }
    console.log('kpis_by_queue breakdown', JSON.stringify({ read_kpi_table_ms: reader.map(round1), series_json_ms: serialize.map(round1) }));

    type Figures = { p50: number; p99: number; cpu_p50: number };
    const rounds: Record<string, Figures>[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round: Record<string, Figures> = {};
      for (const shape of shapes) {
        const xs: { ms: number; cpuMs: number }[] = [];
        // a few untimed requests first: the shape before may have left a large answer's garbage
        for (let i = 0; i < 3; i++) await time(shape.url);
        for (let i = 0; i < shape.requests; i++) {
          await shape.before?.();
          // the figures only: keeping each parsed answer (tens of MB for the by-queue shapes)
          // grew the heap past 2 GB within a round, and its collection showed in the latencies
          const { ms, cpuMs } = await time(shape.url);
          xs.push({ ms, cpuMs });
        }
        if (process.env.BENCH_QUERY_DEBUG) console.log(shape.name, 'slowest (request, ms)', JSON.stringify(xs.map((x, i) => [i, round1(x.ms)]).sort((a, b) => b[1]! - a[1]!).slice(0, 4)));
        round[shape.name] = {
          p50: round1(percentile(xs.map((x) => x.ms), 50)), p99: round1(percentile(xs.map((x) => x.ms), 99)), cpu_p50: round1(percentile(xs.map((x) => x.cpuMs), 50)),
        };
      }
      console.log(`round ${r + 1}`, JSON.stringify(round), `load average ${loadavg().map((x) => round1(x)).join(' ')}`);
      rounds.push(round);
    }
    const figures = Object.fromEntries(shapes.map((shape) => [shape.name, {
      requests_per_round: shape.requests,
      p50_ms: median(rounds.map((r) => r[shape.name]!.p50)),
      p99_ms: median(rounds.map((r) => r[shape.name]!.p99)),
      cpu_p50_ms: median(rounds.map((r) => r[shape.name]!.cpu_p50)),
      rounds_p50_p99_ms: rounds.map((r) => `${r[shape.name]!.p50}/${r[shape.name]!.p99}`).join(' · '),
    }]));
    const report = {
      queues: QUEUES, days: DAYS, kpis: KPIS, one_queue: oneQueue, rounds: ROUNDS,
      ...load, answers: answer, ...figures,
      load_average_1m_at_end: round1(loadavg()[0]!),
      target_p99_ms: 100,
    };
    console.log('\nSwitchboard query-latency bench (embedded ClickHouse, through HTTP; medians of the rounds)');
    for (const [k, v] of Object.entries(report)) console.log(`  ${k.padEnd(28)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
    console.log(`\n${JSON.stringify(report)}`);
  } finally {
    await http?.stop();
    await uncached?.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
