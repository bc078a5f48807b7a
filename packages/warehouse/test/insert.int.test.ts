import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RowBinary, migrate, openStore, tokenedInsert, tsvMap, tsvString, tsvTime64, type Store } from '../src';

let store: Store;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-insert-'));
  store = await openStore({ kind: 'embedded', path: dir });
  await migrate(store.client);
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const activeParts = async (table: string) => {
  const rs = await store.client.query({ query: 'SELECT count() AS n FROM system.parts WHERE active AND database = currentDatabase() AND table = {t:String}', query_params: { t: table }, format: 'JSONEachRow' });
  return Number((await rs.json<{ n: string }>())[0]!.n);
};

describe('tokenedInsert', () => {
  it('writes 300,000 rows as one part, and the same rows under the same token again add nothing', async () => {
    // past every size at which ClickHouse could cut an insert into blocks by default
    // (max_insert_block_size 1,048,449 rows is not reached; 10 MB parallel-parsing chunks are)
    const rows = Array.from({ length: 300_000 }, (_, i) => `big\tevent-${i}-${'x'.repeat(40)}\ttok`);
    await store.client.command({ query: 'SYSTEM STOP MERGES event_ids' });
    try {
      const before = await activeParts('event_ids');
      await tokenedInsert(store.client, { table: 'event_ids', columns: ['tenant_id', 'event_id', 'token'], rows, token: 'big-batch' });
      await tokenedInsert(store.client, { table: 'event_ids', columns: ['tenant_id', 'event_id', 'token'], rows, token: 'big-batch' });
      expect(await activeParts('event_ids')).toBe(before + 1);
    } finally {
      await store.client.command({ query: 'SYSTEM START MERGES event_ids' });
    }
    const rs = await store.client.query({ query: "SELECT count() AS n FROM event_ids WHERE tenant_id = 'big'", format: 'JSONEachRow' });
    expect(Number((await rs.json<{ n: string }>())[0]!.n)).toBe(300_000);
  });

  it('round-trips strings and map keys with tabs, newlines, backslashes, quotes and control characters', async () => {
    const nasty = "a\tb\nc\\d'e\u001ff\0g\rh ünï 🎧";
    await store.client.command({ query: 'CREATE TABLE IF NOT EXISTS tsv_probe (s String, m Map(String, UInt64), w Map(UInt16, UInt64), t DateTime64(3, \'UTC\')) ENGINE = MergeTree ORDER BY s' });
    await tokenedInsert(store.client, {
      table: 'tsv_probe', columns: ['s', 'm', 'w', 't'], token: 'probe',
      rows: [`${tsvString(nasty)}\t${tsvMap(new Map([[nasty, 2], ['', 1]]))}\t${tsvMap(new Map([[3, 4]]))}\t${tsvTime64(Date.parse('2026-11-22T10:00:00.123Z'))}`],
    });
    const rs = await store.client.query({ query: "SELECT s, m, w, toUnixTimestamp64Milli(t) AS t FROM tsv_probe", format: 'JSONEachRow' });
    const [r] = await rs.json<{ s: string; m: Record<string, number>; w: Record<string, number>; t: string }>();
    expect(r!.s).toBe(nasty);
    expect(r!.m).toEqual({ [nasty]: 2, '': 1 });
    expect(r!.w).toEqual({ 3: 4 });
    expect(Number(r!.t)).toBe(Date.parse('2026-11-22T10:00:00.123Z'));
  });

  it('writes RowBinary as one part, bytes that read as empty lines included, and deduplicates it by token', async () => {
    const nasty = "a\tb\n\nc\\d'e\u001ff\0g\rh ünï 🎧";
    await store.client.command({ query: "CREATE TABLE IF NOT EXISTS rb_probe (s String, n UInt64, f Float64, m Map(String, UInt64), w Map(UInt16, UInt64)) ENGINE = MergeTree ORDER BY n SETTINGS non_replicated_deduplication_window = 100" });
    await store.client.command({ query: 'SYSTEM STOP MERGES rb_probe' });
    const rb = new RowBinary(16);
    const N = 200_000;
    for (let i = 0; i < N; i++) {
      rb.string(i === 0 ? nasty : `s${i}`);
      rb.uint64(i === 0 ? 0x0a0a0a0a0a : i === 1 ? 2 ** 53 - 1 : i);
      rb.float64(i / 3);
      rb.stringUInt64Map(i === 0 ? new Map([[nasty, 2], ['', 1]]) : new Map());
      rb.uint16UInt64Map(i === 0 ? new Map([[3, 4], [65535, 10]]) : new Map());
    }
    const ins = { table: 'rb_probe', columns: ['s', 'n', 'f', 'm', 'w'], binary: { bytes: rb.bytes(), rowCount: N }, token: 'rb' };
    await tokenedInsert(store.client, ins);
    await tokenedInsert(store.client, ins);
    expect(await activeParts('rb_probe')).toBe(1);
    const rs = await store.client.query({ query: 'SELECT count() AS c, sum(n) AS n, sum(f) AS f FROM rb_probe', format: 'JSONEachRow' });
    const [t] = await rs.json<{ c: string; n: string; f: number }>();
    expect(Number(t!.c)).toBe(N);
    expect(BigInt(t!.n)).toBe(BigInt(0x0a0a0a0a0a) + BigInt(2 ** 53 - 1) + BigInt(((N - 1) * N) / 2) - 1n);
    const one = await store.client.query({ query: 'SELECT s, n, m, w FROM rb_probe WHERE n = 43118103050', format: 'JSONEachRow' });
    const [r] = await one.json<{ s: string; n: string; m: Record<string, number>; w: Record<string, number> }>();
    expect(r!.s).toBe(nasty);
    expect(r!.m).toEqual({ [nasty]: 2, '': 1 });
    expect(r!.w).toEqual({ 3: 4, 65535: 10 });
  });
});
