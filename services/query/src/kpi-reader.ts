import type { ClickHouseClient } from '@clickhouse/client';
import {
  AGGREGATE_COLUMNS, isHistoryQuantity, isZonedGrain, quantityKey, requiredQuantities, zonedWindowEnd, zonedWindowStart, zonedWindowStarts,
  TOP_TOPICS_ID, granularityMs, rankTopics, type TopTopic, type AggregateKind, type Dimension, type Granularity, type Quantity,
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

/** quantities read from one window's merged row (all but the history ones) */
type WindowQuantity = Exclude<Quantity, { kind: 'runningTotal' | 'fcrResolved' | 'fcrRepeats' }>;

/**
 * SQL of a window quantity over the rows of one (window, group), the same number
 * `evalQuantity` gives over their merged measures (the unit tests' path): sums and maxima of
 * the scalar columns; counts of a wait map up to a threshold summed row by row (a filtered sum
 * of each row's map adds up to the filtered sum of the merged map, without merging maps);
 * percentiles and key-map counts over the merged map (sumMap). Every value is cast to Float64,
 * what the formulas compute with (an integer above 2^53 rounds as Number() would round it), so
 * the answer arrives as plain JSON numbers. Values the caller chose (thresholds, topic sets,
 * cost rates) are bound parameters; column names come from the catalogue.
 */
function quantitySql(x: WindowQuantity, alias: string, params: Record<string, unknown>): string {
  const c = x.column;
  switch (x.kind) {
    case 'sum':
      return `toFloat64(${COLUMN_KIND.get(c) === 'max' ? 'max' : 'sum'}(${c}))`;
    case 'mapAtMost':
    case 'mapBelow':
      params[`t_${alias}`] = x.key;
      return `toFloat64(sum(arraySum(arrayFilter((v, k) -> k ${x.kind === 'mapAtMost' ? '<=' : '<'} {t_${alias}:UInt32}, ${c}.values, ${c}.keys))))`;
    case 'mapPercentile': {
      // nearest rank: the smallest key whose cumulative count reaches ⌈p·n/100⌉; 0 when empty
      // (sumMap's keys come sorted ascending)
      const merged = `sumMap(${c})`;
      const n = `arraySum(mapValues(${merged}))`;
      const rank = Number.isInteger(x.p) ? `intDiv(${x.p} * ${n} + 99, 100)` : `ceil(${x.p} * ${n} / 100)`;
      return `toFloat64(if(${n} = 0, 0, arrayFirst((k, s) -> s >= ${rank}, mapKeys(${merged}), arrayCumSum(mapValues(${merged})))))`;
    }
    default:
      return `toFloat64(${keyMapSql(x, alias, params)})`;
  }
}

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
 * Reads, for every (window, group), the quantities the KPIs need (computed in SQL over the
 * merged rows, see quantitySql) and applies the KPI formulas of the catalogue in TypeScript,
 * the same formulas the unit tests check. The rows come back column by column
 * (JSONColumnsWithMetadata): one array per quantity, no object per row.
 * SQL identifiers come only from allow-lists (the catalogue, DIMENSIONS, GRANULARITIES);
 * every value the caller sent is a bound parameter.
 */
export async function readKpis(client: ClickHouseClient, tenant: string, q: KpiQuery, read: ReadKpiOptions = {}): Promise<Series[]> {
  const all = requiredQuantities(q.kpis, q.options);
  // history quantities (backlog, FCR) read past the windows: see history-reader.ts
  const history = new Map([...all].filter(([, x]) => isHistoryQuantity(x)));
  const quantities = [...all].filter(([, x]) => !isHistoryQuantity(x)) as [string, WindowQuantity][];
  const params: Record<string, unknown> = {};
  const selects = quantities.map(([, x], i) => `${quantitySql(x, `q${i}`, params)} AS q${i}`);
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
  const [result, past, topics] = await Promise.all([
    client.query({ query: sql, query_params: params, format: 'JSONColumnsWithMetadata' }).then(async (rs) => (await rs.json()) as unknown as { data: Record<string, unknown[]> }),
    readHistory(client, { tenant, q, windows, end, source, merged: read.merge === true, quantities: history }),
    q.topTopics ? readTopicCounts(client, tenant, q, windows, end, source, read.merge === true) : null,
  ]);

  // group → the row of each window (-1: no row, every quantity 0)
  const data = result.data;
  const tsCol = (data.ts ?? []) as number[];
  const dimCols = dims.map((d) => (data[d] ?? []) as string[]);
  const valueCols = quantities.map((_, i) => (data[`q${i}`] ?? []) as number[]);
  const windowIndex = new Map(windows.map((w, i) => [w, i]));
  const groups = new Map<string, { key: string; rows: Int32Array }>();
  const groupOf = (id: string, key: () => string) => {
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key: key(), rows: new Int32Array(windows.length).fill(-1) }));
    return g;
  };
  if (dims.length === 0) groupOf('', () => '[]');
  for (let r = 0; r < tsCol.length; r++) {
    const g = dims.length === 0 ? groups.get('')!
      : dims.length === 1 ? groupOf(dimCols[0]![r]!, () => JSON.stringify([dimCols[0]![r]]))
      : ((key) => groupOf(key, () => key))(JSON.stringify(dimCols.map((col) => col[r])));
    const w = windowIndex.get(tsCol[r]! * 1000);
    if (w !== undefined) g.rows[w] = r;
  }

  // each KPI's inputs as positions in one array of quantity values (window ones, then history
  // ones), and one input record per KPI refilled for every point (the formulas only read it)
  const slot = new Map<string, number>([...quantities.map(([k], i) => [k, i] as const), ...[...history.keys()].map((k, i) => [k, quantities.length + i] as const)]);
  const historyKeys = [...history.keys()];
  const values = new Float64Array(slot.size);
  const formulas = q.kpis.map((k) => {
    const inputs = Object.entries(k.inputs(q.options)).map(([name, x]) => [name, slot.get(quantityKey(x))!] as const);
    return { id: k.id, inputs, v: {} as Record<string, number>, compute: k.compute };
  });
  const pointOf = (ts: string): Point => {
    const point = { ts } as Point;
    for (const f of formulas) {
      for (const [name, i] of f.inputs) f.v[name] = values[i]!;
      point[f.id] = f.compute(f.v, q.options);
    }
    return point;
  };
  const isoOf = windows.map((w) => new Date(w).toISOString());
  const series: Series[] = [];
  for (const g of [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const raw = JSON.parse(g.key) as string[];
    const group = Object.fromEntries(dims.map((d, i) => [d, raw[i] === '' ? null : raw[i]!]));
    const pastOf = past.get(g.key);
    const counts = topics?.get(g.key);
    const points = windows.map((w, wi) => {
      const r = g.rows[wi]!;
      for (let i = 0; i < valueCols.length; i++) values[i] = r < 0 ? 0 : valueCols[i]![r]!;
      if (historyKeys.length > 0) {
        const before = pastOf?.get(w);
        historyKeys.forEach((k, i) => (values[quantities.length + i] = before?.get(k) ?? 0));
      }
      const point = pointOf(isoOf[wi]!);
      if (topics) {
        const before = read.merge ? topics.previousStart : zonedWindowStart(w - 1, q.granularity, tz);
        point[TOP_TOPICS_ID] = rankTopics(counts?.get(w) ?? new Map(), counts?.get(before) ?? new Map(), q.topTopics!);
      }
      return point;
    });
    series.push({ group, points });
  }
  return series;
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
