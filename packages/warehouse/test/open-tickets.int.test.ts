import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent, type ContactEventInit } from '@switchboard/events';
import { StateWriter, migrate, openStore, readOpenTickets, readRealtime, type Store } from '../src';

// The open tickets the SLA clocks of /v1/realtime read (docs/sla.md, "Open tickets now"), from
// the state the aggregator writes (StateWriter, migration 0016's priority column and `reply` rows).

const H = 3_600_000;
const AT = Date.parse('2026-11-23T12:00:00Z');
let dir: string;
let store: Store;
let n = 0;
const ev = (contact: string, type: ContactEventInit['type'], at: number, extra: Partial<ContactEventInit> = {}) =>
  makeEvent({ event_id: `ot-${n++}`, tenant_id: 'ot', contact_id: contact, type, occurred_at: at, channel: 'email', direction: 'inbound', source: 'api', queue_id: 'billing', ...extra });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-open-tickets-'));
  store = await openStore({ kind: 'embedded', path: join(dir, 'chdb') });
  await migrate(store.client);
  const writer = new StateWriter(store.client);
  // two batches: a ticket's reply may land in another batch than its creation
  await writer.write([
    ev('urgent-open', 'contact_created', AT - 2 * H, { priority: 'urgent' }),
    ev('replied', 'contact_created', AT - 3 * H, { priority: 'high' }),
    ev('no-priority', 'contact_created', AT - 3 * H),
    ev('solved', 'contact_created', AT - 3 * H, { priority: 'low' }),
    ev('sales', 'contact_created', AT - H, { priority: 'normal', queue_id: 'sales', channel: 'chat' }),
    // replied 30 hours ago (before a 24-hour lookback), reopened within it
    ev('reopened', 'contact_created', AT - 40 * H, { priority: 'urgent' }),
    ev('reopened', 'agent_message', AT - 30 * H, { priority: 'urgent', first_response: true, response_ms: 10 * H }),
  ], 'ot-1');
  await writer.write([
    ev('replied', 'agent_message', AT - 2 * H, { priority: 'high', first_response: true, response_ms: H }),
    ev('solved', 'resolved', AT - H, { priority: 'low', resolution_ms: 2 * H }),
    ev('reopened', 'resolved', AT - 20 * H, { priority: 'urgent', resolution_ms: 20 * H }),
    ev('reopened', 'reopened', AT - 5 * H, { priority: 'urgent' }),
  ], 'ot-2');
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('readOpenTickets', () => {
  it('open tickets with a priority, with whether the first reply is in (also when it is older than the lookback)', async () => {
    const tickets = await readOpenTickets(store.client, 'ot', { at: AT, lookbackH: 24, filters: {} });
    expect(tickets.sort((a, b) => a.contact_id.localeCompare(b.contact_id)).map((t) => [t.contact_id, t.since, t.queue_id, t.channel, t.priority, t.replied])).toEqual([
      ['reopened', AT - 5 * H, 'billing', 'email', 'urgent', true],
      ['replied', AT - 3 * H, 'billing', 'email', 'high', true],
      ['sales', AT - H, 'sales', 'chat', 'normal', false],
      ['urgent-open', AT - 2 * H, 'billing', 'email', 'urgent', false],
    ]);
  });

  it('applies the dimension filters and the lookback', async () => {
    expect((await readOpenTickets(store.client, 'ot', { at: AT, lookbackH: 24, filters: { queue_id: ['sales'] } })).map((t) => t.contact_id)).toEqual(['sales']);
    expect((await readOpenTickets(store.client, 'ot', { at: AT, lookbackH: 2, filters: {} })).map((t) => t.contact_id).sort()).toEqual(['sales', 'urgent-open']);
    expect(await readOpenTickets(store.client, 'other', { at: AT, lookbackH: 24, filters: {} })).toEqual([]);
  });

  it('the reply rows leave the realtime tallies as they were: the open backlog counts tickets only', async () => {
    const [g] = await readRealtime(store.client, 'ot', { at: AT, lookbackH: 24, groupBy: [], filters: {} });
    expect(g!.open_backlog).toBe(5); // urgent-open, replied, no-priority, sales, reopened
    expect(g!.contacts_in_queue + g!.contacts_in_service).toBe(0);
  });
});
