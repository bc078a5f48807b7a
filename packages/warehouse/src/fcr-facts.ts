import type { ClickHouseClient } from '@clickhouse/client';
import type { ContactEvent } from '@switchboard/events';
import { tokenedInsert, tsvString, tsvTime64, type InsertStats } from './insert';

/**
 * Records the two sides of first-contact resolution (table fcr_facts, migration 0011): each
 * contact_created and each resolved event that names a customer. The query service pairs a
 * resolution with a later opening of the same customer and topic at read time.
 */
export function fcrFacts(events: Iterable<ContactEvent>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const e of events) {
    if (e.customer_id === null || (e.type !== 'contact_created' && e.type !== 'resolved')) continue;
    out.push({
      tenant_id: e.tenant_id, customer_id: e.customer_id, topic: e.topic ?? '', kind: e.type === 'resolved' ? 'resolved' : 'opened',
      at: new Date(e.occurred_at).toISOString(), contact_id: e.contact_id, queue_id: e.queue_id ?? '', agent_id: e.agent_id ?? '', team_id: e.team_id ?? '',
      channel: e.channel, direction: e.direction, source: e.source,
    });
  }
  return out;
}

const FCR_COLUMNS = ['tenant_id', 'customer_id', 'topic', 'kind', 'at', 'contact_id', 'queue_id', 'agent_id', 'team_id', 'channel', 'direction', 'source'] as const;

/** A fact as a TabSeparated row in FCR_COLUMNS order. */
function factRow(f: Record<string, unknown>): string {
  return FCR_COLUMNS.map((c) => (c === 'at' ? tsvTime64(Date.parse(f.at as string)) : tsvString(String(f[c])))).join('\t');
}

export class FcrFactWriter {
  constructor(private readonly client: ClickHouseClient, private readonly stats?: InsertStats) {}

  async write(events: Iterable<ContactEvent>, dedupToken: string): Promise<void> {
    const values = fcrFacts(events);
    if (values.length === 0) return;
    // idempotent under the batch's token, like every write of a batch
    await tokenedInsert(this.client, { table: 'fcr_facts', columns: FCR_COLUMNS, rows: values.map(factRow), token: `${dedupToken}:fcr` }, this.stats);
  }
}
