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
  // a RowBinary insert is read from a file by chDB, which cuts the input every max_block_size rows
  max_block_size: '1000000000',
} as const;

export interface TokenedInsert {
  table: string;
  columns: readonly string[];
  /** rows as TabSeparated text, one line per row (see tsvString, tsvMap) … */
  rows?: string[];
  /** … or as RowBinary bytes, `rowCount` rows in `columns` order (see RowBinary) */
  binary?: { bytes: Buffer; rowCount: number };
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
  const rowCount = ins.binary ? ins.binary.rowCount : ins.rows?.length ?? 0;
  if (rowCount === 0) return;
  // one joined string, encoded once (measured faster than writing row by row into a buffer)
  const body = ins.binary ? ins.binary.bytes : Buffer.from(`${ins.rows!.join('\n')}\n`);
  const t0 = performance.now();
  await client.insert({
    table: ins.table,
    columns: ins.columns as [string, ...string[]],
    values: Readable.from([body], { objectMode: false }),
    // RowBinary is not in @clickhouse/client's list of insert formats: openStore's client
    // sends it itself (embedded: chDB's raw insert; a server: an INSERT … FORMAT RowBinary body)
    format: (ins.binary ? ROW_BINARY : 'TabSeparated') as 'TabSeparated',
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
  stats?.record(ins.table, rowCount, performance.now() - t0);
}

export const ROW_BINARY = 'RowBinary';

const F64 = new Float64Array(1);
const F64_BYTES = new Uint8Array(F64.buffer);
const TWO_32 = 2 ** 32;

/**
 * Rows in ClickHouse's RowBinary format, written straight into one growing Buffer: no string
 * per row or field, and no text for ClickHouse to parse (numbers, maps and strings are read
 * as bytes). Fields are written in the insert's column order; each method writes one field of
 * the named ClickHouse type (a LowCardinality(T), SimpleAggregateFunction(f, T) or Enum8 is
 * written as its T / Int8).
 */
export class RowBinary {
  buf: Buffer;
  pos = 0;
  rows = 0;
  constructor(initialBytes = 1 << 16) {
    this.buf = Buffer.allocUnsafe(initialBytes);
  }
  /** room for n more bytes */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  /** the rows written so far (a view of the buffer, valid until the next write) */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
  uint8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }
  uint16(v: number): void {
    this.ensure(2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = v & 0xff;
    b[p++] = (v >>> 8) & 0xff;
    this.pos = p;
  }
  uint32(v: number): void {
    this.ensure(4);
    const b = this.buf;
    let p = this.pos;
    b[p++] = v & 0xff;
    b[p++] = (v >>> 8) & 0xff;
    b[p++] = (v >>> 16) & 0xff;
    b[p++] = (v >>> 24) & 0xff;
    this.pos = p;
  }
  /** UInt64 from a safe integer; a negative one as its two's complement (as ClickHouse reads '-n' in text) */
  uint64(v: number): void {
    this.ensure(8);
    const b = this.buf;
    let p = this.pos;
    if (v >= 0 && v < TWO_32 && (v | 0) === v) {
      b[p++] = v & 0xff;
      b[p++] = (v >>> 8) & 0xff;
      b[p++] = (v >>> 16) & 0xff;
      b[p++] = (v >>> 24) & 0xff;
      b[p++] = 0;
      b[p++] = 0;
      b[p++] = 0;
      b[p++] = 0;
      this.pos = p;
      return;
    }
    if (v >= 0 && Number.isSafeInteger(v)) {
      const hi = Math.floor(v / TWO_32);
      b.writeUInt32LE(v - hi * TWO_32, p);
      b.writeUInt32LE(hi, p + 4);
    } else {
      // throws on a fraction, as the text form would fail to parse
      b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), p);
    }
    this.pos = p + 8;
  }
  /** Int64 from a safe integer (a DateTime64(3) as epoch ms) */
  int64(v: number): void {
    if (!Number.isSafeInteger(v)) throw new RangeError(`Int64 from ${v}`);
    this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    this.buf.writeUInt32LE(v - hi * TWO_32, this.pos);
    this.buf.writeInt32LE(hi, this.pos + 4);
    this.pos += 8;
  }
  float64(v: number): void {
    this.ensure(8);
    F64[0] = v;
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < 8; i++) b[p++] = F64_BYTES[i]!;
    this.pos = p;
  }
  /** LEB128 length prefix */
  varUInt(v: number): void {
    this.ensure(10);
    const b = this.buf;
    let p = this.pos;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    b[p++] = v;
    this.pos = p;
  }
  /** String: UTF-8 bytes with their length first (any byte may appear, nothing is escaped) */
  string(s: string): void {
    const n = s.length;
    if (n < 0x80) {
      // ASCII (the usual case): one length byte, one byte a character
      this.ensure(n + 1);
      const b = this.buf;
      const start = this.pos;
      let p = start + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[p++] = c;
      }
      if (i === n) {
        b[start] = n;
        this.pos = p;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varUInt(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, len, 'utf8');
  }
  /** Map(String, UInt64) */
  stringUInt64Map(m: ReadonlyMap<string, number>): void {
    this.varUInt(m.size);
    for (const [k, v] of m) {
      this.string(k);
      this.uint64(v);
    }
  }
  /** Map(UInt16, UInt64) */
  uint16UInt64Map(m: ReadonlyMap<number, number>): void {
    this.varUInt(m.size);
    for (const [k, v] of m) {
      this.uint16(k);
      this.uint64(v);
    }
  }
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
