import type { ClickHouseClient } from '@clickhouse/client';
import type { ContactEvent } from '@switchboard/events';
import { RowBinary, tokenedInsert, type InsertStats } from './insert';

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

/** The Enum8 codes of fcr_facts.kind (migration 0011), as RowBinary writes an enum. */
export const FCR_KIND_CODE = { opened: 1, resolved: 2 } as const;

export class FcrFactWriter {
  constructor(private readonly client: ClickHouseClient, private readonly stats?: InsertStats) {}

  async write(events: Iterable<ContactEvent>, dedupToken: string): Promise<void> {
    // the rows of fcrFacts, in FCR_COLUMNS order, straight from the events
    const out = new RowBinary(1 << 16);
    for (const e of events) {
      if (e.customer_id === null || (e.type !== 'contact_created' && e.type !== 'resolved')) continue;
      out.string(e.tenant_id);
      out.string(e.customer_id);
      out.string(e.topic ?? '');
      out.uint8(e.type === 'resolved' ? FCR_KIND_CODE.resolved : FCR_KIND_CODE.opened);
      out.int64(e.occurred_at);
      out.string(e.contact_id);
      out.string(e.queue_id ?? '');
      out.string(e.agent_id ?? '');
      out.string(e.team_id ?? '');
      out.string(e.channel);
      out.string(e.direction);
      out.string(e.source);
      out.rows++;
    }
    if (out.rows === 0) return;
    // idempotent under the batch's token, like every write of a batch
    await tokenedInsert(this.client, { table: 'fcr_facts', columns: FCR_COLUMNS, binary: { bytes: out.bytes(), rowCount: out.rows }, token: `${dedupToken}:fcr` }, this.stats);
  }
}
