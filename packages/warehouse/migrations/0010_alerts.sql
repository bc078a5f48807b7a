-- Alerter (docs/alerts.md, issue 5).
--
-- alert_events: every alert transition (pending, firing, renotify, resolved, cancelled), the
-- same JSON as published to alerts.v1 in `event`. (tenant_id, alert_id, seq) names a
-- transition: alert ids are deterministic (rule, scope, first breached evaluation), so a
-- transition written twice (a retry, two replicas during a leadership change) is one row
-- after merges, and readers take argMax(…, seq) per alert, which a duplicate cannot change.
-- Inserts carry insert_deduplication_token = the transition ids, so a retried insert is dropped.
-- The alerter rebuilds its state from here at start: no re-fire, no forgotten firing alert.
CREATE TABLE IF NOT EXISTS alert_events
(
    tenant_id LowCardinality(String),
    alert_id String,
    seq UInt32,
    kind LowCardinality(String),
    rule_id String,
    scope_key String,
    kpi LowCardinality(String),
    value Nullable(Float64),
    at DateTime64(3, 'UTC'),
    started_at DateTime64(3, 'UTC'),
    event String,
    recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant_id, alert_id, seq)
SETTINGS non_replicated_deduplication_window = 10000;

-- One row per notification sent (or given up) for a transition and a webhook of its rule:
-- at start, transitions without one are delivered (the outbox), so a restart neither drops
-- nor repeats a notification.
CREATE TABLE IF NOT EXISTS alert_deliveries
(
    tenant_id LowCardinality(String),
    alert_id String,
    seq UInt32,
    target UInt16,
    url String,
    status LowCardinality(String),
    attempts UInt32,
    http_status UInt16,
    error String,
    at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(at)
ORDER BY (tenant_id, alert_id, seq, target);

-- Alert rules, KPI targets and goals created over HTTP: the latest version of each wins;
-- a deletion is a version with deleted = 1.
CREATE TABLE IF NOT EXISTS alerter_config
(
    kind LowCardinality(String),
    tenant_id LowCardinality(String),
    id String,
    version UInt64,
    deleted UInt8,
    body String
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (kind, tenant_id, id);
