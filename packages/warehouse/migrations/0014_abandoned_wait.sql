-- Staffing by Erlang A (docs/staffing.md): customers' mean patience is estimated from a window as
-- the time all contacts waited ÷ the abandons, so the abandons' total wait is kept beside the
-- answered one (answered_wait_ms). Rows written before hold 0 here: for windows before this
-- migration Erlang A sees only the answered contacts' waiting, so a shorter patience.
ALTER TABLE kpi_agg_1m ADD COLUMN IF NOT EXISTS abandoned_wait_ms SimpleAggregateFunction(sum, UInt64);
ALTER TABLE kpi_agg_1h ADD COLUMN IF NOT EXISTS abandoned_wait_ms SimpleAggregateFunction(sum, UInt64);
ALTER TABLE kpi_queue_1m ADD COLUMN IF NOT EXISTS abandoned_wait_ms SimpleAggregateFunction(sum, UInt64);
ALTER TABLE kpi_queue_15m ADD COLUMN IF NOT EXISTS abandoned_wait_ms SimpleAggregateFunction(sum, UInt64);
ALTER TABLE kpi_queue_1h ADD COLUMN IF NOT EXISTS abandoned_wait_ms SimpleAggregateFunction(sum, UInt64);
ALTER TABLE kpi_queue_1d ADD COLUMN IF NOT EXISTS abandoned_wait_ms SimpleAggregateFunction(sum, UInt64);
-- the kpi_agg_<grain> views of migration 0013 list their columns as they were when created: made again with the new one
CREATE OR REPLACE VIEW kpi_agg_5m AS
SELECT * REPLACE (toStartOfInterval(bucket, INTERVAL 5 MINUTE) AS bucket) FROM kpi_agg_1m;
CREATE OR REPLACE VIEW kpi_agg_15m AS
SELECT * REPLACE (toStartOfInterval(bucket, INTERVAL 15 MINUTE) AS bucket) FROM kpi_agg_1m;
CREATE OR REPLACE VIEW kpi_agg_30m AS
SELECT * REPLACE (toStartOfInterval(bucket, INTERVAL 30 MINUTE) AS bucket) FROM kpi_agg_1m;
CREATE OR REPLACE VIEW kpi_agg_1d AS
SELECT * REPLACE (toStartOfInterval(bucket, INTERVAL 1 DAY) AS bucket) FROM kpi_agg_1h;
