-- Four stored grains instead of six, and no staging table (docs/architecture.md, "The write path").
--
-- Every flush inserts into each stored grain's table, and the rows of a one-second flush are
-- about as many in the 1d table as in the 1m table (a row's key holds the agent), so each
-- grain costs the same insert. 5-minute windows are now merged from the 1m table and
-- 30-minute windows from the 15m table, at read time (services/query windowSource); their
-- tables become views of the same rows with the bucket moved to the coarser window, so the
-- kpi_5m and kpi_30m BI views (which group by bucket) read the same numbers as before.
-- Nothing is lost: every row of the dropped tables is also in kpi_agg_1m and kpi_agg_15m.
--
-- kpi_batches staged the 1-minute rows for INSERT … SELECT rollups; the aggregator now inserts
-- each grain's rows itself, one block per insert, so the staging table is gone.
DROP TABLE IF EXISTS kpi_agg_5m;
DROP TABLE IF EXISTS kpi_agg_30m;
DROP TABLE IF EXISTS kpi_batches;

CREATE VIEW IF NOT EXISTS kpi_agg_5m AS
SELECT * REPLACE (toStartOfInterval(bucket, INTERVAL 5 MINUTE) AS bucket) FROM kpi_agg_1m;

CREATE VIEW IF NOT EXISTS kpi_agg_30m AS
SELECT * REPLACE (toStartOfInterval(bucket, INTERVAL 30 MINUTE) AS bucket) FROM kpi_agg_15m;
