import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations, migrate, openStore, type Store } from '../src';

// A service killed while it migrates (the crash drill SIGKILLs the aggregator while it starts)
// leaves a migration applied up to some statement and not recorded; the next start runs that
// migration again from its first statement (docs/reliability.md, "Killed while it migrates"). Every statement
// must survive that, and the store must end as a clean run leaves it, rows included.
// Embedded chDB binds one data directory per process; vitest's forks pool gives this file its own.
let store: Store;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-migrate-replay-'));
  store = await openStore({ kind: 'embedded', path: dir });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rows<T>(query: string): Promise<T[]> {
  return (await store.client.query({ query, format: 'JSONEachRow' })).json<T>();
}

/** Every object's engine, definition and columns: what a reader of the store depends on. */
async function schema(): Promise<unknown[]> {
  return rows(`SELECT t.name AS name, t.engine AS engine, t.create_table_query AS ddl,
                      groupArray((c.name, c.type)) AS columns
               FROM system.tables AS t LEFT JOIN (SELECT * FROM system.columns WHERE database = currentDatabase() ORDER BY table, position) AS c ON c.table = t.name
               WHERE t.database = currentDatabase() AND t.name != 'schema_migrations'
               GROUP BY name, engine, ddl ORDER BY name`);
}

async function dropEverything(): Promise<void> {
  // views first: a table read by a view can still be dropped, but not the other way round in every version
  for (const { name } of await rows<{ name: string }>("SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY engine LIKE '%View' DESC")) {
    await store.client.command({ query: `DROP TABLE IF EXISTS ${name} SYNC` });
  }
}

const SEED_BUCKET = Date.parse('2026-11-22T10:07:00Z') / 1000;

async function totals(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['kpi_agg_1m', 'kpi_agg_1h', 'kpi_queue_1m', 'kpi_queue_15m', 'kpi_queue_1h', 'kpi_queue_1d', 'kpi_1m']) {
    const col = t === 'kpi_1m' ? 'offered' : 'queued';
    const [r] = await rows<{ q: string }>(`SELECT sum(${col}) AS q FROM ${t} WHERE tenant_id = 'replay'`);
    out[t] = Number(r!.q);
  }
  return out;
}

describe('a migration killed before it is recorded', () => {
  it('runs again from its first statement, after any statement, and ends where a clean run does, rows counted once', async () => {
    const all = loadMigrations();
    expect(await migrate(store.client, all)).toEqual(all.map((m) => m.version));
    const clean = await schema();
    await dropEverything();

    for (const m of all) {
      // killed after the first statement: the state the crash drill met in 0017 (renamed, no view yet)
      await store.client.command({ query: m.statements[0]! });
      expect(await migrate(store.client, [m]), `${m.version} after its first statement`).toEqual([m.version]);
      // killed after the last statement, before the record: every statement runs over its own result
      expect(await migrate(store.client, [{ ...m, version: 10_000 + m.version }]), `${m.version} after its last statement`).toEqual([10_000 + m.version]);
      if (m.version === 1) {
        // a row written before the later migrations, which copy and move it (0013, 0017); 0001's
        // materialized views carry it to the coarser grains
        await store.client.insert({
          table: 'kpi_agg_1m', format: 'JSONEachRow',
          values: [{ tenant_id: 'replay', bucket: SEED_BUCKET, queue_id: 'q', agent_id: 'a1', team_id: '', channel: 'voice', direction: 'inbound', topic: '', source: 'api', queued: 2 }],
        });
      }
    }
    expect(await schema()).toEqual(clean);
    expect(await totals()).toEqual({ kpi_agg_1m: 2, kpi_agg_1h: 2, kpi_queue_1m: 2, kpi_queue_15m: 2, kpi_queue_1h: 2, kpi_queue_1d: 2, kpi_1m: 2 });
  });

  it('still fails on a real conflict: a RENAME whose target is a table while its source is one too', async () => {
    await store.client.command({ query: 'CREATE TABLE IF NOT EXISTS conflict_a (x UInt8) ENGINE = MergeTree ORDER BY x' });
    await store.client.command({ query: 'CREATE TABLE IF NOT EXISTS conflict_b (x UInt8) ENGINE = MergeTree ORDER BY x' });
    await expect(migrate(store.client, [{ version: 20_000, name: 'conflict', statements: ['RENAME TABLE conflict_a TO conflict_b'] }])).rejects.toThrow(/already exists/);
  });
});
