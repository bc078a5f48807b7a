-- The aggregator now writes every grain table itself, one insert per grain under the batch's
-- deduplication token (services/aggregator/src/writer.ts). The views' inserts could not be
-- made idempotent under a crash-and-replay: ClickHouse derives their block ids from the
-- shape of the view's output, and a replay counted a rollup twice. The tables and their data
-- stay; only the views that fed them go.
DROP VIEW IF EXISTS kpi_agg_5m_mv;
DROP VIEW IF EXISTS kpi_agg_15m_mv;
DROP VIEW IF EXISTS kpi_agg_30m_mv;
DROP VIEW IF EXISTS kpi_agg_1h_mv;
DROP VIEW IF EXISTS kpi_agg_1d_mv;
