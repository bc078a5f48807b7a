import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventLedger, migrate, openStore, type EventId, type Store } from '../src';

// The ledger's lookup, embedded: the batch's ids as rows of a file the query reads
// (Store.withRows), against the parameter form a server takes. Both must find exactly the ids
// another batch recorded, per tenant, whatever the ids hold.
let store: Store;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-ledger-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const id = (tenant_id: string, event_id: string): EventId => ({ tenant_id, event_id });
const keys = (ids: EventId[]) => new Set(ids.map((e) => EventLedger.key(e.tenant_id, e.event_id)));
/** What the aggregator takes from a lookup: which of the ids asked about were seen (by key). */
const seenOf = async (ledger: EventLedger, asked: EventId[], token: string) => {
  const seen = await ledger.seenElsewhere(asked, token);
  return keys(asked.filter((e) => seen.has(EventLedger.key(e.tenant_id, e.event_id))));
};

describe('EventLedger', () => {
  it('finds the ids another batch recorded, by tenant, with the ids as rows or as a parameter', async () => {
    expect(store.withRows).toBeTypeOf('function');
    const asRows = new EventLedger(store, 24);
    // the parameter form in chunks of 3, so a lookup spans several statements
    const asParameter = new EventLedger({ client: store.client }, 24, undefined, 3);
    // ids a text format would mangle: a newline, a tab, a quote, a backslash, non-ASCII, empty
    const odd = ['line\nbreak', 'tab\there', "it's", 'back\\slash', 'ünïcødé-✓', ''];
    const recorded = [...odd.map((e) => id('acme', e)), ...Array.from({ length: 2000 }, (_, i) => id('acme', `ev-${i}`)), id('other', 'shared')];
    await asRows.record(recorded, 'batch-1');

    const asked = [
      ...odd.map((e) => id('acme', e)),
      id('acme', 'ev-7'), id('acme', 'ev-1999'),
      id('acme', 'ev-2000'), id('acme', 'never'),
      // same event_id, another tenant: not the same event
      id('acme', 'shared'), id('third', 'ev-7'),
      id('other', 'shared'),
    ];
    const expected = keys([...odd.map((e) => id('acme', e)), id('acme', 'ev-7'), id('acme', 'ev-1999'), id('other', 'shared')]);
    for (const ledger of [asRows, asParameter]) {
      expect(await seenOf(ledger, asked, 'batch-2')).toEqual(expected);
      // ids recorded for another tenant only
      expect((await seenOf(ledger, [id('acme', 'shared'), id('third', 'ev-7')], 'batch-2')).size).toBe(0);
      // a replay of batch-1 (same token) is not a duplicate of itself
      expect((await seenOf(ledger, asked, 'batch-1')).size).toBe(0);
    }
    expect((await asRows.seenElsewhere([], 'batch-2')).size).toBe(0);
    // the rows' file is gone once the lookup is done
    const files = join(dir, 'insert-files');
    expect(existsSync(files) ? readdirSync(files) : []).toEqual([]);
  });

  it('refuses a structure that is not plain names and types', async () => {
    await expect(store.withRows!(Buffer.alloc(0), "x String') UNION ALL SELECT 1 --", async () => 1)).rejects.toThrow(/bad structure/);
  });
});
