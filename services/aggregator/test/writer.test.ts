import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent, type ContactEventInit } from '@switchboard/events';
import { GRANULARITY_IDS } from '@switchboard/kpi';
import { migrate, openStore, type Store } from '@switchboard/store';
import { KpiWriter, aggregateMinuteRows, rollUpRows } from '../src';

// Embedded chDB binds one data directory per process; vitest's forks pool gives this file its own.
let store: Store;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-writer-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const T = Date.parse('2026-11-22T10:00:30Z');
let n = 0;
const ev = (tenant: string, minute: number, extra: Partial<ContactEventInit> = {}) =>
  makeEvent({ event_id: `e${n++}`, tenant_id: tenant, contact_id: `c${n}`, type: 'queued', occurred_at: T + minute * 60_000, channel: 'voice', direction: 'inbound', source: 'api', queue_id: 'q', ...extra });

async function queuedByBucket(tenant: string): Promise<Record<string, [string, number][]>> {
  const out: Record<string, [string, number][]> = {};
  for (const g of GRANULARITY_IDS) {
    const rs = await store.client.query({
      query: `SELECT toString(bucket) AS b, sum(queued) AS q FROM kpi_agg_${g} WHERE tenant_id = {t:String} GROUP BY b ORDER BY b`,
      query_params: { t: tenant },
      format: 'JSONEachRow',
    });
    out[g] = (await rs.json<{ b: string; q: string }>()).map((r) => [r.b.slice(11, 16), Number(r.q)]);
  }
  return out;
}

const expected = {
  '1m': [['10:00', 2], ['10:07', 1], ['10:16', 1]],
  '5m': [['10:00', 2], ['10:05', 1], ['10:15', 1]],
  '15m': [['10:00', 3], ['10:15', 1]],
  '30m': [['10:00', 4]],
  '1h': [['10:00', 4]],
  '1d': [['00:00', 4]],
};

/** A client whose inserts fail after `okInserts` succeeded: a crash between two grain tables. */
function failingAfter(client: ClickHouseClient, okInserts: number): ClickHouseClient {
  let left = okInserts;
  return new Proxy(client, {
    get(target, prop, receiver) {
      if (prop !== 'insert') return Reflect.get(target, prop, receiver);
      return (params: Parameters<ClickHouseClient['insert']>[0]) => {
        if (left-- <= 0) return Promise.reject(new Error('injected: process died here'));
        return target.insert(params);
      };
    },
  });
}

describe('rollUpRows', () => {
  it('merges 1-minute rows into the windows of a coarser grain, per dimensions', () => {
    const rows = aggregateMinuteRows([ev('r', 0), ev('r', 7), ev('r', 16), ev('r', 16, { queue_id: 'other' })]);
    const quarter = rollUpRows(rows, '15m').map((r) => [new Date(r.bucket).toISOString().slice(11, 16), r.dims.queue_id, r.measures.queued]);
    expect(quarter).toEqual([['10:00', 'q', 2], ['10:15', 'q', 1], ['10:15', 'other', 1]]);
  });
});

describe('KpiWriter', () => {
  it('writes every grain, and a replay of the same batch token adds nothing', async () => {
    const rows = aggregateMinuteRows([ev('a', 0), ev('a', 0), ev('a', 7), ev('a', 16)]);
    const writer = new KpiWriter(store.client);
    await writer.write(rows, 'events:0:0-3');
    await writer.write(rows, 'events:0:0-3');
    expect(await queuedByBucket('a')).toEqual(expected);
  });

  it('completes a batch that died between two grain tables, counting each grain once', async () => {
    const rows = aggregateMinuteRows([ev('b', 0), ev('b', 0), ev('b', 7), ev('b', 16)]);
    for (let landed = 0; landed < GRANULARITY_IDS.length; landed++) {
      const tenantRows = rows.map((r) => ({ ...r, tenant_id: `b${landed}` }));
      const token = `events:1:${landed}`;
      await expect(new KpiWriter(failingAfter(store.client, landed)).write(tenantRows, token)).rejects.toThrow(/injected/);
      await new KpiWriter(store.client).write(tenantRows, token);
      expect(await queuedByBucket(`b${landed}`)).toEqual(expected);
    }
  });
});
