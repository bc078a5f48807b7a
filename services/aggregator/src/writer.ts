import type { ClickHouseClient } from '@clickhouse/client';
import { GRANULARITY_IDS } from '@switchboard/kpi';
import { rollUpRows, toInsertRow, type AggregateRow } from './rows';

/**
 * Writes a batch's 1-minute rows and their rollups, one insert per grain table, each one
 * block under the batch's token. ClickHouse records the token in a table's deduplication log
 * before the part becomes visible, so a replay of the batch after a crash (same records, same
 * token) completes the grains that were missing and skips the ones that landed.
 *
 * Why not materialized views: the rows a view writes are one more insert that a SIGKILL can
 * split from the source insert, and the view's block ids are derived by ClickHouse from the
 * shape of its GROUP BY output, which we do not control. A replay then counted a rollup twice
 * about one crash-test run in six. Explicit inserts keep the guarantee in our hands.
 */
export class KpiWriter {
  constructor(private readonly client: ClickHouseClient) {}

  async write(minuteRows: AggregateRow[], dedupToken: string): Promise<void> {
    if (minuteRows.length === 0) return;
    for (const g of GRANULARITY_IDS) {
      const rows = g === '1m' ? minuteRows : rollUpRows(minuteRows, g);
      await this.insert(`kpi_agg_${g}`, rows, dedupToken);
    }
  }

  private async insert(table: string, rows: AggregateRow[], dedupToken: string): Promise<void> {
    const objects = rows.map(toInsertRow);
    // Arrays under an explicit column list: ClickHouse parses them about a quarter faster than
    // objects, and the insert is most of the aggregator's cost.
    const columns = Object.keys(objects[0]!) as [string, ...string[]];
    await this.client.insert({
      table,
      values: objects.map((o) => columns.map((c) => o[c])),
      columns,
      format: 'JSONCompactEachRow',
      clickhouse_settings: {
        // set on every insert: embedded chDB keeps the previous call's settings otherwise
        insert_deduplication_token: dedupToken,
        // one block per insert, so the token covers the whole batch
        max_insert_block_size: '100000000',
        min_insert_block_size_rows: '0',
        min_insert_block_size_bytes: '0',
      },
    });
  }
}
