import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGGREGATE_COLUMNS, DIMENSIONS, GRANULARITIES, GRANULARITY_IDS, KPI_BY_ID, KPI_IDS, QUEUE_DIMENSIONS, STATE_TIME_COLUMNS, STORED_TABLES, type StoredTable } from '@switchboard/kpi';
import { loadMigrations, migrate, openStore, type Store } from '../src';
import { splitStatements } from '../src/migrate';

// Embedded chDB binds one data directory per process; vitest's forks pool gives this file its own.
let store: Store;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-store-'));
  store = await openStore({ kind: 'embedded', path: dir });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('migrations', () => {
  it('are numbered files applied once, in order', async () => {
    const all = loadMigrations();
    expect(all.map((m) => m.version)).toEqual([...all.map((m) => m.version)].sort((a, b) => a - b));
    expect(await migrate(store.client)).toEqual(all.map((m) => m.version));
    expect(await migrate(store.client)).toEqual([]);
  });

  it('create one aggregate table per grain whose columns are the KPI catalogue', async () => {
    for (const g of GRANULARITY_IDS) {
      const rs = await store.client.query({
        query: 'SELECT name FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position',
        query_params: { t: `kpi_agg_${g}` },
        format: 'JSONEachRow',
      });
      const names = (await rs.json<{ name: string }>()).map((r) => r.name);
      expect(names).toEqual(['tenant_id', 'bucket', ...DIMENSIONS, ...AGGREGATE_COLUMNS.map((c) => c.name)]);
    }
    const columns = async (t: string) => {
      const rs = await store.client.query({
        query: 'SELECT name, type, engine FROM system.columns JOIN system.tables ON columns.table = tables.name AND columns.database = tables.database WHERE columns.database = currentDatabase() AND table = {t:String} ORDER BY position',
        query_params: { t },
        format: 'JSONEachRow',
      });
      return rs.json<{ name: string; type: string; engine: string }>();
    };
    for (const { table, agent, split } of STORED_TABLES as readonly StoredTable[]) {
      const cols = await columns(split?.rows ?? table);
      expect(cols[0]?.engine, table).toBe('AggregatingMergeTree');
      expect(cols.map((c) => c.name), table).toEqual(['tenant_id', 'bucket', ...(agent ? DIMENSIONS : QUEUE_DIMENSIONS), ...AGGREGATE_COLUMNS.map((c) => c.name)]);
      if (!split) continue;
      // the view read under the stored table's name (migration 0017) has its rows table's
      // columns and types: a later migration adding a measure must add it to the view too
      const view = await columns(table);
      expect(view[0]?.engine, table).toBe('View');
      expect(view.map((c) => [c.name, c.type]), table).toEqual(cols.map((c) => [c.name, c.type]));
      const narrow = await columns(split.stateTime);
      expect(narrow[0]?.engine, split.stateTime).toBe('AggregatingMergeTree');
      expect(narrow.map((c) => [c.name, c.type]), split.stateTime).toEqual(cols.filter((c) => !AGGREGATE_COLUMNS.some((a) => a.name === c.name) || (STATE_TIME_COLUMNS as readonly string[]).includes(c.name)).map((c) => [c.name, c.type]));
    }
  });

  it('leave the grain tables to the aggregator: no materialized view writes into them', async () => {
    // Rollups are explicit per-grain inserts under the batch token (src/kpi-writer.ts).
    const rs = await store.client.query({
      query: "SELECT name FROM system.tables WHERE database = currentDatabase() AND engine = 'MaterializedView'",
      format: 'JSONEachRow',
    });
    expect(await rs.json()).toEqual([]);
  });

  it('keep parts up to 256 MiB compact in every table the aggregator writes (migration 0018: a merge of wide parts held ~500 MiB)', async () => {
    const written = (STORED_TABLES as readonly StoredTable[]).flatMap((t) => (t.split ? [t.split.rows, t.split.stateTime] : [t.table]));
    const tables = [...written, 'contact_state', 'agent_state', 'event_ids', 'fcr_facts'];
    const rs = await store.client.query({
      query: 'SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN {t:Array(String)}',
      query_params: { t: tables },
      format: 'JSONEachRow',
    });
    const got = await rs.json<{ name: string; engine_full: string }>();
    expect(got.map((r) => r.name).sort()).toEqual([...tables].sort());
    for (const r of got) expect(r.engine_full, r.name).toMatch(/min_bytes_for_wide_part = 268435456/);
  });

  it('drop a retried insert with the same deduplication token', async () => {
    const row = { tenant_id: 't1', bucket: Date.parse('2026-11-22T10:00:00Z') / 1000, queue_id: 'q', agent_id: '', team_id: '',
      channel: 'voice', direction: 'inbound', topic: '', source: 'api', queued: 2 };
    for (let i = 0; i < 2; i++) {
      await store.client.insert({ table: 'kpi_agg_1m_rows', values: [row], format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'contact-events.v1:0:0-99' } });
    }
    const rs = await store.client.query({ query: "SELECT sum(queued) AS q FROM kpi_agg_1m WHERE tenant_id = 't1'", format: 'JSONEachRow' });
    expect((await rs.json<{ q: string }>()).map((r) => Number(r.q))).toEqual([2]);
  });
});

describe('BI views', () => {
  it('kpi_<grain> has the tenant, bucket, dimensions and a finalized column named after every KPI id (cost aside)', async () => {
    for (const g of GRANULARITY_IDS) {
      const rs = await store.client.query({
        query: 'SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {t:String} ORDER BY position',
        query_params: { t: `kpi_${g}` },
        format: 'JSONEachRow',
      });
      const cols = await rs.json<{ name: string; type: string }>();
      expect(cols.slice(0, 2 + DIMENSIONS.length).map((c) => c.name)).toEqual(['tenant_id', 'bucket', ...DIMENSIONS]);
      const names = new Set(cols.map((c) => c.name));
      // cost_per_resolution needs configured rates: the views give staffed_hours instead;
      // history KPIs (backlog, FCR) read past their row and are the API's
      for (const id of KPI_IDS.filter((k) => k !== 'cost_per_resolution' && !KPI_BY_ID.get(k)!.history)) expect(names.has(id), `kpi_${g}.${id}`).toBe(true);
      expect(names.has('staffed_hours')).toBe(true);
      // plain numbers for BI tools: no maps, no aggregate states
      expect(cols.filter((c) => /Map|Aggregate/.test(c.type))).toEqual([]);
    }
  });

  it('finalize merged rows: ratios at the default options, null for a zero denominator', async () => {
    const base = { tenant_id: 'bi', bucket: Date.parse('2026-11-22T10:00:00Z') / 1000, queue_id: 'q', agent_id: '', team_id: '', channel: 'voice', direction: 'inbound', topic: '', source: 'api' };
    // the aggregator writes every stored table; here the same two rows go to each table keyed by agent, aligned to its windows
    const values = [
        // minute 0: 4 answered (3 within 20 s), 2 abandoned (one after 3 s, short; one after 40 s); contact c1 transferred
        { ...base, queued: 6, answered: 4, answered_wait_ms: 40_000, answered_wait_ceil_s: { 5: 2, 20: 1, 21: 1 }, abandoned_all: 2,
          abandoned_wait_ceil_s: { 3: 1, 40: 1 }, abandoned_wait_floor_s: { 3: 1, 40: 1 }, longest_wait_ms: 40_000,
          transferred_contacts: { c1: 2 }, created: 3, created_by_topic: { complaint: 2, billing: 1 } },
        // minute 7, another agent: c1 transferred again, c2 once; a churned and an active customer
        { ...base, agent_id: 'a2', bucket: base.bucket + 420, transferred_contacts: { c1: 1, c2: 1 }, longest_wait_ms: 7_000,
          customers_active: { k1: 2, k2: 1 }, customers_churned: { k2: 1 }, net_revenue_minor: 1500.5 },
    ];
    for (const { table, grain, split } of (STORED_TABLES as readonly StoredTable[]).filter((t) => t.agent)) {
      const size = GRANULARITIES[grain];
      await store.client.insert({
        table: split?.rows ?? table,
        format: 'JSONEachRow',
        // its own token: embedded chDB keeps the last insert's settings on the connection
        clickhouse_settings: { insert_deduplication_token: `bi-views-test-${table}` },
        values: values.map((v) => ({ ...v, bucket: Math.floor(v.bucket / size) * size })),
      });
    }
    const rs = await store.client.query({
      query: `SELECT offered, answered, abandoned, short_abandoned, service_level, asa_ms, longest_wait_ms, transfer_rate, complaints,
                     churn_rate, retention_rate, clv, engagement, aht_ms, nps
              FROM kpi_15m WHERE tenant_id = 'bi' AND agent_id = ''`,
      format: 'JSONEachRow',
    });
    expect((await rs.json<Record<string, unknown>>()).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? null : Number(v)])))).toEqual([{
      offered: 6, answered: 4, abandoned: 1, short_abandoned: 1, service_level: 3 / 5, asa_ms: 10_000, longest_wait_ms: 40_000,
      transfer_rate: 1 / 4, complaints: 2, churn_rate: null, retention_rate: null, clv: null, engagement: null, aht_ms: null, nps: null,
    }]);
    const all = await store.client.query({
      query: `SELECT sum(transferred_contacts) AS t, max(longest_wait_ms) AS w, sum(churned_customers) AS ch, sum(active_customers) AS act,
                     max(churn_rate) AS cr, max(clv) AS clv, max(engagement) AS e
              FROM kpi_1h WHERE tenant_id = 'bi'`,
      format: 'JSONEachRow',
    });
    // per row: agent '' has c1, agent a2 has c1 and c2 — distinct counts are per row of the view
    expect((await all.json<Record<string, unknown>>()).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)])))).toEqual([
      { t: 3, w: 40_000, ch: 1, act: 2, cr: 1 / 2, clv: 1500.5, e: 3 / 2 },
    ]);
  });
});

describe('splitStatements', () => {
  it('splits on line-ending semicolons and drops comment lines', () => {
    expect(splitStatements('-- c\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\nSELECT 1;')).toEqual(['CREATE TABLE a (x UInt8) ENGINE = Memory', 'SELECT 1']);
  });
});
