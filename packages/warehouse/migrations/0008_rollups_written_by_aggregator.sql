-- Rollups become explicit, idempotent writes of the aggregator instead of materialized views.
--
-- Why: a replay after a crash must add nothing that already landed. A view's insert is one
-- more write that a SIGKILL can split from the source insert, and ClickHouse (26.x) enables
-- deduplication of INSERT … SELECT, which a view's GROUP BY is, only "when possible": a replay
-- counted a rollup twice in about one crash-test run in six.
--
-- Now each batch's 1-minute rows are staged once in kpi_batches under the batch's token, then
-- every grain table gets one INSERT … SELECT … GROUP BY from the staged rows, under the same
-- token, with deduplicate_insert_select = 'force_enable' (ClickHouse refuses rather than
-- silently writing twice). See services/aggregator/src/writer.ts.
--
-- kpi_batches mirrors kpi_agg_1m's columns: a migration that adds a column to the kpi_agg_*
-- tables adds it here too. Staged rows are kept 3 days, far longer than any batch waits for
-- its replay (a replay happens when the partition is next picked up).
DROP VIEW IF EXISTS kpi_agg_5m_mv;
DROP VIEW IF EXISTS kpi_agg_15m_mv;
DROP VIEW IF EXISTS kpi_agg_30m_mv;
DROP VIEW IF EXISTS kpi_agg_1h_mv;
DROP VIEW IF EXISTS kpi_agg_1d_mv;

CREATE TABLE IF NOT EXISTS kpi_batches
ENGINE = MergeTree
PARTITION BY toDate(staged_at)
ORDER BY (batch_token, tenant_id, bucket)
TTL staged_at + INTERVAL 3 DAY
SETTINGS non_replicated_deduplication_window = 100000, ttl_only_drop_parts = 1
EMPTY AS SELECT CAST('' AS String) AS batch_token, CAST(now() AS DateTime('UTC')) AS staged_at, * FROM kpi_agg_1m;

ALTER TABLE kpi_batches MODIFY COLUMN staged_at DateTime('UTC') DEFAULT now();
