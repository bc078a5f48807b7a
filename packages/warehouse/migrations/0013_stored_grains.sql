-- Which rows the store keeps, and at which grains (docs/architecture.md, "The write path").
--
-- Every flush inserts into each stored table, so each table is a price paid per flush, in
-- proportion to its rows. A row's key held the agent at every grain, and a one-second flush of
-- a large center has about one row per agent and minute: ~0.7 rows per event, as many in the
-- 1d table as in the 1m table. Without the agent, the same flush has ~2 % of those rows.
-- So:
--  - kpi_queue_<1m|15m|1h|1d>: every dimension but the agent, at four grains. Queries that
--    neither group nor filter by agent_id read these (services/query windowSource); 5m is
--    merged from 1m and 30m from 15m, at read time.
--  - kpi_agg_1m and kpi_agg_1h: every dimension, the agent included, at two grains, for
--    queries by agent (5m, 15m and 30m merged from 1m; 1d from 1h; windows in a time zone
--    other than UTC from 1m).
--  - kpi_agg_5m, kpi_agg_15m, kpi_agg_30m and kpi_agg_1d become views of those rows with the
--    bucket moved to their window, so the kpi_<grain> BI views (which group by bucket) and any
--    query written against them read the same numbers as before. The per-queue projection of
--    migration 0012 goes with the kpi_agg_15m table: kpi_queue_15m is that projection's data.
--  - kpi_batches staged rows for INSERT … SELECT rollups; the aggregator now inserts each
--    table's rows itself, one block per insert, so the staging table is gone.
-- Nothing is lost: the queue tables are filled from kpi_agg_1m and kpi_agg_1h below, and every
-- row of the dropped tables is also in kpi_agg_1m or kpi_agg_1h.
CREATE TABLE IF NOT EXISTS kpi_queue_1m
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, bucket, queue_id, channel, team_id, direction, topic, source)
SETTINGS non_replicated_deduplication_window = 10000
EMPTY AS SELECT * EXCEPT (agent_id) FROM kpi_agg_1m;

CREATE TABLE IF NOT EXISTS kpi_queue_15m
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, bucket, queue_id, channel, team_id, direction, topic, source)
SETTINGS non_replicated_deduplication_window = 10000
EMPTY AS SELECT * EXCEPT (agent_id) FROM kpi_agg_1m;

CREATE TABLE IF NOT EXISTS kpi_queue_1h
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, bucket, queue_id, channel, team_id, direction, topic, source)
SETTINGS non_replicated_deduplication_window = 10000
EMPTY AS SELECT * EXCEPT (agent_id) FROM kpi_agg_1m;

CREATE TABLE IF NOT EXISTS kpi_queue_1d
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, bucket, queue_id, channel, team_id, direction, topic, source)
SETTINGS non_replicated_deduplication_window = 10000
EMPTY AS SELECT * EXCEPT (agent_id) FROM kpi_agg_1m;

-- Each backfill empties its target first, so a start killed after it and run again does not
-- count the old rows twice (nothing else writes these tables before the migration is recorded).
TRUNCATE TABLE kpi_queue_1m;
INSERT INTO kpi_queue_1m SELECT * EXCEPT (agent_id) FROM kpi_agg_1m;
TRUNCATE TABLE kpi_queue_15m;
INSERT INTO kpi_queue_15m SELECT * EXCEPT (agent_id) REPLACE (toStartOfInterval(bucket, INTERVAL 15 MINUTE) AS bucket) FROM kpi_agg_1m;
TRUNCATE TABLE kpi_queue_1h;
INSERT INTO kpi_queue_1h SELECT * EXCEPT (agent_id) FROM kpi_agg_1h;
TRUNCATE TABLE kpi_queue_1d;
INSERT INTO kpi_queue_1d SELECT * EXCEPT (agent_id) REPLACE (toStartOfInterval(bucket, INTERVAL 1 DAY) AS bucket) FROM kpi_agg_1h;

DROP TABLE IF EXISTS kpi_agg_5m;
DROP TABLE IF EXISTS kpi_agg_15m;
DROP TABLE IF EXISTS kpi_agg_30m;
DROP TABLE IF EXISTS kpi_agg_1d;
DROP TABLE IF EXISTS kpi_batches;

CREATE VIEW IF NOT EXISTS kpi_agg_5m AS
SELECT * REPLACE (toStartOfInterval(bucket, INTERVAL 5 MINUTE) AS bucket) FROM kpi_agg_1m;

CREATE VIEW IF NOT EXISTS kpi_agg_15m AS
SELECT * REPLACE (toStartOfInterval(bucket, INTERVAL 15 MINUTE) AS bucket) FROM kpi_agg_1m;

CREATE VIEW IF NOT EXISTS kpi_agg_30m AS
SELECT * REPLACE (toStartOfInterval(bucket, INTERVAL 30 MINUTE) AS bucket) FROM kpi_agg_1m;

CREATE VIEW IF NOT EXISTS kpi_agg_1d AS
SELECT * REPLACE (toStartOfInterval(bucket, INTERVAL 1 DAY) AS bucket) FROM kpi_agg_1h;
