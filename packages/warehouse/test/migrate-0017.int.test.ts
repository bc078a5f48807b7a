import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEvent } from '@switchboard/events';
import { KpiWriter, aggregateMinuteRows, loadMigrations, migrate, openStore, wideMeasures, type Store } from '../src';

// Migration 0017 on a store that already holds rows: kpi_agg_1m/1h become views of the old
// tables (renamed *_rows) and the new state-time tables. Nothing written before may be lost
// or counted twice, and what is written after lands beside it.
// Embedded chDB binds one data directory per process; vitest's forks pool gives this file its own.
let store: Store;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-migrate-0017-'));
  store = await openStore({ kind: 'embedded', path: dir });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const T = Date.parse('2026-11-22T10:00:30Z');
let n = 0;
const state = (agent: string, at: number) => makeEvent({
  event_id: `s${n++}`, tenant_id: 'up', contact_id: `agent:${agent}`, type: 'agent_state_changed', occurred_at: at, channel: 'voice', direction: 'inbound',
  source: 'api', agent_id: agent, team_id: 'blue', queue_id: 'q', agent_state: 'busy', previous_agent_state: 'available', previous_state_ms: 150_000,
});
const queued = (at: number) => makeEvent({ event_id: `q${n++}`, tenant_id: 'up', contact_id: `c${n}`, type: 'queued', occurred_at: at, channel: 'voice', direction: 'inbound', source: 'api', queue_id: 'q' });

async function totals(): Promise<Record<string, [number, number]>> {
  const out: Record<string, [number, number]> = {};
  for (const t of ['kpi_agg_1m', 'kpi_agg_1h', 'kpi_1m', 'kpi_queue_1m']) {
    const col = t === 'kpi_1m' ? 'offered' : 'queued';
    const ms = t === 'kpi_1m' ? 'toUInt64(staffed_hours * 3600000)' : 'state_available_ms';
    const rs = await store.client.query({ query: `SELECT sum(${col}) AS q, sum(${ms}) AS s FROM ${t} WHERE tenant_id = 'up'`, format: 'JSONEachRow' });
    const [r] = await rs.json<{ q: string; s: string }>();
    out[t] = [Number(r!.q), Math.round(Number(r!.s))];
  }
  return out;
}

describe('migration 0017 on a store with rows', () => {
  it('keeps what was written before it, and what is written after adds to it', async () => {
    const all = loadMigrations();
    expect(await migrate(store.client, all.filter((m) => m.version < 17))).toEqual(all.filter((m) => m.version < 17).map((m) => m.version));
    // written as the aggregator wrote before 0017: every row, state time included, in kpi_agg_1m and kpi_agg_1h
    const before = aggregateMinuteRows([queued(T), queued(T + 60_000), state('a1', T)]);
    for (const g of ['1m', '1h'] as const) {
      const size = g === '1m' ? 60 : 3600;
      await store.client.insert({
        table: `kpi_agg_${g}`, format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: `before-${g}` },
        values: before.map((r) => ({ tenant_id: r.tenant_id, bucket: Math.floor(r.bucket / 1000 / size) * size, ...r.dims, queued: wideMeasures(r).queued, state_available_ms: r.measures.state_available_ms })),
      });
    }
    await store.client.insert({
      table: 'kpi_queue_1m', format: 'JSONEachRow', clickhouse_settings: { insert_deduplication_token: 'before-q' },
      values: before.map((r) => ({ tenant_id: r.tenant_id, bucket: r.bucket / 1000, queue_id: r.dims.queue_id, channel: r.dims.channel, team_id: r.dims.team_id, direction: r.dims.direction, topic: r.dims.topic, source: r.dims.source, queued: wideMeasures(r).queued, state_available_ms: r.measures.state_available_ms })),
    });
    expect(await totals()).toEqual({ kpi_agg_1m: [2, 150_000], kpi_agg_1h: [2, 150_000], kpi_1m: [2, 150_000], kpi_queue_1m: [2, 150_000] });

    expect(await migrate(store.client)).toEqual([17, ...all.filter((m) => m.version > 17).map((m) => m.version)]);
    // the rows written before are read through the views, once
    expect(await totals()).toEqual({ kpi_agg_1m: [2, 150_000], kpi_agg_1h: [2, 150_000], kpi_1m: [2, 150_000], kpi_queue_1m: [2, 150_000] });
    // a batch after: its state time goes to the narrow tables, and adds to the old rows, even in the same minutes and keys
    await new KpiWriter(store.client).write(aggregateMinuteRows([queued(T + 5_000), state('a1', T + 10_000), state('a2', T)]), 'after');
    expect(await totals()).toEqual({ kpi_agg_1m: [3, 450_000], kpi_agg_1h: [3, 450_000], kpi_1m: [3, 450_000], kpi_queue_1m: [3, 450_000] });
    const rs = await store.client.query({ query: "SELECT count() AS n FROM kpi_agg_1m_state_time WHERE tenant_id = 'up'", format: 'JSONEachRow' });
    expect(Number((await rs.json<{ n: string }>())[0]!.n)).toBeGreaterThan(0);
  });
});
