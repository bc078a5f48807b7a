import type { ClickHouseClient } from '@clickhouse/client';
import { AGGREGATE_COLUMNS, DIMENSIONS, STORED_GRAINS, windowStart, type Granularity } from '@switchboard/kpi';
import { tokenedInsert, tsvMap, tsvString, type InsertStats } from '@switchboard/store';
import type { AggregateRow } from './rows';

const COLUMNS = ['tenant_id', 'bucket', ...DIMENSIONS, ...AGGREGATE_COLUMNS.map((c) => c.name)] as const;

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

/** The key columns after the bucket: the dimensions in DIMENSIONS order. */
function tsvDims(r: AggregateRow): string {
  let out = '';
  for (const d of DIMENSIONS) out += `\t${tsvString(r.dims[d])}`;
  return out;
}

/** One row of a kpi_agg_<grain> table as TabSeparated text, columns in COLUMNS order. */
export function tsvRow(r: AggregateRow, g: Granularity = '1m'): string {
  return `${tsvString(r.tenant_id)}\t${windowStart(r.bucket, g) / 1000}${tsvDims(r)}${tsvMeasures(r)}`;
}

/**
 * Writes a batch's aggregates to every stored grain's table (STORED_GRAINS): the 1-minute rows folded here into each
 * grain's rows, and each table one client-side insert of one block under the batch's token.
 * A replay of the batch (same records, same token, after a crash or a failed write) folds the
 * same rows in the same order, so ClickHouse drops what landed and completes what did not.
 *
 * Why not INSERT … SELECT from a staging table (the design before, docs/architecture.md):
 * a GROUP BY of more than 100,000 keys goes two-level and emits up to 256 blocks, and a
 * replay cut into a different number of blocks deduplicates differently — rows counted twice
 * or lost. A block built here has one shape whatever the batch size. Why not materialized
 * views: a view's insert is a second write that a SIGKILL can split from the first.
 */
export class KpiWriter {
  constructor(private readonly client: ClickHouseClient, private readonly stats?: InsertStats) {}

  async write(minuteRows: AggregateRow[], dedupToken: string): Promise<void> {
    if (minuteRows.length === 0) return;
    // A coarser grain gets the same rows with the bucket moved to its window: rows that share
    // a key merge in the table (and in every read) as they would here, and a batch spans a
    // second or two, so folding them first would save almost no rows.
    const heads = minuteRows.map((r) => tsvString(r.tenant_id));
    const tails = minuteRows.map((r) => `${tsvDims(r)}${tsvMeasures(r)}`);
    for (const g of STORED_GRAINS) {
      const rows = minuteRows.map((r, i) => `${heads[i]}\t${windowStart(r.bucket, g) / 1000}${tails[i]}`);
      await tokenedInsert(this.client, { table: `kpi_agg_${g}`, columns: COLUMNS, rows, token: dedupToken }, this.stats);
    }
  }
}
