import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent, type ContactEventInit } from '@switchboard/events';
import { GRANULARITY_IDS, STORED_TABLES, physicalTables } from '@switchboard/kpi';
import { KpiWriter, aggregateMinuteRows, migrate, openStore, type Store } from '../src';
import { AGENT_STATE_CODE, CONTACT_KIND_CODE, CONTACT_STATE_CODE } from '../src/state-writer';
import { FCR_KIND_CODE } from '../src/fcr-facts';

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
/** An agent available for 150 s before T: pieces of 60, 60 and 30 s in 09:58, 09:59 and 10:00 (the state-time tables). */
const available = (tenant: string, agent = 'ag') =>
  ev(tenant, 0, { type: 'agent_state_changed', contact_id: `agent:${agent}`, agent_id: agent, agent_state: 'busy', previous_agent_state: 'available', previous_state_ms: 150_000 });

/** Σ state_available_ms of the tenant in every stored table (read through the views of the agent grains). */
async function availableMs(tenant: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const { table } of STORED_TABLES) {
    const rs = await store.client.query({ query: `SELECT sum(state_available_ms) AS s FROM ${table} WHERE tenant_id = {t:String}`, query_params: { t: tenant }, format: 'JSONEachRow' });
    out[table] = Number((await rs.json<{ s: string }>())[0]!.s);
  }
  return out;
}
const everywhere = (ms: number) => Object.fromEntries(STORED_TABLES.map((t) => [t.table, ms]));

async function queuedByBucket(tenant: string): Promise<Record<string, [string, number][]>> {
  const out: Record<string, [string, number][]> = {};
  for (const g of GRANULARITY_IDS) {
    const rs = await store.client.query({
      query: `SELECT toString(bucket) AS b, sum(queued) AS q FROM kpi_agg_${g} WHERE tenant_id = {t:String} GROUP BY b HAVING q > 0 ORDER BY b`,
      query_params: { t: tenant },
      format: 'JSONEachRow',
    });
    out[g] = (await rs.json<{ b: string; q: string }>()).map((r) => [r.b.slice(11, 16), Number(r.q)]);
  }
  // the tables without the agent hold the same counts at their grains
  for (const { table, grain, agent } of STORED_TABLES) {
    if (agent) continue;
    const rs = await store.client.query({
      query: `SELECT toString(bucket) AS b, sum(queued) AS q FROM ${table} WHERE tenant_id = {t:String} GROUP BY b HAVING q > 0 ORDER BY b`,
      query_params: { t: tenant },
      format: 'JSONEachRow',
    });
    const got = (await rs.json<{ b: string; q: string }>()).map((r) => [r.b.slice(11, 16), Number(r.q)]);
    expect(got, table).toEqual(out[grain]);
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

/** A client whose writes fail after `okWrites` succeeded: a crash between two steps of a batch. */
function failingAfter(client: ClickHouseClient, okWrites: number): ClickHouseClient {
  let left = okWrites;
  return new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (prop !== 'insert' && prop !== 'command') return v;
      return (...args: unknown[]) => {
        if (left-- <= 0) return Promise.reject(new Error('injected: process died here'));
        return (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
}

describe('KpiWriter', () => {
  it('writes every grain, and a replay of the same batch token adds nothing', async () => {
    const rows = aggregateMinuteRows([ev('a', 0), ev('a', 0), ev('a', 7), ev('a', 16), available('a')]);
    const writer = new KpiWriter(store.client);
    await writer.write(rows, 'events:0:0-4');
    await writer.write(rows, 'events:0:0-4');
    expect(await queuedByBucket('a')).toEqual(expected);
    expect(await availableMs('a')).toEqual(everywhere(150_000));
    // the state-time pieces are in the narrow tables, the other rows in the wide ones
    const rs = await store.client.query({ query: "SELECT count() AS n FROM kpi_agg_1m_state_time WHERE tenant_id = 'a'", format: 'JSONEachRow' });
    expect(Number((await rs.json<{ n: string }>())[0]!.n)).toBe(3);
  });

  it('completes a batch that died at any step (one grain table after another), counting each grain once', async () => {
    const rows = aggregateMinuteRows([ev('b', 0), ev('b', 0), ev('b', 7), ev('b', 16), available('b')]);
    // steps: one insert per stored table, two for each agent grain (its rows and its state time)
    const steps = STORED_TABLES.reduce((k, t) => k + physicalTables(t.table).length, 0);
    expect(steps).toBe(8);
    for (let landed = 0; landed < steps; landed++) {
      const tenantRows = rows.map((r) => ({ ...r, tenant_id: `b${landed}` }));
      const token = `events:1:${landed}`;
      await expect(new KpiWriter(failingAfter(store.client, landed)).write(tenantRows, token)).rejects.toThrow(/injected/);
      await new KpiWriter(store.client).write(tenantRows, token);
      expect(await queuedByBucket(`b${landed}`)).toEqual(expected);
      expect(await availableMs(`b${landed}`)).toEqual(everywhere(150_000));
    }
  });
});

describe('KpiWriter with a large batch', () => {
  // A batch of 30,000 distinct keys: each stored table's insert must be one part (one block),
  // so that a replay under the same token deduplicates as a whole (one block per insert
  // whatever its size is tokenedInsert's guarantee, tested in test/insert.int.test.ts).
  it('writes each stored table as one part, and a replay after a partial write adds nothing', async () => {
    const events = Array.from({ length: 30_000 }, (_, i) => ev('big', i % 5, { queue_id: `q${i}` }));
    // and 2,000 agents' states, pieces in three minutes each
    for (let i = 0; i < 2_000; i++) events.push(available('big', `ag${i}`));
    const rows = aggregateMinuteRows(events);
    expect(rows.filter((r) => !r.stateOnly).length).toBe(30_000);
    expect(rows.filter((r) => r.stateOnly).length).toBe(6_000);
    const parts = async () => {
      const rs = await store.client.query({ query: "SELECT table, count() AS n FROM system.parts WHERE active AND database = currentDatabase() GROUP BY table", format: 'JSONEachRow' });
      return Object.fromEntries((await rs.json<{ table: string; n: string }>()).map((r) => [r.table, Number(r.n)]));
    };
    await store.client.command({ query: 'SYSTEM STOP MERGES' });
    try {
      const before = await parts();
      // died after two grains, then replayed whole, twice
      await expect(new KpiWriter(failingAfter(store.client, 2)).write(rows, 'events:big:0-29999')).rejects.toThrow(/injected/);
      await new KpiWriter(store.client).write(rows, 'events:big:0-29999');
      await new KpiWriter(store.client).write(rows, 'events:big:0-29999');
      const after = await parts();
      for (const table of STORED_TABLES.flatMap((t) => physicalTables(t.table))) expect((after[table] ?? 0) - (before[table] ?? 0), table).toBe(1);
    } finally {
      await store.client.command({ query: 'SYSTEM START MERGES' });
    }
    for (const g of GRANULARITY_IDS) {
      const rs = await store.client.query({ query: `SELECT sum(queued) AS q FROM kpi_agg_${g} WHERE tenant_id = 'big'`, format: 'JSONEachRow' });
      const [r] = await rs.json<{ q: string }>();
      expect(Number(r!.q), g).toBe(30_000);
    }
    for (const { table } of STORED_TABLES) {
      const rs = await store.client.query({ query: `SELECT sum(queued) AS q FROM ${table} WHERE tenant_id = 'big'`, format: 'JSONEachRow' });
      const [r] = await rs.json<{ q: string }>();
      expect(Number(r!.q), table).toBe(30_000);
    }
    expect(await availableMs('big')).toEqual(everywhere(2_000 * 150_000));
  });
});

describe('RowBinary enum codes', () => {
  it('are the Enum8 values of the migrated tables', async () => {
    const rs = await store.client.query({ query: "SELECT table, name, type FROM system.columns WHERE database = currentDatabase() AND type LIKE 'Enum8%'", format: 'JSONEachRow' });
    const types = Object.fromEntries((await rs.json<{ table: string; name: string; type: string }>()).map((c) => [`${c.table}.${c.name}`, c.type]));
    const enumOf = (codes: Record<string, number>) => `Enum8(${Object.entries(codes).sort((a, b) => a[1] - b[1]).map(([k, v]) => `'${k}' = ${v}`).join(', ')})`;
    expect(types['contact_state.kind']).toBe(enumOf(CONTACT_KIND_CODE));
    expect(types['contact_state.state']).toBe(enumOf(CONTACT_STATE_CODE));
    expect(types['agent_state.state']).toBe(enumOf(AGENT_STATE_CODE));
    expect(types['fcr_facts.kind']).toBe(enumOf(FCR_KIND_CODE));
  });
});
