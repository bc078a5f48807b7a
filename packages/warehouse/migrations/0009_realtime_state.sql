-- Current state for GET /v1/realtime (contacts in queue, longest current wait, agents by
-- state, open backlog, oldest open ticket), written by the aggregator next to the KPI rollups
-- (services/aggregator/src/state-writer.ts) so every replica and reader sees the same state.
--
-- One row per (contact, state machine) and per agent is the goal; ReplacingMergeTree gets
-- there in the background, and readers never rely on it: they take the newest (ver, event_id)
-- per key, so a replayed batch, an unmerged part or a late event never changes an answer.
--
-- ver = occurred_at (epoch ms) × 16 + a tie-break within the millisecond (the lifecycle rank of
-- the event type for contacts, the order within the partition batch for agents): the newest
-- event wins whatever order events arrive in; event_id settles what is still tied.
--
-- Partitioned by the day of `since` (the event time) so a read bounded to the last hours or
-- days prunes older partitions; a key's rows can sit in several partitions, which the read
-- handles. Rows older than 35 days expire: the realtime lookback is at most 30 days.
CREATE TABLE IF NOT EXISTS contact_state
(
    tenant_id LowCardinality(String),
    -- two independent state machines per contact: where it is in the queue/service flow,
    -- and whether it is an open ticket
    kind Enum8('queue' = 1, 'ticket' = 2),
    contact_id String,
    ver UInt64,
    state Enum8('queued' = 1, 'in_service' = 2, 'ended' = 3, 'open' = 4, 'resolved' = 5),
    since DateTime64(3, 'UTC'),
    queue_id String,
    team_id String,
    channel LowCardinality(String),
    event_id String
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMMDD(since)
ORDER BY (tenant_id, kind, contact_id)
TTL toDateTime(since) + INTERVAL 35 DAY
SETTINGS non_replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS agent_state
(
    tenant_id LowCardinality(String),
    agent_id String,
    ver UInt64,
    state Enum8('available' = 1, 'busy' = 2, 'after_call_work' = 3, 'away' = 4, 'offline' = 5),
    since DateTime64(3, 'UTC'),
    queue_id String,
    team_id String,
    channel LowCardinality(String),
    event_id String
)
ENGINE = ReplacingMergeTree(ver)
PARTITION BY toYYYYMMDD(since)
ORDER BY (tenant_id, agent_id)
TTL toDateTime(since) + INTERVAL 35 DAY
SETTINGS non_replicated_deduplication_window = 10000;
