-- First-contact resolution pairs a resolution with a later contact of the same customer on the
-- same topic, possibly days later and in another queue: no window row can answer it. The
-- aggregator records both sides here (contact_created and resolved events that carry a
-- customer_id), and the query service pairs them at read time, so a window's FCR becomes final
-- by itself once fcr_window has passed, with no reprocessing.
-- Written per batch under the batch's deduplication token, like every aggregator write.
CREATE TABLE IF NOT EXISTS fcr_facts
(
    tenant_id String,
    customer_id String,
    -- '' when the event has no topic: a resolution without topic is repeated by a contact without one
    topic String,
    kind Enum8('opened' = 1, 'resolved' = 2),
    at DateTime64(3, 'UTC'),
    contact_id String,
    queue_id String,
    agent_id String,
    team_id String,
    channel LowCardinality(String),
    direction LowCardinality(String),
    source LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (tenant_id, kind, at)
SETTINGS non_replicated_deduplication_window = 100000;
