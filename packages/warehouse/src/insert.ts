import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Settings that make an insert one block, so a deduplication token names the whole insert:
 * ClickHouse derives each block's token from the insert's token and the block's index, so
 * the same rows cut into a different number of blocks on a replay would deduplicate
 * differently (docs/architecture.md, "Exactly once"). One block per insert, whatever its size:
 * no parallel parsing (it cuts the input into ~10 MB chunks), no row limit per block, and no
 * squashing. A partitioned table still splits the block by partition, deterministically.
 */
export const ONE_BLOCK_SETTINGS = {
  max_insert_block_size: '1000000000',
  max_insert_block_size_rows: '1000000000',
  min_insert_block_size_rows: '0',
  min_insert_block_size_bytes: '0',
  input_format_parallel_parsing: '0',
} as const;

export interface TokenedInsert {
  table: string;
  columns: readonly string[];
  /** rows as TabSeparated text, one line per row (see tsvString, tsvMap) */
  rows: string[];
  /** names this insert for ClickHouse's deduplication: the same token twice inserts once */
  token: string;
}

/** Statements the write path sent since start, by table (for the bench and /metrics). */
export class InsertStats {
  /** lookups (SELECTs) of the write path: count and wall-clock ms, by table */
  readonly lookups = new Map<string, { n: number; ms: number }>();
  recordLookup(table: string, ms: number): void {
    const l = this.lookups.get(table) ?? { n: 0, ms: 0 };
    l.n++;
    l.ms += ms;
    this.lookups.set(table, l);
  }
  readonly inserts = new Map<string, number>();
  readonly rows = new Map<string, number>();
  /** wall-clock milliseconds spent in the insert (text building excluded) */
  readonly ms = new Map<string, number>();
  record(table: string, rows: number, ms = 0): void {
    this.inserts.set(table, (this.inserts.get(table) ?? 0) + 1);
    this.rows.set(table, (this.rows.get(table) ?? 0) + rows);
    this.ms.set(table, (this.ms.get(table) ?? 0) + ms);
  }
}

/**
 * The one way the pipeline writes: a client-side insert of TabSeparated rows as one block under
 * a deduplication token. Every retry or replay of the same rows under the same token lands at
 * most once; set on every call, since embedded chDB keeps the previous call's settings.
 */
export async function tokenedInsert(client: ClickHouseClient, ins: TokenedInsert, stats?: InsertStats): Promise<void> {
  if (ins.rows.length === 0) return;
  // one joined string, encoded once (measured faster than writing row by row into a buffer)
  const body = Buffer.from(`${ins.rows.join('\n')}\n`);
  const t0 = performance.now();
  await client.insert({
    table: ins.table,
    columns: ins.columns as [string, ...string[]],
    values: Readable.from([body], { objectMode: false }),
    format: 'TabSeparated',
    clickhouse_settings: {
      insert_deduplication_token: ins.token,
      ...ONE_BLOCK_SETTINGS,
      // rows that share a key are merged by the table's merges and by every read anyway;
      // merging them in the insert too costs a sort-and-fold of each block (~30 % of an insert)
      optimize_on_insert: '0',
      // one block is parsed and written by one thread anyway; a pool of threads per insert
      // costs more CPU than it saves on two cores (measured: 4.4 against 11.9 µs a row)
      max_threads: '1',
      max_insert_threads: '1',
    } as Record<string, string>,
  });
  stats?.record(ins.table, ins.rows.length, performance.now() - t0);
}

// TabSeparated escapes: a field never holds a raw tab, newline or backslash.
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0', '\b': '\\b', '\f': '\\f' };
const TSV_SPECIAL = /[\\\t\n\r\0\b\f]/g;
const HAS_TSV_SPECIAL = /[\\\t\n\r\0\b\f]/;
const QUOTED_SPECIAL = /[\\\t\n\r\0\b\f']/g;
const QUOTED_ESCAPES: Record<string, string> = { ...TSV_ESCAPES, "'": "\\'" };

/** A String field of a TabSeparated row. */
export function tsvString(s: string): string {
  return HAS_TSV_SPECIAL.test(s) ? s.replace(TSV_SPECIAL, (c) => TSV_ESCAPES[c]!) : s;
}

/** A quoted string inside a composite TabSeparated value (a map key). */
function quoted(s: string): string {
  return `'${s.replace(QUOTED_SPECIAL, (c) => QUOTED_ESCAPES[c]!)}'`;
}

/** A Map(String | UInt…, UInt64) field of a TabSeparated row. */
export function tsvMap(m: ReadonlyMap<string | number, number>): string {
  if (m.size === 0) return '{}';
  let out = '{';
  for (const [k, v] of m) out += `${out.length > 1 ? ',' : ''}${typeof k === 'string' ? quoted(k) : k}:${v}`;
  return `${out}}`;
}

/** A DateTime64(3) field from epoch ms: seconds since the epoch with three decimals, which ClickHouse reads as a Unix time. */
export function tsvTime64(ms: number): string {
  const s = Math.floor(ms / 1000);
  const frac = ms - s * 1000;
  return `${s}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}
