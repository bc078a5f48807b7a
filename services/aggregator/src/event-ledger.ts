import type { ClickHouseClient } from '@clickhouse/client';
import type { ContactEvent } from '@switchboard/events';

/** Keeps ClickHouse query parameters well under the server's URL limit. */
const LOOKUP_CHUNK = 2000;

const key = (tenant: string, eventId: string) => `${tenant}\u0001${eventId}`;

/**
 * The record of counted event_ids (table event_ids). An event counts only if no other batch
 * recorded its id within the horizon; ids are recorded with the batch's token before its
 * aggregates are written, both writes idempotent under that token.
 */
export class EventLedger {
  constructor(private readonly client: ClickHouseClient, private readonly horizonHours: number) {}

  /** Ids of these events recorded by a batch other than `token` within the horizon. */
  async seenElsewhere(events: ContactEvent[], token: string): Promise<Set<string>> {
    const seen = new Set<string>();
    const tenants = [...new Set(events.map((e) => e.tenant_id))];
    for (let i = 0; i < events.length; i += LOOKUP_CHUNK) {
      const ids = events.slice(i, i + LOOKUP_CHUNK).map((e) => e.event_id);
      const rs = await this.client.query({
        query: `SELECT tenant_id, event_id FROM event_ids
                WHERE tenant_id IN {tenants:Array(String)} AND event_id IN {ids:Array(String)}
                  AND token != {token:String} AND seen_at >= now() - toIntervalHour({h:UInt32})`,
        query_params: { tenants, ids, token, h: this.horizonHours },
        format: 'JSONCompactEachRow',
      });
      for (const [t, id] of await rs.json<[string, string]>()) seen.add(key(t, id));
    }
    return seen;
  }

  async record(events: ContactEvent[], token: string): Promise<void> {
    if (events.length === 0) return;
    await this.client.insert({
      table: 'event_ids',
      values: events.map((e) => ({ tenant_id: e.tenant_id, event_id: e.event_id, token })),
      format: 'JSONEachRow',
      clickhouse_settings: {
        insert_deduplication_token: `${token}:ids`,
        max_insert_block_size: '100000000',
        min_insert_block_size_rows: '0',
        min_insert_block_size_bytes: '0',
      },
    });
  }

  static key = key;
}
