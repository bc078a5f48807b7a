-- Business configuration (docs/business-hours.md, docs/sla.md): the calendars of each tenant
-- and its SLA policy lists, as managed over HTTP (/v1/calendars, /v1/sla-policies).
--
-- Every write is a row and every row is kept: `version` (epoch ms of the write, strictly
-- increasing per writer) is part of the key, so nothing merges away. A calendar's current
-- definition is its newest row (deleted = 1: gone); its versions in time are inside the body
-- (effective_from). An SLA policy list is kept whole per change, in force from `effective_from`,
-- so an event is measured with the list in force at its occurred_at, replays included.
-- The aggregator reads rows written since its last look (one small statement per flush at most).
CREATE TABLE IF NOT EXISTS business_config
(
    tenant_id LowCardinality(String),
    kind LowCardinality(String),
    id String,
    version UInt64,
    effective_from DateTime64(3, 'UTC'),
    deleted UInt8,
    body String
)
ENGINE = ReplacingMergeTree
ORDER BY (tenant_id, kind, id, version);

-- SLA clocks of open tickets in /v1/realtime (docs/sla.md, "Open tickets now"): the ticket
-- machine's rows carry the priority of the event that opened (or reopened) the ticket, and a
-- third machine per contact, `reply`, holds its first agent reply. Enum values are only added
-- (a metadata change, allowed on a key column); rows written before have priority ''.
ALTER TABLE contact_state ADD COLUMN IF NOT EXISTS priority LowCardinality(String) DEFAULT '' AFTER channel;
ALTER TABLE contact_state MODIFY COLUMN kind Enum8('queue' = 1, 'ticket' = 2, 'reply' = 3);
ALTER TABLE contact_state MODIFY COLUMN state Enum8('queued' = 1, 'in_service' = 2, 'ended' = 3, 'open' = 4, 'resolved' = 5, 'replied' = 6);
