import { performance } from 'node:perf_hooks';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Store } from './client';
import { RowBinary, tokenedInsert, type InsertStats } from './insert';

/**
 * Ids per lookup query when they go as a parameter (to a server): a server takes query
 * parameters in the URL, so its lookups are kept well under the URL limit. Embedded, the ids go
 * as rows (Store.withRows), one query per batch whatever its size.
 */
const PARAMETER_CHUNK = 2000;

const key = (tenant: string, eventId: string) => `${tenant}\u0001${eventId}`;

/** What the ledger knows of an event (a ContactEvent is one). */
export interface EventId {
  tenant_id: string;
  event_id: string;
}

/**
 * The record of counted event_ids (table event_ids). An event counts only if no other batch
 * recorded its id within the horizon; ids are recorded with the batch's token before its
 * aggregates are written, both writes idempotent under that token.
 */
export class EventLedger {
  private readonly client: ClickHouseClient;
  /** embedded: the ids go to the lookup as rows (one statement, no parameter to parse) */
  private readonly withRows: Store['withRows'];

  constructor(
    store: Pick<Store, 'client' | 'withRows'>,
    private readonly horizonHours: number,
    private readonly stats?: InsertStats,
    /** ids per statement when they go as a parameter */
    private readonly parameterChunk: number = PARAMETER_CHUNK,
  ) {
    this.client = store.client;
    this.withRows = store.withRows;
  }

  /** Ids of these events recorded by a batch other than `token` within the horizon. */
  async seenElsewhere(events: readonly EventId[], token: string): Promise<Set<string>> {
    const seen = new Set<string>();
    if (events.length === 0) return seen;
    const where = 'AND token != {token:String} AND seen_at >= now() - toIntervalHour({h:UInt32})';
    if (this.withRows) {
      const rows = new RowBinary(events.length * 56);
      for (const e of events) {
        rows.string(e.tenant_id);
        rows.string(e.event_id);
      }
      const t0 = performance.now();
      const found = await this.withRows(rows.bytes(), 'tenant_id String, event_id String', async (ids) => {
        const rs = await this.client.query({
          query: `SELECT tenant_id, event_id FROM event_ids WHERE (tenant_id, event_id) IN (SELECT tenant_id, event_id FROM ${ids}) ${where}`,
          query_params: { token, h: this.horizonHours },
          format: 'JSONCompactEachRow',
        });
        return rs.json<[string, string]>();
      });
      for (const [t, id] of found) seen.add(key(t, id));
      this.stats?.recordLookup('event_ids', performance.now() - t0);
      return seen;
    }
    const tenants = [...new Set(events.map((e) => e.tenant_id))];
    for (let i = 0; i < events.length; i += this.parameterChunk) {
      const ids = events.slice(i, i + this.parameterChunk).map((e) => e.event_id);
      // The ids as one newline-separated String parameter split by the query: a String is
      // sent and read as it is, where an Array(String) of tens of thousands is escaped
      // element by element here and parsed as a literal there (measured: 18,000 ids, ~65
      // against ~30 ms for the parameter alone). An id holding a newline takes the array.
      const joined = ids.some((id) => id.includes('\n')) ? null : ids.join('\n');
      const idSet = joined === null ? 'arrayJoin({ids:Array(String)})' : "arrayJoin(splitByChar('\\n', {ids:String}))";
      const t0 = performance.now();
      const rs = await this.client.query({
        // The ids as a subquery, not a literal set: ClickHouse analyses a literal IN set of tens
        // of thousands against the primary key for seconds to minutes (measured: 50,000 ids,
        // 50,000 rows, 63 s), and a subquery's set through the index in well under a second.
        query: `SELECT tenant_id, event_id FROM event_ids
                WHERE tenant_id IN {tenants:Array(String)} AND event_id IN (SELECT ${idSet}) ${where}`,
        query_params: { tenants, ids: joined ?? ids, token, h: this.horizonHours },
        format: 'JSONCompactEachRow',
      });
      for (const [t, id] of await rs.json<[string, string]>()) seen.add(key(t, id));
      this.stats?.recordLookup('event_ids', performance.now() - t0);
    }
    return seen;
  }

  async record(events: readonly EventId[], token: string): Promise<void> {
    if (events.length === 0) return;
    const rows = new RowBinary(events.length * 96);
    for (const e of events) {
      rows.string(e.tenant_id);
      rows.string(e.event_id);
      rows.string(token);
    }
    await tokenedInsert(this.client, {
      table: 'event_ids',
      columns: ['tenant_id', 'event_id', 'token'],
      binary: { bytes: rows.bytes(), rowCount: events.length },
      token: `${token}:ids`,
    }, this.stats);
  }

  static key = key;
}
