-- Every event_id the aggregator has counted, so a redelivered event (a webhook sent twice, a
-- producer that retried, a partition replayed from an earlier offset) counts once. `token`
-- names the Kafka batch that recorded it: a batch replayed after a crash carries the same
-- token and does not mistake its own earlier attempt for a duplicate. The lookup window is
-- DEDUP_HORIZON_HOURS (default 7 days); the TTL keeps the longest horizon allowed, 30 days.
CREATE TABLE IF NOT EXISTS event_ids
(
    tenant_id LowCardinality(String),
    event_id String,
    token String,
    seen_at DateTime('UTC') DEFAULT now()
)
ENGINE = MergeTree
ORDER BY (tenant_id, event_id)
TTL seen_at + INTERVAL 30 DAY
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;
