// The peer of `npm run bench -- peer` (bench/peer.ts), in its own process: ClickHouse's Kafka
// table engine, running inside chDB, reads the JSON copy of the backlog and materialized views
// compute the stored measures of packages/kpi (foldEvent) into the same six stored tables our
// migrations create and the aggregator writes (STORED_TABLES: kpi_agg_1m and kpi_agg_1h keyed
// by agent, kpi_queue_1m/15m/1h/1d without it; the other grains are views over those).
// This file only runs ClickHouse; bench/peer.ts measures it.
//
//   tsx bench/peer-engine.ts drain '<json options>'   migrate, say ready, wait for "go" on
//       stdin, create the Kafka table and the views, say done once the backlog is counted,
//       stop consuming, write the per-table totals to options.totalsFile
//   tsx bench/peer-engine.ts totals <chdb dir> <file> write the per-table totals of a store
//       (the aggregator's, after it has exited: one chDB data directory per process)
//
// Lines meant for bench/peer.ts start with "PEER " followed by JSON.
import { mkdirSync, writeFileSync } from 'node:fs';
import { AGGREGATE_COLUMNS, DIMENSIONS, DURATION_BUCKET_BASE, GRANULARITIES, MAX_STATE_SPAN_MS, MAX_THRESHOLD_S, QUEUE_DIMENSIONS, STATE_TIME_COLUMNS, STORED_TABLES, TOPIC_CODE_SEPARATOR, type AggregateKind, type AggregateName, type Granularity, type StoredTable } from '@switchboard/kpi';
import { migrate, openStore, type Store } from '@switchboard/warehouse';

export interface PeerOptions {
  dir: string;
  /** where the per-table totals go (JSON): several MB with the key maps, too much for a line */
  totalsFile: string;
  brokers: string;
  topic: string;
  group: string;
  events: number;
  /** kafka_num_consumers */
  consumers: number;
  /** kafka_max_block_size (rows per block handed to the views) */
  blockSize: number;
  /** kafka_flush_interval_ms: a block is flushed when full or after this long */
  flushMs: number;
  /** kafka_thread_per_consumer */
  threadPerConsumer: boolean;
  /** 'chained': one view from the events into kpi_agg_1m, then one view per other stored table
   *  reading kpi_agg_1m's inserts; 'direct': one view per stored table, each reading the events;
   *  'none': the counting view only (the cost of consuming and parsing, as a baseline) */
  views: 'chained' | 'direct' | 'none';
  pollMs: number;
}

/** Per stored table: every measure summed over all rows (max for max columns, sumMap for the maps). */
export type TableTotals = Record<string, Record<AggregateName, number | Record<string, number>>>;

const say = (o: unknown) => new Promise<void>((resolve) => process.stdout.write(`PEER ${JSON.stringify(o)}\n`, () => resolve()));

// ---- the JSON events --------------------------------------------------------------------
// Columns of ContactEvent the measures need. JSONEachRow's null_as_default turns a JSON null
// into the column type's default, which is exactly foldEvent's / dimValue's `?? ''` and `?? 0`
// for plain String / Int64 columns. Fields whose null-ness matters (`!== null`) are read as
// String: null → '' and a number → its JSON text, converted in the views (toInt64OrZero /
// toFloat64OrZero, exact: integers, and floats as JSON.stringify wrote them) — '' stands for
// null. Only resolution_code, a string where '' and null differ, stays Nullable.
// Why not the obvious Nullable(Int64) / LowCardinality(String) columns: in chDB 26.7 they make
// the parse the peer's largest cost (measured on 100,000 of these events, consuming and
// counting only: 6.4 CPU-s with them, 2.5 CPU-s like this, 0.5 CPU-s as LineAsString without
// parsing); the Kafka engine refuses DEFAULT expressions, which would have given sentinels.
// Fields no measure reads (event_id, agent_state, currency, attributes) are not declared and
// are skipped by the parser (input_format_skip_unknown_fields); the peer does no dedup.
export const EVENT_COLUMNS = `
    tenant_id String,
    contact_id String,
    type String,
    occurred_at Int64,
    channel String,
    direction String,
    queue_id String,
    agent_id String,
    team_id String,
    customer_id String,
    topic String,
    resolution_code Nullable(String),
    source String,
    wait_ms Int64,
    response_ms String,
    first_response Bool,
    talk_ms String,
    hold_ms String,
    acw_ms String,
    handle_ms Int64,
    resolution_ms String,
    survey_kind String,
    score String,
    scale_min String,
    scale_max String,
    max_score String,
    previous_agent_state String,
    previous_state_ms String,
    business_kind String,
    amount_minor Int64`;

// ---- foldEvent in SQL ---------------------------------------------------------------------
// One aggregate expression per stored measure over a block of events, grouped by the row key.
// Each is a line-by-line translation of foldEvent (packages/kpi/src/aggregates.ts):
const t = (...types: string[]) => (types.length === 1 ? `type = '${types[0]}'` : `type IN (${types.map((x) => `'${x}'`).join(', ')})`);
const count = (cond: string) => `countIf(${cond})`;
const sumOf = (x: string, cond: string) => `sumIf(toUInt64(${x}), ${cond})`;
const fsumOf = (x: string, cond: string) => `sumIf(toFloat64(${x}), ${cond})`;
const bump = (key: string, cond: string, by = '1') => `sumMapIf(map(${key}, toUInt64(${by})), ${cond})`;
// the fields read as String: present (`!== null`) and their value (evaluated on every row,
// hence OrZero: the condition picks the rows that have one)
const has = (f: string) => `${f} != ''`;
const int = (f: string) => `toInt64OrZero(${f})`;
const num = (f: string) => `toFloat64OrZero(${f})`;
const W = MAX_THRESHOLD_S + 1; // WAIT_OVERFLOW_KEY
// ceilSeconds / floorSeconds of a whole, non-negative number of ms: exact in integers
const ceilS = (ms: string) => `toUInt16(least(intDiv(${ms} + 999, 1000), ${W}))`;
const floorS = (ms: string) => `toUInt16(least(intDiv(${ms}, 1000), ${W}))`;
// durationBucket: the same formula in Float64 (log of the engine's libm, JS uses V8's); the
// two can differ only if log(ms)/log(1.02) lands within an ulp of a whole number
const durationBucket = (ms: string) => `toUInt16(if(${ms} <= 0, 0, 1 + greatest(0, ceil(log(${ms}) / log(${DURATION_BUCKET_BASE})))))`;
const surveyScored = `${t('survey_response')} AND ${has('score')}`;
const scaled = `${surveyScored} AND ${has('scale_min')} AND ${has('scale_max')}`;
const csat = `${scaled} AND survey_kind = 'csat'`;
const nps = `${scaled} AND survey_kind = 'nps'`;
const [score, lo, hi] = [num('score'), num('scale_min'), num('scale_max')];
const promoter = `(${score} - ${lo}) * 10 >= 9 * (${hi} - ${lo})`;
const stateLeft = (prev: string) => `${t('agent_state_changed')} AND previous_agent_state = '${prev}' AND ${has('previous_state_ms')}`;
// An agent state's time is split across the minutes it spanned, as foldEventByMinute does
// (docs/staffing.md): every event is ARRAY JOINed with its pieces (minute start in ms, ms in it),
// one piece for an event of any other type; the state measures sum the pieces.
const PIECE_MS = 'tupleElement(piece, 2)';
const active = `${t('contact_created', 'kb_article_viewed', 'self_service_resolved', 'customer_business_event')} AND customer_id != ''`;
const business = (kind: string) => `${t('customer_business_event')} AND customer_id != '' AND business_kind = '${kind}'`;
const response = `${t('agent_message')} AND ${has('response_ms')}`;
const firstResponse = `${response} AND first_response`;
const resolution = `${t('resolved')} AND ${has('resolution_ms')}`;
const qa = `${t('qa_evaluation')} AND ${has('score')} AND ${has('max_score')} AND ${num('max_score')} > 0`;

export const MEASURE_SQL = {
  queued: count(t('queued')),
  answered: count(t('answered')),
  answered_wait_ms: sumOf('wait_ms', t('answered')),
  answered_wait_ceil_s: bump(ceilS('wait_ms'), t('answered')),
  abandoned_all: count(t('abandoned')),
  abandoned_wait_ms: sumOf('wait_ms', t('abandoned')),
  abandoned_wait_ceil_s: bump(ceilS('wait_ms'), t('abandoned')),
  abandoned_wait_floor_s: bump(floorS('wait_ms'), t('abandoned')),
  wrapups: count(t('wrapup_completed')),
  handle_ms: sumOf('handle_ms', t('wrapup_completed')),
  csat_responses: count(csat),
  csat_satisfied: count(`${csat} AND (${score} - ${lo}) * 4 >= 3 * (${hi} - ${lo})`),
  nps_responses: count(nps),
  nps_promoters: count(`${nps} AND ${promoter}`),
  nps_detractors: count(`${nps} AND NOT (${promoter}) AND (${score} - ${lo}) * 10 <= 6 * (${hi} - ${lo})`),
  blocked: count(t('blocked')),
  created: count(t('contact_created')),
  created_by_topic: bump('topic', t('contact_created')),
  resolved: count(t('resolved')),
  resolution_n: count(resolution),
  resolution_ms: sumOf(int('resolution_ms'), resolution),
  reopened: count(t('reopened')),
  agent_messages: count(t('agent_message')),
  response_n: count(response),
  response_ms: sumOf(int('response_ms'), response),
  first_response_n: count(firstResponse),
  first_response_ms: sumOf(int('response_ms'), firstResponse),
  transferred_contacts: bump('contact_id', t('transferred')),
  escalated_contacts: bump('contact_id', t('escalated')),
  longest_wait_ms: `maxIf(toUInt64(wait_ms), ${t('answered', 'abandoned')})`,
  talk_n: count(`${t('contact_ended')} AND ${has('talk_ms')}`),
  talk_ms: sumOf(int('talk_ms'), `${t('contact_ended')} AND ${has('talk_ms')}`),
  hold_n: count(`${t('contact_ended')} AND ${has('hold_ms')}`),
  hold_ms: sumOf(int('hold_ms'), `${t('contact_ended')} AND ${has('hold_ms')}`),
  held: count(`${t('contact_ended')} AND ${has('hold_ms')} AND ${int('hold_ms')} > 0`),
  acw_n: count(`${t('wrapup_completed')} AND ${has('acw_ms')}`),
  acw_ms: sumOf(int('acw_ms'), `${t('wrapup_completed')} AND ${has('acw_ms')}`),
  csat_score: fsumOf(score, csat),
  ces_responses: count(`${surveyScored} AND survey_kind = 'ces'`),
  ces_score: fsumOf(score, `${surveyScored} AND survey_kind = 'ces'`),
  qa_evaluations: count(qa),
  qa_score_ratio: fsumOf(`${score} / ${num('max_score')}`, qa),
  kb_views: count(t('kb_article_viewed')),
  self_service: count(t('self_service_resolved')),
  state_busy_ms: sumOf(PIECE_MS, stateLeft('busy')),
  state_acw_ms: sumOf(PIECE_MS, stateLeft('after_call_work')),
  state_available_ms: sumOf(PIECE_MS, stateLeft('available')),
  state_away_ms: sumOf(PIECE_MS, stateLeft('away')),
  customers_active: bump('customer_id', active),
  customer_purchases: bump('customer_id', business('purchase')),
  customers_churned: bump('customer_id', business('churned')),
  customers_referred: bump('customer_id', business('referred')),
  // purchase adds, return subtracts: a signed Float64 sum (whole minor units, exact below 2^53)
  net_revenue_minor: `sumIf(toFloat64(amount_minor) * if(business_kind = 'return', -1, 1), ${t('customer_business_event')} AND business_kind IN ('purchase', 'return'))`,
  resolved_by_topic_code: bump(`concat(topic, '${TOPIC_CODE_SEPARATOR}', assumeNotNull(resolution_code))`, `${t('resolved')} AND resolution_code IS NOT NULL`),
  staffed_ms_by_team: bump('team_id', `${t('agent_state_changed')} AND previous_agent_state NOT IN ('', 'offline') AND ${has('previous_state_ms')}`, PIECE_MS),
  first_response_log: bump(durationBucket(int('response_ms')), firstResponse),
  resolution_log: bump(durationBucket(int('resolution_ms')), resolution),
  // Business time and SLA policies: the peer runs with no calendar and no policy, like the
  // aggregator in this bench (foldEvent with NO_BUSINESS_CONFIG): business time is calendar
  // time, every contact is queued in hours, nothing is measured against a policy.
  first_response_bh_ms: sumOf(int('response_ms'), firstResponse),
  first_response_bh_log: bump(durationBucket(int('response_ms')), firstResponse),
  response_bh_ms: sumOf(int('response_ms'), response),
  resolution_bh_ms: sumOf(int('resolution_ms'), resolution),
  resolution_bh_log: bump(durationBucket(int('resolution_ms')), resolution),
  in_hours_queued: count(t('queued')),
  in_hours_answered: count(t('answered')),
  in_hours_answered_wait_ceil_s: bump(ceilS('wait_ms'), t('answered')),
  in_hours_abandoned_all: count(t('abandoned')),
  in_hours_abandoned_wait_ceil_s: bump(ceilS('wait_ms'), t('abandoned')),
  in_hours_abandoned_wait_floor_s: bump(floorS('wait_ms'), t('abandoned')),
  sla_first_reply_n: 'toUInt64(0)',
  sla_first_reply_met: 'toUInt64(0)',
  sla_next_reply_n: 'toUInt64(0)',
  sla_next_reply_met: 'toUInt64(0)',
  sla_resolution_n: 'toUInt64(0)',
  sla_resolution_met: 'toUInt64(0)',
} as const satisfies Record<AggregateName, string>;

const MERGE: Record<AggregateKind, string> = { sum: 'sum', fsum: 'sum', max: 'max', waitmap: 'sumMap', keymap: 'sumMap' };
type Stored = StoredTable;
const keyOf = (t: Stored) => ['tenant_id', 'bucket', ...(t.agent ? DIMENSIONS : QUEUE_DIMENSIONS)];
// the window of the event's piece (its own minute but for an agent state's earlier pieces)
const grainBucket = (g: Granularity) => `toDateTime(intDiv(tupleElement(piece, 1), ${GRANULARITIES[g] * 1000}) * ${GRANULARITIES[g]}, 'UTC')`;
/** stateSpan of packages/kpi: [occurred_at − min(previous_state_ms, 24 h), occurred_at) of a staffed state left, split by minute */
const SPAN_FROM = `occurred_at - least(${int('previous_state_ms')}, ${MAX_STATE_SPAN_MS})`;
const PIECES = `if(${t('agent_state_changed')} AND previous_agent_state NOT IN ('', 'offline') AND ${has('previous_state_ms')} AND ${int('previous_state_ms')} > 0,
        arrayMap(m -> (toInt64(m) * 60000, toInt64(least(occurred_at, (toInt64(m) + 1) * 60000) - greatest(${SPAN_FROM}, toInt64(m) * 60000))),
          range(toUInt32(intDiv(${SPAN_FROM}, 60000)), toUInt32(intDiv(occurred_at - 1, 60000) + 1))),
        [(toInt64(intDiv(occurred_at, 60000) * 60000), toInt64(0))])`;
const STATE_COLUMNS = AGGREGATE_COLUMNS.filter((c) => (STATE_TIME_COLUMNS as readonly string[]).includes(c.name));

/**
 * What a view writes: into a stored table, or, for an agent grain split like the aggregator's
 * (migration 0017), agent state time into its state-time table and every other event into its
 * rows table.
 */
interface Target { table: string; grain: Granularity; key: string[]; part: 'all' | 'rows' | 'state' }
const targets = (t: Stored): Target[] => t.split
  ? [{ table: t.split.rows, grain: t.grain, key: keyOf(t), part: 'rows' }, { table: t.split.stateTime, grain: t.grain, key: keyOf(t), part: 'state' }]
  : [{ table: t.table, grain: t.grain, key: keyOf(t), part: 'all' }];
const columnsOf = (part: Target['part']) => (part === 'state' ? STATE_COLUMNS : AGGREGATE_COLUMNS);

/** Views folding raw events into one stored table (events of hold_started / hold_ended feed nothing: feedsAggregates). */
export function eventsViewSql(stored: Stored): string[] {
  return targets(stored).map((x) => {
    const cols = columnsOf(x.part);
    const where = x.part === 'state' ? t('agent_state_changed') : x.part === 'rows' ? "type NOT IN ('hold_started', 'hold_ended', 'agent_state_changed')" : "type NOT IN ('hold_started', 'hold_ended')";
    // aggregated under m_ names (several measures are named like the event field they sum)
    return `CREATE MATERIALIZED VIEW peer_${x.table}_mv TO ${x.table} AS
    SELECT ${x.key.join(', ')}, ${cols.map((c) => `m_${c.name} AS ${c.name}`).join(', ')}
    FROM (
      SELECT tenant_id, ${grainBucket(x.grain)} AS bucket, ${x.key.slice(2).join(', ')},
        ${cols.map((c) => `${MEASURE_SQL[c.name]} AS m_${c.name}`).join(',\n        ')}
      FROM peer_stream
      ARRAY JOIN ${PIECES} AS piece
      WHERE ${where}
      GROUP BY ${x.key.join(', ')}
    )`;
  });
}

const BASE = STORED_TABLES.find((s) => s.agent && s.grain === '1m')! as Stored;

/** Views rolling each insert into the 1m tables keyed by agent up into another stored table. */
export function rollupViewSql(t: Stored): string[] {
  const sources = targets(BASE);
  return targets(t).flatMap((x) => sources.filter((src) => x.part === 'all' || x.part === src.part).map((src) => {
    const cols = columnsOf(src.part);
    return `CREATE MATERIALIZED VIEW peer_${x.table}_from_${src.table}_mv TO ${x.table} AS
    SELECT tenant_id, toStartOfInterval(bucket, INTERVAL ${GRANULARITIES[x.grain]} SECOND) AS bucket, ${x.key.slice(2).join(', ')},
      ${cols.map((c) => `${MERGE[c.kind]}(${c.name}) AS ${c.name}`).join(', ')}
    FROM ${src.table}
    GROUP BY ${x.key.join(', ')}`;
  }));
}

function kafkaTableSql(o: PeerOptions): string {
  const s = (v: string) => `'${v.replace(/'/g, "\\'")}'`;
  return `CREATE TABLE peer_events (${EVENT_COLUMNS}
  ) ENGINE = Kafka
  SETTINGS kafka_broker_list = ${s(o.brokers)}, kafka_topic_list = ${s(o.topic)}, kafka_group_name = ${s(o.group)},
    kafka_format = 'JSONEachRow', kafka_num_consumers = ${o.consumers}, kafka_max_block_size = ${o.blockSize},
    kafka_flush_interval_ms = ${o.flushMs}, kafka_thread_per_consumer = ${o.threadPerConsumer ? 1 : 0},
    kafka_handle_error_mode = 'default', kafka_skip_broken_messages = 0,
    input_format_skip_unknown_fields = 1, input_format_null_as_default = 1`;
}

async function tableTotals(store: Store): Promise<TableTotals> {
  const out: TableTotals = {};
  for (const { table } of STORED_TABLES) {
    const rs = await store.client.query({
      query: `SELECT ${AGGREGATE_COLUMNS.map((c) => `${MERGE[c.kind]}(${c.name}) AS ${c.name}`).join(', ')} FROM ${table}`,
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
    });
    const [row] = await rs.json<Record<string, number | string | Record<string, number | string>>>();
    const t: Record<string, number | Record<string, number>> = {};
    for (const c of AGGREGATE_COLUMNS) {
      const v = row![c.name]!;
      t[c.name] = typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, Number(x)])) : Number(v);
    }
    out[table] = t as TableTotals[string];
  }
  return out;
}

async function drain(o: PeerOptions): Promise<void> {
  mkdirSync(o.dir, { recursive: true });
  const store = await openStore({ kind: 'embedded', path: o.dir });
  await migrate(store.client);
  await say({ ready: true });
  // the orchestrator reads our CPU time now, then lets the drain start
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  const exec = (query: string) => store.client.command({ query });
  // The Kafka table starts consuming as soon as one view reads it, and a block that flows
  // before the other views exist is lost to them. So every view reads a Null table that one
  // view copies the Kafka table into, and that view and the Kafka table come last.
  await exec(`CREATE TABLE peer_stream (${EVENT_COLUMNS}) ENGINE = Null`);
  await exec('CREATE TABLE peer_consumed (n UInt64) ENGINE = SummingMergeTree ORDER BY tuple()');
  await exec('CREATE MATERIALIZED VIEW peer_consumed_mv TO peer_consumed AS SELECT count() AS n FROM peer_stream');
  if (o.views === 'chained') {
    for (const t of STORED_TABLES) if (t !== BASE) for (const sql of rollupViewSql(t)) await exec(sql);
    for (const sql of eventsViewSql(BASE)) await exec(sql);
  } else if (o.views === 'direct') {
    for (const t of STORED_TABLES) for (const sql of eventsViewSql(t)) await exec(sql);
  }
  await exec(kafkaTableSql(o));
  await exec('CREATE MATERIALIZED VIEW peer_events_mv TO peer_stream AS SELECT * FROM peer_events');
  let n = 0;
  let polls = 0;
  const reported = new Set<string>();
  while (n < o.events) {
    await new Promise((r) => setTimeout(r, o.pollMs));
    const rs = await store.client.query({ query: 'SELECT sum(n) AS n FROM peer_consumed', format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    n = Number((await rs.json<{ n: number }>())[0]!.n);
    // A failing block is retried forever, silently (it is not committed): say why, now and then.
    if (++polls % 25 === 0) {
      const ex = await store.client.query({ query: "SELECT arrayJoin(exceptions.text) AS e FROM system.kafka_consumers WHERE table = 'peer_events'", format: 'JSONEachRow' });
      for (const { e } of await ex.json<{ e: string }>()) {
        if (!reported.has(e)) process.stderr.write(`peer_events consumer: ${e.slice(0, 2000)}\n`);
        reported.add(e);
      }
    }
  }
  await say({ done: n });
  // stop consuming (the view first: a view's source cannot be dropped under it), then count
  await exec('DROP TABLE peer_events_mv SYNC');
  await exec('DROP TABLE peer_events SYNC');
  const rs = await store.client.query({ query: 'SELECT sum(n) AS n FROM peer_consumed', format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  const consumed = Number((await rs.json<{ n: number }>())[0]!.n);
  writeFileSync(o.totalsFile, JSON.stringify(await tableTotals(store)));
  await store.close();
  await say({ consumed });
}

async function totals(dir: string, file: string): Promise<void> {
  const store = await openStore({ kind: 'embedded', path: dir });
  writeFileSync(file, JSON.stringify(await tableTotals(store)));
  await store.close();
}

const [mode, arg, file] = process.argv.slice(2);
if (mode === 'drain' || mode === 'totals') {
  (mode === 'drain' ? drain(JSON.parse(arg!) as PeerOptions) : totals(arg!, file!)).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
