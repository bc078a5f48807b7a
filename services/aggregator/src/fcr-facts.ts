import type { ClickHouseClient } from '@clickhouse/client';
import type { ContactEvent } from '@switchboard/events';

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

export class FcrFactWriter {
  constructor(private readonly client: ClickHouseClient) {}

  async write(events: Iterable<ContactEvent>, dedupToken: string): Promise<void> {
    const values = fcrFacts(events);
    if (values.length === 0) return;
    await this.client.insert({
      table: 'fcr_facts',
      values,
      format: 'JSONEachRow',
      clickhouse_settings: {
        // idempotent under the batch's token, like every write of a batch (set on every insert:
        // embedded chDB keeps the previous call's settings otherwise)
        insert_deduplication_token: `${dedupToken}:fcr`,
        // ISO-8601 with milliseconds and Z into DateTime64(3, 'UTC')
        date_time_input_format: 'best_effort',
        max_insert_block_size: '100000000',
        min_insert_block_size_rows: '0',
        min_insert_block_size_bytes: '0',
      },
    });
  }
}
