import type { ClickHouseClient } from '@clickhouse/client';
import {
  AGGREGATE_COLUMNS, isHistoryQuantity, isZonedGrain, quantityKey, requiredQuantities, zonedWindowEnd, zonedWindowStart, zonedWindowStarts,
  TOP_TOPICS_ID, granularityMs, rankTopics, staffingGrainProblem, type TopTopic, type AggregateKind, type Dimension, type Granularity, type Quantity,
} from '@switchboard/kpi';
import type { KpiQuery } from './kpi-query';
import { readHistory } from './history-reader';
import { windowSource, type WindowSource } from './window-source';
import { filterConditions } from './filter-sql';
import { WINDOW_MS_KEY } from './staffing-reader';

export type Point = { ts: string } & Record<string, number | null | string | TopTopic[]>;
export interface Series {
  group: Partial<Record<Dimension, string | null>>;
  points: Point[];
}

const COLUMN_KIND = new Map<string, AggregateKind>(AGGREGATE_COLUMNS.map((c) => [c.name, c.kind]));

/** quantities read from one window's merged row (all but the history ones) */
export type WindowQuantity = Exclude<Quantity, { kind: 'runningTotal' | 'fcrResolved' | 'fcrRepeats' | 'windowMs' | 'staffing' }>;

/**
 * SQL of a window quantity over the rows of one (window, group), the same number
 * `evalQuantity` gives over their merged measures (the unit tests' path):
 *  - sums and maxima of the scalar columns;
 *  - counts of a wait map up to a threshold, row by row without merging maps: a one-bucket
 *    sumResample over each row's keys ([0, T+1) for "≤ T", [0, S) for "< S") adds up to the
 *    count in the merged map. The thresholds are whole numbers (validated options) written as
 *    literals, as aggregate-function parameters must be; migration 0012's projection holds the
 *    same expressions for 10/20/30/60 s and the 5 s short abandon, and is matched by text;
 *  - percentiles and key-map counts over the merged map (sumMap).
 * Every value is cast to Float64, what the formulas compute with (an integer above 2^53 rounds
 * as Number() would round it), so it arrives as a plain JSON number. Values the caller chose
 * for key maps (topic sets, cost rates) are bound parameters; column names come from the catalogue.
 */
function quantitySql(x: WindowQuantity, alias: string, params: Record<string, unknown>): string {
  const c = x.column;
  switch (x.kind) {
    case 'sum':
      return `toFloat64(${COLUMN_KIND.get(c) === 'max' ? 'max' : 'sum'}(${c}))`;
    case 'mapAtMost':
    case 'mapBelow': {
      const end = x.kind === 'mapAtMost' ? x.key + 1 : x.key;
      if (!Number.isSafeInteger(end) || end < 0) throw new Error(`threshold ${x.key} of ${c} is not a whole number of seconds`);
      return end === 0 ? 'toFloat64(0)' : `toFloat64(sumResampleArray(0, ${end}, ${end})(mapValues(${c}), mapKeys(${c}))[1])`;
    }
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

export interface ReadKpiOptions {
  /**
   * One point per group over the whole of [from, to) instead of one per window: the rows of
   * the granularity's table are merged (e.g. a sliding last 15 minutes from the 1m table, as
   * the alerter reads). from/to are taken to the granularity's boundaries.
   */
  merge?: boolean;
}

/** The windows a query reads and the SQL of their quantities (see windowRowsQuery). */
export interface WindowRows {
  sql: string;
  params: Record<string, unknown>;
  /** the window quantities by quantity key, in the order of the SQL's q0, q1 … columns */
  quantities: [string, WindowQuantity][];
  /** the history quantities (backlog, FCR), read by history-reader.ts */
  history: Map<string, Quantity>;
  /** window starts, ascending (one window when merged) */
  windows: number[];
  /** end of the last window (exclusive) */
  end: number;
  source: WindowSource;
}

/**
 * The SQL readKpis reads every (window, group)'s quantities with: one row per window and group,
 * a column per quantity (exported for the tests, which EXPLAIN it to see which projection
 * serves it). SQL identifiers come only from allow-lists (the catalogue, DIMENSIONS,
 * GRANULARITIES); the values the caller sent are bound parameters or validated whole numbers.
 */
export function windowRowsQuery(tenant: string, q: KpiQuery, read: ReadKpiOptions = {}): WindowRows {
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
  const source = windowSource(q, tz);
  Object.assign(params, { tenant, from: Math.floor(windows[0]! / 1000), to: Math.floor(end / 1000) });
  const where = ['tenant_id = {tenant:String}', 'bucket >= toDateTime({from:UInt32})', 'bucket < toDateTime({to:UInt32})', ...filterConditions(q.filters, params)];
  const dims = q.groupBy;
  // optimize_functions_to_subcolumns = 0 keeps mapValues/mapKeys as written, as migration
  // 0012's projection has them, so that the optimizer can match its aggregates
  const sql = `
    SELECT ${read.merge ? '{from:UInt32}' : source.ts('bucket')} AS ts${dims.map((d) => `, ${d}`).join('')}${selects.length ? ', ' : ''}${selects.join(', ')}
    FROM ${source.table}
    WHERE ${where.join(' AND ')}
    GROUP BY ts${dims.map((d) => `, ${d}`).join('')}
    SETTINGS optimize_functions_to_subcolumns = 0`;
  return { sql, params, quantities, history, windows, end, source };
}

/**
 * A /v1/kpis answer before it becomes objects: per group (in answer order) and window, each
 * KPI's value, number or null. Point objects for 144,000 windows are most of a large answer's
 * cost, so the HTTP route writes its JSON from this directly (kpiSeriesJson); readKpis builds
 * the objects for the other callers.
 */
export interface KpiTable {
  groups: { group: Series['group']; key: string }[];
  /** window starts (epoch ms) and their ISO-8601 form */
  windows: number[];
  ts: string[];
  /** the KPI ids of a point, in the answer's order (each once) */
  ids: string[];
  /** value of KPI k of window w of group g at (g · windows + w) · ids + k; NaN where `nulls` is set */
  values: Float64Array;
  nulls: Uint8Array;
  /** 1 where group g has a row in window w, at g · windows + w (a window without one has the formulas' values over nothing) */
  hasRow: Uint8Array;
  /** top_topics per group and window, when asked for */
  topTopics?: TopTopic[][][];
}

/**
 * Reads, for every (window, group), the quantities the KPIs need (computed in SQL over the
 * merged rows, see quantitySql) and applies the KPI formulas of the catalogue in TypeScript,
 * the same formulas the unit tests check. The rows come back column by column
 * (JSONColumnsWithMetadata): one array per quantity, no object per row.
 */
export async function readKpiTable(client: ClickHouseClient, tenant: string, q: KpiQuery, read: ReadKpiOptions = {}): Promise<KpiTable> {
  // staffing KPIs need whole 15-minute intervals (the query service answers 400 before this)
  const finer = read.merge ? null : staffingGrainProblem(q.kpis, q.granularity);
  if (finer) throw new Error(finer);
  const { sql, params, quantities, history, windows, end, source } = windowRowsQuery(tenant, q, read);
  const tz = q.tz ?? 'UTC';
  const dims = q.groupBy;
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
  // keyed as the history and topic readers key them (JSON of the values); one dimension by its value
  const groupAt = (r: number) => {
    if (dims.length === 0) return groupOf('', () => '[]');
    if (dims.length === 1) {
      const v = dimCols[0]![r]!;
      return groupOf(v, () => JSON.stringify([v]));
    }
    const key = JSON.stringify(dimCols.map((col) => col[r]));
    return groupOf(key, () => key);
  };
  if (dims.length === 0) groupAt(0);
  for (let r = 0; r < tsCol.length; r++) {
    const w = windowIndex.get(tsCol[r]! * 1000);
    if (w !== undefined) groupAt(r).rows[w] = r;
  }
  const sorted = [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  // one array of the current point's quantity values (window ones, then history ones), and
  // per KPI one input record whose fields read from it (the formulas only read their record)
  const slot = new Map<string, number>([...quantities.map(([k], i) => [k, i] as const), ...[...history.keys()].map((k, i) => [k, quantities.length + i] as const)]);
  const historyKeys = [...history.keys()];
  // the window's length (agents_staffed): to the next window's start, the last to the end
  const windowMsAt = historyKeys.includes(WINDOW_MS_KEY) ? quantities.length + historyKeys.indexOf(WINDOW_MS_KEY) : -1;
  const values = new Float64Array(slot.size);
  const kpis = [...new Map(q.kpis.map((k) => [k.id, k])).values()];
  const formulas = kpis.map((k) => {
    const v = {} as Record<string, number>;
    for (const [name, x] of Object.entries(k.inputs(q.options))) {
      const i = slot.get(quantityKey(x))!;
      Object.defineProperty(v, name, { get: () => values[i]!, enumerable: true });
    }
    return { v, compute: k.compute };
  });
  const width = kpis.length;
  const out = new Float64Array(sorted.length * windows.length * width);
  const nulls = new Uint8Array(out.length);
  const hasRow = new Uint8Array(sorted.length * windows.length);
  const topTopics: TopTopic[][][] | undefined = topics ? [] : undefined;
  sorted.forEach((g, gi) => {
    const pastOf = past.get(g.key);
    const counts = topics?.get(g.key);
    const ranked: TopTopic[][] = [];
    for (let wi = 0; wi < windows.length; wi++) {
      const w = windows[wi]!;
      const r = g.rows[wi]!;
      if (r >= 0) hasRow[gi * windows.length + wi] = 1;
      for (let i = 0; i < valueCols.length; i++) values[i] = r < 0 ? 0 : valueCols[i]![r]!;
      if (historyKeys.length > 0) {
        const before = pastOf?.get(w);
        for (let i = 0; i < historyKeys.length; i++) values[quantities.length + i] = before?.get(historyKeys[i]!) ?? 0;
        if (windowMsAt >= 0) values[windowMsAt] = (wi + 1 < windows.length ? windows[wi + 1]! : end) - w;
      }
      let at = (gi * windows.length + wi) * width;
      for (const f of formulas) {
        const x = f.compute(f.v, q.options);
        if (x === null) {
          out[at] = NaN;
          nulls[at] = 1;
        } else out[at] = x;
        at++;
      }
      if (topics) {
        const before = read.merge ? topics.previousStart : zonedWindowStart(w - 1, q.granularity, tz);
        ranked.push(rankTopics(counts?.get(w) ?? new Map(), counts?.get(before) ?? new Map(), q.topTopics!));
      }
    }
    topTopics?.push(ranked);
  });
  return {
    groups: sorted.map((g) => {
      const raw = JSON.parse(g.key) as string[];
      return { key: g.key, group: Object.fromEntries(dims.map((d, i) => [d, raw[i] === '' ? null : raw[i]!])) };
    }),
    windows, ts: windows.map((w) => new Date(w).toISOString()), ids: kpis.map((k) => k.id), values: out, nulls, hasRow, ...(topTopics ? { topTopics } : {}),
  };
}

/** readKpiTable's answer as series of point objects (`{ts, <kpi>: value…, top_topics?}`). */
export async function readKpis(client: ClickHouseClient, tenant: string, q: KpiQuery, read: ReadKpiOptions = {}): Promise<Series[]> {
  const t = await readKpiTable(client, tenant, q, read);
  const width = t.ids.length;
  return t.groups.map(({ group }, gi) => ({
    group,
    points: t.ts.map((ts, wi) => {
      const point = { ts } as Point;
      let at = (gi * t.windows.length + wi) * width;
      for (const id of t.ids) {
        point[id] = t.nulls[at] ? null : t.values[at]!;
        at++;
      }
      if (t.topTopics) point[TOP_TOPICS_ID] = t.topTopics[gi]![wi]!;
      return point;
    }),
  }));
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
