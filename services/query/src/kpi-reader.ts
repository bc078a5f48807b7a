import type { ClickHouseClient } from '@clickhouse/client';
import {
  AGGREGATE_COLUMNS, compileKpi, emptyMeasures, evalQuantity, isHistoryQuantity, isZonedGrain, requiredQuantities, zonedWindowEnd, zonedWindowStart, zonedWindowStarts,
  TOP_TOPICS_ID, granularityMs, rankTopics, type TopTopic, type AggregateKind, type Dimension, type Granularity, type Measures, type Quantity,
} from '@switchboard/kpi';
import type { KpiQuery } from './params';
import { readHistory } from './history-reader';
import { filterConditions } from './filter-sql';

export type Point = { ts: string } & Record<string, number | null | string | TopTopic[]>;
export interface Series {
  group: Partial<Record<Dimension, string | null>>;
  points: Point[];
}

const COLUMN_KIND = new Map<string, AggregateKind>(AGGREGATE_COLUMNS.map((c) => [c.name, c.kind]));
/** how each stored kind merges across rows */
const MERGE = { sum: 'sum', fsum: 'sum', max: 'max', waitmap: 'sumMap' } as const;

/** measures of one (window, group), plus the key-map quantities counted in SQL */
interface Merged { m: Measures; keyed: Map<string, number> }

/** quantities read from one window's merged row (all but the history ones) */
type WindowQuantity = Exclude<Quantity, { kind: 'runningTotal' | 'fcrResolved' | 'fcrRepeats' }>;

/** SQL for a key-map quantity over the merged map; listed keys are bound parameters. */
function keyMapSql(x: WindowQuantity, alias: string, params: Record<string, unknown>): string {
  const merged = `sumMap(${x.column})`;
  if (x.kind === 'keysAtLeast') return `arrayCount(v -> v >= ${Math.trunc(x.min)}, mapValues(${merged}))`;
  if (x.kind === 'keysTotal' && x.keys === null) return `arraySum(mapValues(${merged}))`;
  if (x.kind === 'keysTotal') {
    params[`k_${alias}`] = x.keys;
    return `arraySum(mapValues(mapFilter((k, v) -> has({k_${alias}:Array(String)}, k), ${merged})))`;
  }
  if (x.kind === 'keysWeighted') {
    params[`k_${alias}`] = Object.keys(x.weights);
    params[`w_${alias}`] = Object.values(x.weights);
    params[`d_${alias}`] = x.otherwise;
    return `arraySum(arrayMap((k, v) -> v * if(has({k_${alias}:Array(String)}, k), {w_${alias}:Array(Float64)}[indexOf({k_${alias}:Array(String)}, k)], {d_${alias}:Float64}), mapKeys(${merged}), mapValues(${merged})))`;
  }
  if (x.kind === 'keysGroupMax') {
    // keys are `topic ␟ code`: per topic the largest count, summed over topics
    const group = `splitByChar(char(31), k)[1]`;
    return `arraySum(arrayMap(t -> arrayMax(arrayFilter((v, k) -> ${group} = t, mapValues(${merged}), mapKeys(${merged}))), arrayDistinct(arrayMap(k -> ${group}, mapKeys(${merged})))))`;
  }
  throw new Error(`no SQL for ${x.kind} over ${x.column}`);
}

/** Where a grain's windows are read from, and the SQL of a row's window start (epoch s). */
export interface WindowSource {
  table: string;
  ts(column: string): string;
}

/**
 * UTC windows come from their own grain's table. Windows in another zone that differ from the
 * UTC ones (30m, 1h, 1d) are merged from the 15-minute table, whose windows every zone's
 * boundaries fall on (offsets are multiples of 15 minutes): a local day across a DST change
 * is the 92 or 100 quarter hours it has. The zone name was checked against the runtime's
 * zones and a strict pattern before it reaches SQL as a literal.
 */
export function windowSource(g: Granularity, tz: string): WindowSource {
  if (!isZonedGrain(g, tz)) {
    const seconds = granularityMs(g) / 1000;
    return { table: `kpi_agg_${g}`, ts: (c) => (c === 'bucket' ? 'toUnixTimestamp(bucket)' : `toUnixTimestamp(toStartOfInterval(${c}, INTERVAL ${seconds} SECOND))`) };
  }
  const zone = `'${tz}'`;
  const start = (c: string) => (g === '1d' ? `toStartOfDay(${c}, ${zone})` : g === '1h' ? `toStartOfHour(${c}, ${zone})` : `toStartOfInterval(${c}, INTERVAL 30 MINUTE, ${zone})`);
  return { table: 'kpi_agg_15m', ts: (c) => `toUnixTimestamp(${start(c)})` };
}

export interface ReadKpiOptions {
  /**
   * One point per group over the whole of [from, to) instead of one per window: the rows of
   * the granularity's table are merged (e.g. a sliding last 15 minutes from the 1m table, as
   * the alerter reads). from/to are taken to the granularity's boundaries.
   */
  merge?: boolean;
}

/**
 * Reads merged measures for every (window, group) and applies the KPI formulas in TypeScript,
 * from the same catalogue the unit tests check. SQL identifiers come only from allow-lists
 * (the catalogue, DIMENSIONS, GRANULARITIES); every value the caller sent is a bound parameter.
 */
export async function readKpis(client: ClickHouseClient, tenant: string, q: KpiQuery, read: ReadKpiOptions = {}): Promise<Series[]> {
  const all = requiredQuantities(q.kpis, q.options);
  // history quantities (backlog, FCR) read past the windows: see history-reader.ts
  const history = new Map([...all].filter(([, x]) => isHistoryQuantity(x)));
  const quantities = new Map([...all].filter(([, x]) => !isHistoryQuantity(x))) as Map<string, WindowQuantity>;
  const params: Record<string, unknown> = {};
  // Key maps (contacts, customers) can be large: their quantities are counted in SQL, not shipped.
  const keyed = [...quantities.entries()].filter(([, x]) => COLUMN_KIND.get(x.column) === 'keymap');
  const keyedAlias = new Map(keyed.map(([k], i) => [k, `q${i}`]));
  const columns = [...new Set([...quantities.values()].filter((x) => COLUMN_KIND.get(x.column) !== 'keymap').map((x) => x.column))];
  const selects = columns.map((c) => `${MERGE[COLUMN_KIND.get(c) as Exclude<AggregateKind, 'keymap'>]}(${c}) AS ${c}`);
  keyed.forEach(([, x], i) => selects.push(`${keyMapSql(x, `q${i}`, params)} AS q${i}`));
  const tz = q.tz ?? 'UTC';
  const every = zonedWindowStarts(q.from, q.to, q.granularity, tz);
  const windows = read.merge ? [zonedWindowStart(q.from, q.granularity, tz)] : every;
  const end = zonedWindowEnd(every.at(-1)!, q.granularity, tz);
  const source = windowSource(q.granularity, tz);
  Object.assign(params, { tenant, from: Math.floor(windows[0]! / 1000), to: Math.floor(end / 1000) });
  const where = ['tenant_id = {tenant:String}', 'bucket >= toDateTime({from:UInt32})', 'bucket < toDateTime({to:UInt32})', ...filterConditions(q.filters, params)];
  const dims = q.groupBy;
  const sql = `
    SELECT ${read.merge ? '{from:UInt32}' : source.ts('bucket')} AS ts${dims.map((d) => `, ${d}`).join('')}${selects.length ? ', ' : ''}${selects.join(', ')}
    FROM ${source.table}
    WHERE ${where.join(' AND ')}
    GROUP BY ts${dims.map((d) => `, ${d}`).join('')}`;
  const [rows, past, topics] = await Promise.all([
    client.query({ query: sql, query_params: params, format: 'JSONEachRow' }).then((rs) => rs.json<Record<string, unknown>>()),
    readHistory(client, { tenant, q, windows, end, source, merged: read.merge === true, quantities: history }),
    q.topTopics ? readTopicCounts(client, tenant, q, windows, end, source, read.merge === true) : null,
  ]);

  const groups = new Map<string, Map<number, Merged>>();
  if (dims.length === 0) groups.set('[]', new Map());
  for (const r of rows) {
    const key = JSON.stringify(dims.map((d) => r[d]));
    let byTs = groups.get(key);
    if (!byTs) groups.set(key, (byTs = new Map()));
    byTs.set(Number(r.ts) * 1000, { m: toMeasures(r, columns), keyed: new Map([...keyedAlias].map(([k, alias]) => [k, Number(r[alias])])) });
  }

  const formulas = q.kpis.map((k) => [k.id, compileKpi(k, q.options)] as const);
  /** every KPI of one (window, group): each quantity evaluated once, then the formulas */
  const kpisOf = (merged: Merged, before?: Map<string, number>) => {
    const values = new Map<string, number>();
    for (const [qk, x] of quantities) values.set(qk, keyedAlias.has(qk) ? merged.keyed.get(qk) ?? 0 : evalQuantity(x, merged.m));
    for (const qk of history.keys()) values.set(qk, before?.get(qk) ?? 0);
    const out: Record<string, number | null> = {};
    for (const [id, f] of formulas) out[id] = f((qk) => values.get(qk)!);
    return out;
  };
  const none: Merged = { m: emptyMeasures(), keyed: new Map() };
  const empty = kpisOf(none);
  const series: Series[] = [];
  for (const [key, byTs] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const values = JSON.parse(key) as string[];
    const group = Object.fromEntries(dims.map((d, i) => [d, values[i] === '' ? null : values[i]!]));
    const pastOf = past.get(key);
    const points = windows.map((w) => {
      const merged = byTs.get(w);
      const values = history.size > 0 ? kpisOf(merged ?? none, pastOf?.get(w)) : merged ? kpisOf(merged) : empty;
      const point = { ts: new Date(w).toISOString(), ...values } as Point;
      if (topics) {
        const counts = topics.get(key);
        const before = read.merge ? topics.previousStart : zonedWindowStart(w - 1, q.granularity, tz);
        point[TOP_TOPICS_ID] = rankTopics(counts?.get(w) ?? new Map(), counts?.get(before) ?? new Map(), q.topTopics!);
      }
      return point;
    });
    series.push({ group, points });
  }
  return series;
}

function toMeasures(r: Record<string, unknown>, columns: string[]): Measures {
  const m = emptyMeasures() as unknown as Record<string, number | Map<number, number>>;
  for (const c of columns) {
    const v = r[c];
    if (COLUMN_KIND.get(c) !== 'waitmap') m[c] = Number(v);
    else m[c] = new Map(Object.entries((v ?? {}) as Record<string, string | number>).map(([k, n]) => [Number(k), Number(n)]));
  }
  return m as unknown as Measures;
}

/**
 * Created contacts per topic for top_topics: per group and window, from the window before the
 * first (or, merged, the same span before `from`) to the end.
 */
async function readTopicCounts(
  client: ClickHouseClient, tenant: string, q: KpiQuery, windows: number[], end: number, source: WindowSource, merged: boolean,
): Promise<Map<string, Map<number, Map<string, number>>> & { previousStart: number }> {
  const tz = q.tz ?? 'UTC';
  const first = windows[0]!;
  const previousStart = merged ? first - (end - first) : zonedWindowStart(first - 1, q.granularity, tz);
  const params: Record<string, unknown> = { tenant, prev: previousStart / 1000, first: first / 1000, end: end / 1000 };
  const where = ['tenant_id = {tenant:String}', 'bucket >= toDateTime({prev:UInt32})', 'bucket < toDateTime({end:UInt32})', ...filterConditions(q.filters, params)];
  const dims = q.groupBy;
  const ts = merged ? 'if(bucket >= toDateTime({first:UInt32}), {first:UInt32}, {prev:UInt32})' : source.ts('bucket');
  const rs = await client.query({
    query: `SELECT ${ts} AS ts${dims.map((d) => `, ${d}`).join('')}, sumMap(created_by_topic) AS m FROM ${source.table}
            WHERE ${where.join(' AND ')} GROUP BY ts${dims.map((d) => `, ${d}`).join('')}`,
    query_params: params,
    format: 'JSONEachRow',
  });
  const out = new Map<string, Map<number, Map<string, number>>>() as Map<string, Map<number, Map<string, number>>> & { previousStart: number };
  out.previousStart = previousStart;
  for (const r of await rs.json<Record<string, unknown>>()) {
    const key = JSON.stringify(dims.map((d) => r[d]));
    let byTs = out.get(key);
    if (!byTs) out.set(key, (byTs = new Map()));
    byTs.set(Number(r.ts) * 1000, new Map(Object.entries((r.m ?? {}) as Record<string, string | number>).map(([k, v]) => [k, Number(v)])));
  }
  return out;
}
