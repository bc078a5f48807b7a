-- KPI aggregates per tenant, window and dimensions (docs/kpis.md): numerators, denominators and
-- wait histograms only, never ratios, so every rollup and every read-time ratio is exact.
-- The aggregator writes 1-minute rows; materialized views roll each insert up to coarser
-- grains. Counts are SimpleAggregateFunction(sum); wait maps count events by whole seconds
-- of wait (see packages/kpi/src/aggregates.ts) and merge with sumMap.
-- Missing dimensions are stored as '' (keys are not nullable); the API reports them as null.
-- non_replicated_deduplication_window lets a retried insert with the same
-- insert_deduplication_token be dropped instead of counted twice.

CREATE TABLE IF NOT EXISTS kpi_agg_1m
(
    tenant_id LowCardinality(String),
    bucket DateTime('UTC'),
    queue_id LowCardinality(String),
    agent_id LowCardinality(String),
    team_id LowCardinality(String),
    channel LowCardinality(String),
    direction LowCardinality(String),
    topic LowCardinality(String),
    source LowCardinality(String),
    queued SimpleAggregateFunction(sum, UInt64),
    answered SimpleAggregateFunction(sum, UInt64),
    answered_wait_ms SimpleAggregateFunction(sum, UInt64),
    answered_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_all SimpleAggregateFunction(sum, UInt64),
    abandoned_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_wait_floor_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    wrapups SimpleAggregateFunction(sum, UInt64),
    handle_ms SimpleAggregateFunction(sum, UInt64),
    csat_responses SimpleAggregateFunction(sum, UInt64),
    csat_satisfied SimpleAggregateFunction(sum, UInt64),
    nps_responses SimpleAggregateFunction(sum, UInt64),
    nps_promoters SimpleAggregateFunction(sum, UInt64),
    nps_detractors SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, bucket, queue_id, channel, agent_id, team_id, direction, topic, source)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS kpi_agg_5m
(
    tenant_id LowCardinality(String),
    bucket DateTime('UTC'),
    queue_id LowCardinality(String),
    agent_id LowCardinality(String),
    team_id LowCardinality(String),
    channel LowCardinality(String),
    direction LowCardinality(String),
    topic LowCardinality(String),
    source LowCardinality(String),
    queued SimpleAggregateFunction(sum, UInt64),
    answered SimpleAggregateFunction(sum, UInt64),
    answered_wait_ms SimpleAggregateFunction(sum, UInt64),
    answered_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_all SimpleAggregateFunction(sum, UInt64),
    abandoned_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_wait_floor_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    wrapups SimpleAggregateFunction(sum, UInt64),
    handle_ms SimpleAggregateFunction(sum, UInt64),
    csat_responses SimpleAggregateFunction(sum, UInt64),
    csat_satisfied SimpleAggregateFunction(sum, UInt64),
    nps_responses SimpleAggregateFunction(sum, UInt64),
    nps_promoters SimpleAggregateFunction(sum, UInt64),
    nps_detractors SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, bucket, queue_id, channel, agent_id, team_id, direction, topic, source)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS kpi_agg_15m
(
    tenant_id LowCardinality(String),
    bucket DateTime('UTC'),
    queue_id LowCardinality(String),
    agent_id LowCardinality(String),
    team_id LowCardinality(String),
    channel LowCardinality(String),
    direction LowCardinality(String),
    topic LowCardinality(String),
    source LowCardinality(String),
    queued SimpleAggregateFunction(sum, UInt64),
    answered SimpleAggregateFunction(sum, UInt64),
    answered_wait_ms SimpleAggregateFunction(sum, UInt64),
    answered_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_all SimpleAggregateFunction(sum, UInt64),
    abandoned_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_wait_floor_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    wrapups SimpleAggregateFunction(sum, UInt64),
    handle_ms SimpleAggregateFunction(sum, UInt64),
    csat_responses SimpleAggregateFunction(sum, UInt64),
    csat_satisfied SimpleAggregateFunction(sum, UInt64),
    nps_responses SimpleAggregateFunction(sum, UInt64),
    nps_promoters SimpleAggregateFunction(sum, UInt64),
    nps_detractors SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, bucket, queue_id, channel, agent_id, team_id, direction, topic, source)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS kpi_agg_30m
(
    tenant_id LowCardinality(String),
    bucket DateTime('UTC'),
    queue_id LowCardinality(String),
    agent_id LowCardinality(String),
    team_id LowCardinality(String),
    channel LowCardinality(String),
    direction LowCardinality(String),
    topic LowCardinality(String),
    source LowCardinality(String),
    queued SimpleAggregateFunction(sum, UInt64),
    answered SimpleAggregateFunction(sum, UInt64),
    answered_wait_ms SimpleAggregateFunction(sum, UInt64),
    answered_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_all SimpleAggregateFunction(sum, UInt64),
    abandoned_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_wait_floor_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    wrapups SimpleAggregateFunction(sum, UInt64),
    handle_ms SimpleAggregateFunction(sum, UInt64),
    csat_responses SimpleAggregateFunction(sum, UInt64),
    csat_satisfied SimpleAggregateFunction(sum, UInt64),
    nps_responses SimpleAggregateFunction(sum, UInt64),
    nps_promoters SimpleAggregateFunction(sum, UInt64),
    nps_detractors SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, bucket, queue_id, channel, agent_id, team_id, direction, topic, source)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS kpi_agg_1h
(
    tenant_id LowCardinality(String),
    bucket DateTime('UTC'),
    queue_id LowCardinality(String),
    agent_id LowCardinality(String),
    team_id LowCardinality(String),
    channel LowCardinality(String),
    direction LowCardinality(String),
    topic LowCardinality(String),
    source LowCardinality(String),
    queued SimpleAggregateFunction(sum, UInt64),
    answered SimpleAggregateFunction(sum, UInt64),
    answered_wait_ms SimpleAggregateFunction(sum, UInt64),
    answered_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_all SimpleAggregateFunction(sum, UInt64),
    abandoned_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_wait_floor_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    wrapups SimpleAggregateFunction(sum, UInt64),
    handle_ms SimpleAggregateFunction(sum, UInt64),
    csat_responses SimpleAggregateFunction(sum, UInt64),
    csat_satisfied SimpleAggregateFunction(sum, UInt64),
    nps_responses SimpleAggregateFunction(sum, UInt64),
    nps_promoters SimpleAggregateFunction(sum, UInt64),
    nps_detractors SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, bucket, queue_id, channel, agent_id, team_id, direction, topic, source)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS kpi_agg_1d
(
    tenant_id LowCardinality(String),
    bucket DateTime('UTC'),
    queue_id LowCardinality(String),
    agent_id LowCardinality(String),
    team_id LowCardinality(String),
    channel LowCardinality(String),
    direction LowCardinality(String),
    topic LowCardinality(String),
    source LowCardinality(String),
    queued SimpleAggregateFunction(sum, UInt64),
    answered SimpleAggregateFunction(sum, UInt64),
    answered_wait_ms SimpleAggregateFunction(sum, UInt64),
    answered_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_all SimpleAggregateFunction(sum, UInt64),
    abandoned_wait_ceil_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    abandoned_wait_floor_s SimpleAggregateFunction(sumMap, Map(UInt16, UInt64)),
    wrapups SimpleAggregateFunction(sum, UInt64),
    handle_ms SimpleAggregateFunction(sum, UInt64),
    csat_responses SimpleAggregateFunction(sum, UInt64),
    csat_satisfied SimpleAggregateFunction(sum, UInt64),
    nps_responses SimpleAggregateFunction(sum, UInt64),
    nps_promoters SimpleAggregateFunction(sum, UInt64),
    nps_detractors SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (tenant_id, bucket, queue_id, channel, agent_id, team_id, direction, topic, source)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_agg_5m_mv TO kpi_agg_5m AS
SELECT
    tenant_id,
    toStartOfInterval(bucket, INTERVAL 5 MINUTE) AS bucket,
    queue_id,
    agent_id,
    team_id,
    channel,
    direction,
    topic,
    source,
    sum(queued) AS queued,
    sum(answered) AS answered,
    sum(answered_wait_ms) AS answered_wait_ms,
    sumMap(answered_wait_ceil_s) AS answered_wait_ceil_s,
    sum(abandoned_all) AS abandoned_all,
    sumMap(abandoned_wait_ceil_s) AS abandoned_wait_ceil_s,
    sumMap(abandoned_wait_floor_s) AS abandoned_wait_floor_s,
    sum(wrapups) AS wrapups,
    sum(handle_ms) AS handle_ms,
    sum(csat_responses) AS csat_responses,
    sum(csat_satisfied) AS csat_satisfied,
    sum(nps_responses) AS nps_responses,
    sum(nps_promoters) AS nps_promoters,
    sum(nps_detractors) AS nps_detractors
FROM kpi_agg_1m
GROUP BY tenant_id, bucket, queue_id, channel, agent_id, team_id, direction, topic, source;

CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_agg_15m_mv TO kpi_agg_15m AS
SELECT
    tenant_id,
    toStartOfInterval(bucket, INTERVAL 15 MINUTE) AS bucket,
    queue_id,
    agent_id,
    team_id,
    channel,
    direction,
    topic,
    source,
    sum(queued) AS queued,
    sum(answered) AS answered,
    sum(answered_wait_ms) AS answered_wait_ms,
    sumMap(answered_wait_ceil_s) AS answered_wait_ceil_s,
    sum(abandoned_all) AS abandoned_all,
    sumMap(abandoned_wait_ceil_s) AS abandoned_wait_ceil_s,
    sumMap(abandoned_wait_floor_s) AS abandoned_wait_floor_s,
    sum(wrapups) AS wrapups,
    sum(handle_ms) AS handle_ms,
    sum(csat_responses) AS csat_responses,
    sum(csat_satisfied) AS csat_satisfied,
    sum(nps_responses) AS nps_responses,
    sum(nps_promoters) AS nps_promoters,
    sum(nps_detractors) AS nps_detractors
FROM kpi_agg_1m
GROUP BY tenant_id, bucket, queue_id, channel, agent_id, team_id, direction, topic, source;

CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_agg_30m_mv TO kpi_agg_30m AS
SELECT
    tenant_id,
    toStartOfInterval(bucket, INTERVAL 30 MINUTE) AS bucket,
    queue_id,
    agent_id,
    team_id,
    channel,
    direction,
    topic,
    source,
    sum(queued) AS queued,
    sum(answered) AS answered,
    sum(answered_wait_ms) AS answered_wait_ms,
    sumMap(answered_wait_ceil_s) AS answered_wait_ceil_s,
    sum(abandoned_all) AS abandoned_all,
    sumMap(abandoned_wait_ceil_s) AS abandoned_wait_ceil_s,
    sumMap(abandoned_wait_floor_s) AS abandoned_wait_floor_s,
    sum(wrapups) AS wrapups,
    sum(handle_ms) AS handle_ms,
    sum(csat_responses) AS csat_responses,
    sum(csat_satisfied) AS csat_satisfied,
    sum(nps_responses) AS nps_responses,
    sum(nps_promoters) AS nps_promoters,
    sum(nps_detractors) AS nps_detractors
FROM kpi_agg_1m
GROUP BY tenant_id, bucket, queue_id, channel, agent_id, team_id, direction, topic, source;

CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_agg_1h_mv TO kpi_agg_1h AS
SELECT
    tenant_id,
    toStartOfInterval(bucket, INTERVAL 1 HOUR) AS bucket,
    queue_id,
    agent_id,
    team_id,
    channel,
    direction,
    topic,
    source,
    sum(queued) AS queued,
    sum(answered) AS answered,
    sum(answered_wait_ms) AS answered_wait_ms,
    sumMap(answered_wait_ceil_s) AS answered_wait_ceil_s,
    sum(abandoned_all) AS abandoned_all,
    sumMap(abandoned_wait_ceil_s) AS abandoned_wait_ceil_s,
    sumMap(abandoned_wait_floor_s) AS abandoned_wait_floor_s,
    sum(wrapups) AS wrapups,
    sum(handle_ms) AS handle_ms,
    sum(csat_responses) AS csat_responses,
    sum(csat_satisfied) AS csat_satisfied,
    sum(nps_responses) AS nps_responses,
    sum(nps_promoters) AS nps_promoters,
    sum(nps_detractors) AS nps_detractors
FROM kpi_agg_1m
GROUP BY tenant_id, bucket, queue_id, channel, agent_id, team_id, direction, topic, source;

CREATE MATERIALIZED VIEW IF NOT EXISTS kpi_agg_1d_mv TO kpi_agg_1d AS
SELECT
    tenant_id,
    toStartOfInterval(bucket, INTERVAL 1 DAY) AS bucket,
    queue_id,
    agent_id,
    team_id,
    channel,
    direction,
    topic,
    source,
    sum(queued) AS queued,
    sum(answered) AS answered,
    sum(answered_wait_ms) AS answered_wait_ms,
    sumMap(answered_wait_ceil_s) AS answered_wait_ceil_s,
    sum(abandoned_all) AS abandoned_all,
    sumMap(abandoned_wait_ceil_s) AS abandoned_wait_ceil_s,
    sumMap(abandoned_wait_floor_s) AS abandoned_wait_floor_s,
    sum(wrapups) AS wrapups,
    sum(handle_ms) AS handle_ms,
    sum(csat_responses) AS csat_responses,
    sum(csat_satisfied) AS csat_satisfied,
    sum(nps_responses) AS nps_responses,
    sum(nps_promoters) AS nps_promoters,
    sum(nps_detractors) AS nps_detractors
FROM kpi_agg_1m
GROUP BY tenant_id, bucket, queue_id, channel, agent_id, team_id, direction, topic, source;
