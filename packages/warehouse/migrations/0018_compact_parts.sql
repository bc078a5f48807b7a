-- Parts up to 256 MiB in the compact format, in every table the aggregator writes
-- (docs/architecture.md, "Merges in compact parts").
--
-- A part in the wide format is a file per column stream, and a merge that writes one holds a
-- compressed buffer and a file buffer (1 MiB each) per stream: kpi_agg_1m_rows has 74 measure
-- columns, 19 of them maps of three streams each, so each of its merges held ~500 MiB while it
-- ran, and the aggregator's peak RSS while draining a backlog was two such merges at once
-- (measured with system.merges: 500 MiB each, 1.1–1.2 GiB tracked in all). ClickHouse writes
-- the wide format from 10 MiB on. A compact part is one file with the columns side by side per
-- granule; the same merges held ~100 MiB. Reads of a few columns still read only those columns'
-- ranges, by their marks. Parts larger than 256 MiB (months of a large center) are wide again.
-- Applies to parts written from now on, by inserts and merges; nothing is rewritten.
ALTER TABLE kpi_agg_1m_rows MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE kpi_agg_1h_rows MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE kpi_agg_1m_state_time MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE kpi_agg_1h_state_time MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE kpi_queue_1m MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE kpi_queue_15m MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE kpi_queue_1h MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE kpi_queue_1d MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE contact_state MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE agent_state MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE event_ids MODIFY SETTING min_bytes_for_wide_part = 268435456;
ALTER TABLE fcr_facts MODIFY SETTING min_bytes_for_wide_part = 268435456;
