import type { ClickHouseClient } from '@clickhouse/client';
import { isHistoryQuantity, physicalTables, requiredQuantities, zonedWindowEnd, zonedWindowStarts } from '@switchboard/kpi';
import { activeParts, partsFingerprint, partsOverlapping, readKpiTable, windowSource, type KpiQuery, type KpiTable } from '@switchboard/warehouse';
import { chunkOf, emptyWindowValues, kpiAnswerParts, type KpiChunk, type JsonKpiFormat } from './kpi-json';

const DAY = 86_400_000;
const BODIES = 8;

export interface AnswerBody {
  windows?: Buffer;
  series: Buffer;
}

/** The windows of one chunk: those starting on one UTC day, and the span of rows they read. */
interface Span {
  windows: number[];
  start: number;
  end: number;
}

interface Entry {
  /** the active parts of the source table over the chunk's span when it was read */
  parts: string;
  chunk: KpiChunk;
  bytes: number;
}

/**
 * /v1/kpis answers kept per UTC day of windows, so that a dashboard's repeated or sliding
 * query reads from ClickHouse only the days whose rows changed, typically today.
 *
 * Why it is exact: a KPI without history (all but backlog and FCR) is a function of the rows
 * of its own window. A chunk is kept with the names of the active parts of the source table
 * whose `bucket` range (system.parts' min/max of the partition key column) meets the chunk's
 * span, read before the rows. A part's name stands for fixed content: an insert, a merge, a
 * mutation or a TTL drop changes the set of names over the span, and the chunk is read again.
 * A merge only re-reads a chunk whose value it cannot have changed; nothing that changes a
 * value leaves the names alone. Backlog, FCR and top_topics read outside their windows and are
 * not cached.
 *
 * Memory is bounded by `maxBytes` (values and the JSON written from them), least recently used
 * first out.
 */
export class KpiChunkCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private nextId = 1;
  /** whole bodies of answers made only of kept chunks, by format and chunk ids (a dashboard's repeated query) */
  private readonly bodies = new Map<string, AnswerBody>();
  private bodyBytes = 0;
  /** chunks read from ClickHouse and chunks answered from memory, for the tests and the bench */
  readonly stats = { read: 0, kept: 0 };

  constructor(private readonly client: ClickHouseClient, private readonly maxBytes: number) {}

  static cacheable(q: KpiQuery): boolean {
    return !q.topTopics && ![...requiredQuantities(q.kpis, q.options).values()].some(isHistoryQuantity);
  }

  /** The answer to `q` as consecutive chunks (one, read now, when it cannot be cached). */
  async read(tenant: string, q: KpiQuery): Promise<KpiChunk[]> {
    const empty = emptyWindowValues(q.kpis, q.options);
    if (this.maxBytes <= 0 || !KpiChunkCache.cacheable(q)) return [chunkOf(await readKpiTable(this.client, tenant, q), empty)];
    const tz = q.tz ?? 'UTC';
    const spans = daySpans(zonedWindowStarts(q.from, q.to, q.granularity, tz), (w) => zonedWindowEnd(w, q.granularity, tz));
    // before any row is read: what is kept stays valid only if these parts are all there are
    const parts = await activeParts(this.client, physicalTables(windowSource(q, tz).table));
    const base = `${tenant}\u0000${queryKey(q)}`;
    const keys = spans.map((s) => `${base}\u0000${s.start}\u0000${s.windows.length}`);
    const seen = spans.map((s) => partsFingerprint(partsOverlapping(parts, s.start, s.end)));
    const chunks: (KpiChunk | undefined)[] = keys.map((key, i) => {
      const e = this.entries.get(key);
      if (!e || e.parts !== seen[i]) return undefined;
      // least recently used goes first: re-inserting moves it to the end
      this.entries.delete(key);
      this.entries.set(key, e);
      this.stats.kept++;
      return e.chunk;
    });
    // each run of consecutive missing chunks in one read
    for (let i = 0; i < spans.length; ) {
      if (chunks[i]) { i++; continue; }
      let j = i;
      while (j < spans.length && !chunks[j]) j++;
      const table = await readKpiTable(this.client, tenant, { ...q, from: spans[i]!.start, to: spans[j - 1]!.end });
      let offset = 0;
      for (let k = i; k < j; k++) {
        const chunk = this.keep(keys[k]!, seen[k]!, slice(table, offset, spans[k]!.windows.length, q.groupBy.length === 0), empty);
        chunks[k] = chunk;
        offset += spans[k]!.windows.length;
      }
      this.stats.read += j - i;
      i = j;
    }
    return chunks as KpiChunk[];
  }

  /**
   * The answer's JSON after `"windows":` (columns) and after `"series":` (see kpiAnswerParts),
   * each one buffer. Bodies made only of kept chunks are kept too, the last BODIES of them
   * (within an eighth of the budget): the same chunks in the same order are the same bytes.
   */
  body(chunks: KpiChunk[], format: JsonKpiFormat): AnswerBody {
    const key = chunks.every((c) => c.id !== undefined) ? `${format}:${chunks.map((c) => c.id).join(',')}` : undefined;
    const hit = key === undefined ? undefined : this.bodies.get(key);
    if (hit) {
      this.bodies.delete(key!);
      this.bodies.set(key!, hit);
      return hit;
    }
    const parts = kpiAnswerParts(chunks, format);
    const body: AnswerBody = { series: Buffer.concat(parts.series), ...(parts.windows ? { windows: Buffer.concat(parts.windows) } : {}) };
    const size = body.series.length + (body.windows?.length ?? 0);
    if (key === undefined || size > this.maxBytes / 8) return body;
    this.bodies.set(key, body);
    this.bodyBytes += size;
    for (const [k, b] of this.bodies) {
      if (this.bodies.size <= BODIES && this.bodyBytes <= this.maxBytes / 8) break;
      this.bodies.delete(k);
      this.bodyBytes -= b.series.length + (b.windows?.length ?? 0);
    }
    return body;
  }

  private keep(key: string, parts: string, table: KpiTable, empty: Float64Array): KpiChunk {
    const chunk = chunkOf(table, empty);
    chunk.id = this.nextId++;
    const entry: Entry = { parts, chunk, bytes: table.values.byteLength + table.nulls.byteLength * 2 + table.ts.length * 24 + table.groups.length * 64 };
    chunk.memo = new Map();
    chunk.onMemo = (n) => {
      if (this.entries.get(key) !== entry) return;
      entry.bytes += n;
      this.bytes += n;
      this.evict();
    };
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.bytes -= old.bytes;
    }
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    this.evict();
    return chunk;
  }

  private evict(): void {
    for (const [key, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= e.bytes;
    }
  }

}

/** Windows grouped by the UTC day they start on. */
function daySpans(windows: number[], endOf: (w: number) => number): Span[] {
  const spans: Span[] = [];
  for (const w of windows) {
    const last = spans.at(-1);
    if (last && Math.floor(last.windows[0]! / DAY) === Math.floor(w / DAY)) last.windows.push(w);
    else spans.push({ windows: [w], start: w, end: 0 });
  }
  for (const s of spans) s.end = endOf(s.windows.at(-1)!);
  return spans;
}

/** What a chunk's values depend on besides its windows and the tenant. */
function queryKey(q: KpiQuery): string {
  return JSON.stringify([q.kpis.map((k) => k.id), q.granularity, q.tz ?? 'UTC', q.groupBy, q.filters, q.options]);
}

/**
 * `count` windows of the table from `offset`, with the groups that have a row in them (the
 * one group of an ungrouped query always: its answer has it, rows or not).
 */
function slice(t: KpiTable, offset: number, count: number, ungrouped: boolean): KpiTable {
  const width = t.ids.length;
  const n = t.windows.length;
  const kept: number[] = [];
  t.groups.forEach((_, g) => {
    if (ungrouped || t.hasRow.subarray(g * n + offset, g * n + offset + count).some((x) => x === 1)) kept.push(g);
  });
  const values = new Float64Array(kept.length * count * width);
  const nulls = new Uint8Array(values.length);
  const hasRow = new Uint8Array(kept.length * count);
  kept.forEach((g, i) => {
    const from = (g * n + offset) * width;
    values.set(t.values.subarray(from, from + count * width), i * count * width);
    nulls.set(t.nulls.subarray(from, from + count * width), i * count * width);
    hasRow.set(t.hasRow.subarray(g * n + offset, g * n + offset + count), i * count);
  });
  return {
    groups: kept.map((g) => t.groups[g]!), windows: t.windows.slice(offset, offset + count), ts: t.ts.slice(offset, offset + count), ids: t.ids, values, nulls, hasRow,
  };
}
