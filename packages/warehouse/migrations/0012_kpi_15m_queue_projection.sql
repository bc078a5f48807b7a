-- Query latency of /v1/kpis over long ranges (issue 3): kpi_agg_15m keeps one row per window
-- and full dimension set (agent, team, topic, direction, source …), ~12 rows per window and
-- queue in the bench's center, and a 30-day dashboard of the whole center or of some queues
-- read them all (1.7 M rows). This projection keeps the same windows merged per queue and
-- channel (one row per window, queue and channel: ~13× fewer in the bench), maintained by
-- ClickHouse on every insert and merge, and used by the optimizer whenever a query groups and
-- filters only by queue_id / channel and needs only what it holds:
--  - every sum and max column, merged (the scalar KPIs: counts, means, rates);
--  - the wait-map threshold counts of the catalogue's precomputed service-level thresholds
--    (10/20/30/60 s) and of the default short abandon (5 s): answered / abandoned with
--    ceil(wait) ≤ T and abandoned with floor(wait) < 5, each as a one-bucket sumResample over
--    the map's keys. The reader (services/query/src/kpi-reader.ts, quantitySql) writes the same
--    expressions, so the optimizer matches them by text (it sets
--    optimize_functions_to_subcolumns = 0 so that mapValues/mapKeys stay as written here; a
--    projection cannot read the .keys/.values subcolumns of an inserted block).
-- Anything else (other thresholds, percentiles, key maps, other dimensions) is read from the
-- table's rows as before. Exact either way: the projection holds the same sums, merged.
-- A column added to the table later is not in the projection: queries needing it read the rows.
--
-- AggregatingMergeTree allows projections only with a deduplicate_merge_projection_mode: a merge
-- rebuilds the merged part's projection from its merged rows ('rebuild'). MATERIALIZE builds it
-- for the parts already written (a background mutation; until it is done those parts are read
-- from their rows).
ALTER TABLE kpi_agg_15m MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';

ALTER TABLE kpi_agg_15m ADD PROJECTION IF NOT EXISTS by_queue_channel
(
    SELECT
        tenant_id, queue_id, channel, bucket,
        sum(queued), sum(answered), sum(answered_wait_ms), sum(abandoned_all), sum(wrapups), sum(handle_ms),
        sum(csat_responses), sum(csat_satisfied), sum(nps_responses), sum(nps_promoters), sum(nps_detractors),
        sum(blocked), sum(created), sum(resolved), sum(resolution_n), sum(resolution_ms), sum(reopened),
        sum(agent_messages), sum(response_n), sum(response_ms), sum(first_response_n), sum(first_response_ms),
        max(longest_wait_ms), sum(talk_n), sum(talk_ms), sum(hold_n), sum(hold_ms), sum(held), sum(acw_n),
        sum(acw_ms), sum(csat_score), sum(ces_responses), sum(ces_score), sum(qa_evaluations), sum(qa_score_ratio),
        sum(kb_views), sum(self_service), sum(state_busy_ms), sum(state_acw_ms), sum(state_available_ms),
        sum(state_away_ms), sum(net_revenue_minor),
        sumResampleArray(0, 11, 11)(mapValues(answered_wait_ceil_s), mapKeys(answered_wait_ceil_s)),
        sumResampleArray(0, 21, 21)(mapValues(answered_wait_ceil_s), mapKeys(answered_wait_ceil_s)),
        sumResampleArray(0, 31, 31)(mapValues(answered_wait_ceil_s), mapKeys(answered_wait_ceil_s)),
        sumResampleArray(0, 61, 61)(mapValues(answered_wait_ceil_s), mapKeys(answered_wait_ceil_s)),
        sumResampleArray(0, 11, 11)(mapValues(abandoned_wait_ceil_s), mapKeys(abandoned_wait_ceil_s)),
        sumResampleArray(0, 21, 21)(mapValues(abandoned_wait_ceil_s), mapKeys(abandoned_wait_ceil_s)),
        sumResampleArray(0, 31, 31)(mapValues(abandoned_wait_ceil_s), mapKeys(abandoned_wait_ceil_s)),
        sumResampleArray(0, 61, 61)(mapValues(abandoned_wait_ceil_s), mapKeys(abandoned_wait_ceil_s)),
        sumResampleArray(0, 5, 5)(mapValues(abandoned_wait_floor_s), mapKeys(abandoned_wait_floor_s))
    GROUP BY tenant_id, queue_id, channel, bucket
);

ALTER TABLE kpi_agg_15m MATERIALIZE PROJECTION by_queue_channel;
