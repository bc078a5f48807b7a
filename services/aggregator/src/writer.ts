import type { ClickHouseClient } from '@clickhouse/client';
import { AGGREGATE_COLUMNS, DIMENSIONS, GRANULARITIES, GRANULARITY_IDS, type AggregateKind, type Granularity } from '@switchboard/kpi';
import { toInsertRow, type AggregateRow } from './rows';

const MERGE: Record<AggregateKind, string> = { sum: 'sum', fsum: 'sum', max: 'max', waitmap: 'sumMap', keymap: 'sumMap' };
const KEY = ['tenant_id', 'bucket', ...DIMENSIONS];
const MEASURES = AGGREGATE_COLUMNS.map((c) => c.name);

/** INSERT … SELECT of one grain from a staged batch; identifiers come from the catalogue only. */
function rollupSql(g: Granularity): string {
  const bucket = g === '1m' ? 'bucket' : `toStartOfInterval(bucket, INTERVAL ${GRANULARITIES[g]} SECOND)`;
  return `INSERT INTO kpi_agg_${g} (${[...KEY, ...MEASURES].join(', ')})
    SELECT tenant_id, ${bucket} AS b, ${DIMENSIONS.join(', ')}, ${AGGREGATE_COLUMNS.map((c) => `${MERGE[c.kind]}(${c.name})`).join(', ')}
    FROM kpi_batches
    WHERE batch_token = {token:String}
    GROUP BY tenant_id, b, ${DIMENSIONS.join(', ')}`;
}
const ROLLUPS = GRANULARITY_IDS.map((g) => [g, rollupSql(g)] as const);

/** one block per insert, so a token names exactly one part per partition */
const ONE_BLOCK = {
  max_insert_block_size: '100000000',
  min_insert_block_size_rows: '0',
  min_insert_block_size_bytes: '0',
} as const;

/**
 * Writes a batch's 1-minute rows to every grain table so that a replay of the batch (same
 * records, same token, after a crash or a failed write) adds nothing that landed and completes
 * what did not:
 *
 * 1. the rows are staged once in `kpi_batches`, under the token;
 * 2. each grain table gets one INSERT … SELECT … GROUP BY of the staged rows, under the token.
 *
 * ClickHouse writes the token to a table's deduplication log before the part becomes visible,
 * so each step is all-or-nothing and idempotent on its own; `force_enable` makes ClickHouse
 * refuse an INSERT … SELECT it could not deduplicate instead of writing it twice. The rows are
 * serialized and parsed once; the rollups run inside ClickHouse.
 *
 * Why not materialized views: a replay after a SIGKILL counted a rollup twice about one
 * crash-test run in six (see migration 0008).
 */
export class KpiWriter {
  constructor(private readonly client: ClickHouseClient) {}

  async write(minuteRows: AggregateRow[], dedupToken: string): Promise<void> {
    if (minuteRows.length === 0) return;
    await this.stage(minuteRows, dedupToken);
    for (const [, sql] of ROLLUPS) {
      await this.client.command({
        query: sql,
        query_params: { token: dedupToken },
        clickhouse_settings: {
          // set on every call: embedded chDB keeps the previous call's settings otherwise
          insert_deduplication_token: dedupToken,
          deduplicate_insert_select: 'force_enable',
          ...ONE_BLOCK,
        } as Record<string, string>,
      });
    }
  }

  private async stage(rows: AggregateRow[], dedupToken: string): Promise<void> {
    const columns = ['batch_token', ...KEY, ...MEASURES] as [string, ...string[]];
    // Arrays under an explicit column list: ClickHouse parses them about a quarter faster than
    // objects, and this insert is most of the aggregator's cost.
    const values = rows.map((r) => {
      const o = toInsertRow(r);
      return columns.map((c) => (c === 'batch_token' ? dedupToken : o[c]));
    });
    await this.client.insert({
      table: 'kpi_batches',
      values,
      columns,
      format: 'JSONCompactEachRow',
      clickhouse_settings: { insert_deduplication_token: `${dedupToken}:staged`, ...ONE_BLOCK },
    });
  }
}
