import type { ClickHouseClient } from '@clickhouse/client';
import { AGGREGATE_COLUMNS, DIMENSIONS, QUEUE_DIMENSIONS, STORED_TABLES, emptyMeasures, mergeMeasures, windowStart, type Granularity } from '@switchboard/kpi';
import { tokenedInsert, tsvMap, tsvString, type InsertStats } from './insert';
import type { AggregateRow } from './rows';

const MEASURE_NAMES = AGGREGATE_COLUMNS.map((c) => c.name);
const COLUMNS = ['tenant_id', 'bucket', ...DIMENSIONS, ...MEASURE_NAMES] as const;
const QUEUE_COLUMNS = ['tenant_id', 'bucket', ...QUEUE_DIMENSIONS, ...MEASURE_NAMES] as const;

/**
 * The batch's 1-minute rows merged over agents: the rows of the kpi_queue_* tables. Ordered by
 * first appearance, so a replay of the same batch builds the same rows in the same order.
 */
export function queueRows(minuteRows: readonly AggregateRow[]): AggregateRow[] {
  const out = new Map<string, AggregateRow>();
  for (const r of minuteRows) {
    let key = `${r.tenant_id}\u0001${r.bucket}`;
    for (const d of QUEUE_DIMENSIONS) key += `\u0001${r.dims[d]}`;
    const acc = out.get(key);
    if (!acc) {
      // the first row of a key is used as it is until a second one arrives (most keys have one)
      out.set(key, r);
      continue;
    }
    if (!(acc as { own?: true }).own) {
      const copy: AggregateRow & { own?: true } = { tenant_id: acc.tenant_id, bucket: acc.bucket, dims: acc.dims, measures: emptyMeasures(), own: true };
      mergeMeasures(copy.measures, acc.measures);
      out.set(key, copy);
      mergeMeasures(copy.measures, r.measures);
    } else {
      mergeMeasures(acc.measures, r.measures);
    }
  }
  return [...out.values()];
}

/** The measure columns of a row as TabSeparated text (the same for every grain it is written to). */
export function tsvMeasures(r: AggregateRow): string {
  const m = r.measures as unknown as Record<string, number | Map<string | number, number>>;
  let out = '';
  for (const c of AGGREGATE_COLUMNS) {
    const v = m[c.name]!;
    out += `\t${v instanceof Map ? tsvMap(v) : v}`;
  }
  return out;
}

/** The key columns after the bucket: the given dimensions in order. */
function tsvDims(r: AggregateRow, dims: readonly (typeof DIMENSIONS)[number][] = DIMENSIONS): string {
  let out = '';
  for (const d of dims) out += `\t${tsvString(r.dims[d])}`;
  return out;
}

/** One row of a kpi_agg_<grain> table as TabSeparated text, columns in COLUMNS order. */
export function tsvRow(r: AggregateRow, g: Granularity = '1m'): string {
  return `${tsvString(r.tenant_id)}\t${windowStart(r.bucket, g) / 1000}${tsvDims(r)}${tsvMeasures(r)}`;
}

/**
 * Writes a batch's aggregates to every stored table (STORED_TABLES in the KPI package): the
 * 1-minute rows to the tables keyed by agent, the same rows merged over agents to the
 * kpi_queue_* tables, each table one client-side insert of one block under the batch's token.
 * A coarser grain gets the same rows with the bucket moved to its window: rows that share a
 * key merge in the table (and in every read) as they would here, and a batch spans a second or
 * two, so folding them first would save almost no rows. A replay of the batch (same records,
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

  /**
   * `byQueue`: the same events' rows keyed by every dimension but the agent, when the caller
   * folded them from the events (cheaper than merging the minute rows, as queueRows does).
   */
  async write(minuteRows: AggregateRow[], dedupToken: string, byQueue: AggregateRow[] = queueRows(minuteRows)): Promise<void> {
    if (minuteRows.length === 0) return;
    const byAgent = minuteRows;
    const text = {
      agent: { rows: byAgent, heads: byAgent.map((r) => tsvString(r.tenant_id)), tails: byAgent.map((r) => `${tsvDims(r)}${tsvMeasures(r)}`), columns: COLUMNS },
      queue: { rows: byQueue, heads: byQueue.map((r) => tsvString(r.tenant_id)), tails: byQueue.map((r) => `${tsvDims(r, QUEUE_DIMENSIONS)}${tsvMeasures(r)}`), columns: QUEUE_COLUMNS },
    };
    for (const t of STORED_TABLES) {
      const { rows, heads, tails, columns } = t.agent ? text.agent : text.queue;
      const lines = rows.map((r, i) => `${heads[i]}\t${windowStart(r.bucket, t.grain) / 1000}${tails[i]}`);
      await tokenedInsert(this.client, { table: t.table, columns, rows: lines, token: dedupToken }, this.stats);
    }
  }
}
