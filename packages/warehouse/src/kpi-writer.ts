import type { ClickHouseClient } from '@clickhouse/client';
import { AGGREGATE_COLUMNS, DIMENSIONS, QUEUE_DIMENSIONS, STATE_TIME_COLUMNS, STORED_TABLES, emptyMeasures, addStateTime, emptyStateTime, mergeMeasures, mergeStateTime, staffedMs, windowStart, type Granularity, type Measures, type StoredTable } from '@switchboard/kpi';
import { RowBinary, tokenedInsert, type InsertStats } from './insert';
import { wideMeasures, type AggregateRow } from './rows';

const MEASURE_NAMES = AGGREGATE_COLUMNS.map((c) => c.name);
const COLUMNS = ['tenant_id', 'bucket', ...DIMENSIONS, ...MEASURE_NAMES] as const;
const QUEUE_COLUMNS = ['tenant_id', 'bucket', ...QUEUE_DIMENSIONS, ...MEASURE_NAMES] as const;
const STATE_TIME_TABLE_COLUMNS = ['tenant_id', 'bucket', ...DIMENSIONS, ...STATE_TIME_COLUMNS] as const;

/**
 * Rows merged by (tenant, window at `grain`, `dims`): the rows of a table whose key holds
 * those dimensions at that grain. Ordered by first appearance, so a replay of the same batch
 * builds the same rows in the same order (one block, the same bytes under the same token).
 * A row that no other row merges into is passed through as it is (most keys have one).
 */
export function mergeRows(rows: readonly AggregateRow[], dims: readonly (typeof DIMENSIONS)[number][], grain: Granularity): AggregateRow[] {
  // The key of a row's tenant and dimensions, built once per dimensions object: the rows of one
  // key share one (aggregateMinuteRows), so a flush builds a few thousand keys, not one a row.
  const keyOf = new Map<AggregateRow['dims'], { tenant: string; key: string }>();
  // where each key's row of each window is in `out`
  const byKey = new Map<string, Map<number, number>>();
  const out: AggregateRow[] = [];
  // rows made here (merged into from then on); every other row is read, never written to
  const own = new Set<AggregateRow>();
  for (const r of rows) {
    const bucket = grain === '1m' ? r.bucket : windowStart(r.bucket, grain);
    let k = keyOf.get(r.dims);
    if (k === undefined || k.tenant !== r.tenant_id) {
      let key = r.tenant_id;
      for (const d of dims) key += `\u0001${r.dims[d]}`;
      keyOf.set(r.dims, (k = { tenant: r.tenant_id, key }));
    }
    let windows = byKey.get(k.key);
    if (!windows) byKey.set(k.key, (windows = new Map()));
    const at = windows.get(bucket);
    if (at === undefined) {
      windows.set(bucket, out.length);
      // at its own window it passes as it is; else a new row sharing r's measures
      out.push(bucket === r.bucket ? r : r.stateOnly
        ? { tenant_id: r.tenant_id, bucket, dims: r.dims, stateOnly: true, measures: r.measures }
        : { tenant_id: r.tenant_id, bucket, dims: r.dims, stateOnly: false, measures: r.measures });
      continue;
    }
    const acc = out[at]!;
    if (own.has(acc) && (!acc.stateOnly || r.stateOnly)) {
      // anything into a row with every measure, or narrow into narrow
      mergeRowInto(acc, r);
      continue;
    }
    // a new row before the first merge (the rows passed in are never written to), with every
    // measure once a row that has them joins
    const copy: AggregateRow = acc.stateOnly && r.stateOnly
      ? { tenant_id: acc.tenant_id, bucket, dims: acc.dims, stateOnly: true, measures: emptyStateTime() }
      : { tenant_id: acc.tenant_id, bucket, dims: acc.dims, stateOnly: false, measures: emptyMeasures() };
    mergeRowInto(copy, acc);
    mergeRowInto(copy, r);
    out[at] = copy;
    own.add(copy);
  }
  return out;
}

/** Adds a row's measures into a row of every measure, or a narrow row's into a narrow one. */
function mergeRowInto(into: AggregateRow, from: AggregateRow): void {
  if (!from.stateOnly) mergeMeasures(into.measures as Measures, from.measures);
  else if (into.stateOnly) mergeStateTime(into.measures, from.measures);
  else addStateTime(into.measures, from.measures, from.dims.team_id);
}

/** The batch's 1-minute rows merged over agents: the rows of the kpi_queue_* tables. */
export function queueRows(minuteRows: readonly AggregateRow[]): AggregateRow[] {
  return mergeRows(minuteRows, QUEUE_DIMENSIONS, '1m');
}

/**
 * The measure columns of a row as RowBinary: sums and maxima UInt64 or Float64, maps
 * Map(UInt16 | String, UInt64). Compiled from AGGREGATE_COLUMNS into one function that reads
 * each measure by its name (a loop over the names costs a generic keyed lookup per field).
 */
export const binaryMeasures = new Function('out', 'm', `${AGGREGATE_COLUMNS.map((c) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(c.name)) throw new Error(`measure name ${c.name}`);
  const write = c.kind === 'fsum' ? 'float64' : c.kind === 'waitmap' ? 'uint16UInt64Map' : c.kind === 'keymap' ? 'stringUInt64Map' : 'uint64';
  return `out.${write}(m.${c.name});`;
}).join('\n')}`) as (out: RowBinary, m: Measures) => void;

/** Bytes of a typical row: 8 a scalar measure, a few a map (mostly empty), ~150 the tenant and dimensions. */
const ROW_BYTES_ESTIMATE = AGGREGATE_COLUMNS.reduce((n, c) => n + (c.kind === 'waitmap' || c.kind === 'keymap' ? 4 : 8), 0) + 160;

/** Rows of a kpi_agg_* or kpi_queue_* table as RowBinary, each row's bucket already at the table's grain. */
function binaryRows(rows: readonly AggregateRow[], dims: readonly (typeof DIMENSIONS)[number][]): RowBinary {
  // sized for a row's fixed part (8 bytes a scalar, a length byte an empty map) and its strings,
  // so a flush's buffer is allocated once instead of doubled and copied as it fills
  const out = new RowBinary(rows.length * ROW_BYTES_ESTIMATE + 1024);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out.string(r.tenant_id);
    out.uint32(windowStart(r.bucket, '1m') / 1000);
    for (const d of dims) out.string(r.dims[d]);
    // a kpi_queue_* row of state time alone has every measure in its table (it has no narrow one)
    binaryMeasures(out, wideMeasures(r));
  }
  out.rows = rows.length;
  return out;
}

/** Rows of a state-time table (only agent state time was folded into them) as RowBinary, measures in STATE_TIME_COLUMNS order. */
function binaryStateTimeRows(rows: readonly (AggregateRow & { stateOnly: true })[]): RowBinary {
  const out = new RowBinary(rows.length * 200 + 1024);
  for (const r of rows) {
    const m = r.measures;
    out.string(r.tenant_id);
    out.uint32(windowStart(r.bucket, '1m') / 1000);
    for (const d of DIMENSIONS) out.string(r.dims[d]);
    out.uint64(m.state_busy_ms);
    out.uint64(m.state_acw_ms);
    out.uint64(m.state_available_ms);
    out.uint64(m.state_away_ms);
    // staffed_ms_by_team: the row's team, all four states (StateTimeMeasures); none when empty
    const staffed = staffedMs(m);
    if (staffed === 0) {
      out.varUInt(0);
    } else {
      out.varUInt(1);
      out.string(r.dims.team_id);
      out.uint64(staffed);
    }
  }
  out.rows = rows.length;
  return out;
}

/**
 * Writes a batch's aggregates to every stored table (STORED_TABLES in the KPI package): the
 * 1-minute rows to the tables keyed by agent, the same rows merged over agents to the
 * kpi_queue_* tables, each table one client-side insert of one block under the batch's token.
 * A coarser grain gets the rows merged at its window (mergeRows): a live batch's own events
 * fall in a minute or two, but the agent states it closes reach back over the minutes they
 * spanned, one row each at 1m and one per hour at 1h. A replay of the batch (same records,
 * same token, after a crash or a failed write) builds the same rows in the same order, so
 * ClickHouse drops what landed and completes what did not.
 *
 * Why not INSERT … SELECT from a staging table (the design before, docs/architecture.md):
 * a GROUP BY of more than 100,000 keys goes two-level and emits up to 256 blocks, and a
 * replay cut into a different number of blocks deduplicates differently — rows counted twice
 * or lost. A block built here has one shape whatever the batch size. Why not materialized
 * views: a view's insert is a second write that a SIGKILL can split from the first.
 */
export class KpiWriter {
  constructor(private readonly client: ClickHouseClient, private readonly stats?: InsertStats) {}

  private async insert(table: string, columns: readonly string[], bin: RowBinary, token: string): Promise<void> {
    await tokenedInsert(this.client, { table, columns, binary: { bytes: bin.bytes(), rowCount: bin.rows }, token }, this.stats);
  }

  /**
   * `byQueue`: the same events' rows keyed by every dimension but the agent, when the caller
   * folded them from the events (cheaper than merging the minute rows, as queueRows does).
   */
  async write(minuteRows: AggregateRow[], dedupToken: string, byQueue: AggregateRow[] = queueRows(minuteRows)): Promise<void> {
    if (minuteRows.length === 0) return;
    // A coarser table gets the rows merged at its grain: an agent state's time split across
    // the minutes it spanned (docs/staffing.md) is one row per minute at 1m but one per hour
    // at 1h, and each row a table takes costs its insert, sort and merges more than the merge
    // here costs. Each grain is merged from the finer one before it, in the order of STORED_TABLES.
    const finer = { agent: minuteRows, queue: byQueue };
    for (const t of STORED_TABLES as readonly StoredTable[]) {
      const kind = t.agent ? 'agent' : 'queue';
      const dims = t.agent ? DIMENSIONS : QUEUE_DIMENSIONS;
      const rows = t.grain === '1m' ? finer[kind] : mergeRows(finer[kind], dims, t.grain);
      finer[kind] = rows;
      if (!t.split) {
        await this.insert(t.table, t.agent ? COLUMNS : QUEUE_COLUMNS, binaryRows(rows, dims), dedupToken);
        continue;
      }
      // most rows keyed by agent are a minute (or hour) of one agent's state time and nothing
      // else: those go to the narrow table, five measures a row instead of every one
      const wide: AggregateRow[] = [];
      const stateTime: (AggregateRow & { stateOnly: true })[] = [];
      for (const r of rows) {
        if (r.stateOnly) stateTime.push(r);
        else wide.push(r);
      }
      await this.insert(t.split.rows, COLUMNS, binaryRows(wide, dims), dedupToken);
      await this.insert(t.split.stateTime, STATE_TIME_TABLE_COLUMNS, binaryStateTimeRows(stateTime), dedupToken);
    }
  }
}
