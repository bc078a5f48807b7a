import { TOP_TOPICS_ID, type KpiDefinition, type KpiOptions } from '@switchboard/kpi';
import type { KpiTable } from '@switchboard/warehouse';

/** How a /v1/kpis answer lays out its values: JSON points or columns, or CSV rows (kpi-csv.ts). */
export const KPI_FORMATS = ['points', 'columns', 'csv'] as const;
export type KpiFormat = (typeof KPI_FORMATS)[number];
/** The JSON layouts (CSV is written from the points). */
export type JsonKpiFormat = Exclude<KpiFormat, 'csv'>;

/**
 * A run of consecutive windows of an answer: the whole answer, or one UTC day of it as the
 * answer cache keeps it (kpi-cache.ts). An answer is its chunks side by side; a group missing
 * from a chunk had no row in any of its windows there, so each of its windows has `empty`.
 */
export interface KpiChunk {
  table: KpiTable;
  /** group key → index in table.groups */
  index: Map<string, number>;
  /** each KPI's value of a window without rows (the formulas over nothing), NaN where null */
  empty: Float64Array;
  /** JSON fragments already written for this chunk, UTF-8 (cached chunks only), and what they cost */
  memo?: Map<string, Buffer>;
  /** set on kept chunks: the same id, the same values */
  id?: number;
  onMemo?: (bytes: number) => void;
}

/** The KPIs' values over a window no row fell in (history-free KPIs: every quantity 0). */
export function emptyWindowValues(kpis: KpiDefinition[], options: KpiOptions): Float64Array {
  const unique = [...new Map(kpis.map((k) => [k.id, k])).values()];
  return Float64Array.from(unique, (k) => {
    const zeros = Object.fromEntries(Object.keys(k.inputs(options)).map((name) => [name, 0]));
    return k.compute(zeros, options) ?? NaN;
  });
}

export function chunkOf(table: KpiTable, empty: Float64Array): KpiChunk {
  return { table, index: new Map(table.groups.map((g, i) => [g.key, i])), empty };
}

// numbers as JSON.stringify writes them; null for "no value" (and the non-finite, as it would)
const num = (v: number, isNull: number) => (isNull || !Number.isFinite(v) ? 'null' : String(v));

// kept as UTF-8: a kept answer is then sent without encoding its text again
function memoized(c: KpiChunk, key: string, write: () => string): Buffer {
  const hit = c.memo?.get(key);
  if (hit !== undefined) return hit;
  const bytes = Buffer.from(write(), 'utf8');
  if (c.memo) {
    c.memo.set(key, bytes);
    c.onMemo?.(bytes.length + key.length * 2 + 64);
  }
  return bytes;
}

/** The chunk's points of group `key` (no brackets), as JSON.stringify writes a point object. */
function pointsOf(c: KpiChunk, key: string): Buffer {
  return memoized(c, `p\u0000${key}`, () => {
    const t = c.table;
    const gi = c.index.get(key);
    const width = t.ids.length;
    const names = t.ids.map((id) => `,${JSON.stringify(id)}:`);
    const topKey = `,${JSON.stringify(TOP_TOPICS_ID)}:`;
    const points: string[] = new Array(t.windows.length);
    let at = (gi ?? 0) * t.windows.length * width;
    for (let wi = 0; wi < t.windows.length; wi++) {
      let p = `{"ts":"${t.ts[wi]!}"`;
      for (let k = 0; k < width; k++, at++) {
        p += names[k]! + (gi === undefined ? num(c.empty[k]!, 0) : num(t.values[at]!, t.nulls[at]!));
      }
      if (t.topTopics && gi !== undefined) p += topKey + JSON.stringify(t.topTopics[gi]![wi]);
      points[wi] = `${p}}`;
    }
    return points.join(',');
  });
}

/** The chunk's values of KPI k for group `key`, one per window (no brackets). */
function columnOf(c: KpiChunk, key: string, k: number): Buffer {
  return memoized(c, `c\u0000${k}\u0000${key}`, () => {
    const t = c.table;
    const gi = c.index.get(key);
    const width = t.ids.length;
    if (gi === undefined) return new Array<string>(t.windows.length).fill(num(c.empty[k]!, 0)).join(',');
    const out: string[] = new Array(t.windows.length);
    for (let wi = 0, at = gi * t.windows.length * width + k; wi < t.windows.length; wi++, at += width) out[wi] = num(t.values[at]!, t.nulls[at]!);
    return out.join(',');
  });
}

/** The groups of the chunks together, in answer order (by key, as readKpiTable sorts them). */
function groupsOf(chunks: KpiChunk[]): KpiTable['groups'] {
  const all = new Map<string, KpiTable['groups'][number]>();
  for (const c of chunks) for (const g of c.table.groups) if (!all.has(g.key)) all.set(g.key, g);
  return [...all.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** `[a,b,…]` of fragments that are each a comma-separated list (no brackets), skipping none */
function joined(out: Buffer[], parts: Buffer[], open: string, close: string): void {
  out.push(Buffer.from(open));
  parts.forEach((p, i) => {
    if (i > 0) out.push(COMMA);
    out.push(p);
  });
  out.push(Buffer.from(close));
}
const COMMA = Buffer.from(',');

/**
 * The JSON of an answer's series after `"series":` and, for the columns layout, of its window
 * list after `"windows":`, as UTF-8 pieces to send one after the other.
 *  - points: `[{group, points: [{ts, <kpi>: value…}]}]`, exactly as JSON.stringify writes
 *    readKpis' series;
 *  - columns: the window starts once, and per group one array per KPI, one value per window
 *    (top_topics: one list per window): a fifth of the bytes of points for a wide answer.
 */
export function kpiAnswerParts(chunks: KpiChunk[], format: JsonKpiFormat): { series: Buffer[]; windows?: Buffer[] } {
  const groups = groupsOf(chunks);
  const series: Buffer[] = [Buffer.from('[')];
  if (format === 'points') {
    groups.forEach(({ key, group }, g) => {
      joined(series, chunks.map((c) => pointsOf(c, key)), `${g > 0 ? ',' : ''}{"group":${JSON.stringify(group)},"points":[`, ']}');
    });
    series.push(Buffer.from(']'));
    return { series };
  }
  const ids = chunks[0]?.table.ids ?? [];
  const windows: Buffer[] = [];
  joined(windows, chunks.map((c) => memoized(c, 'w', () => c.table.ts.map((x) => `"${x}"`).join(','))), '[', ']');
  groups.forEach(({ key, group }, g) => {
    series.push(Buffer.from(`${g > 0 ? ',' : ''}{"group":${JSON.stringify(group)},"values":{`));
    ids.forEach((id, k) => joined(series, chunks.map((c) => columnOf(c, key, k)), `${k > 0 ? ',' : ''}${JSON.stringify(id)}:[`, ']'));
    // top_topics is never cached: its chunk is the whole answer and has every group
    const top = chunks[0]?.table.topTopics;
    if (top) series.push(Buffer.from(`${ids.length > 0 ? ',' : ''}${JSON.stringify(TOP_TOPICS_ID)}:${JSON.stringify(top[chunks[0]!.index.get(key)!])}`));
    series.push(Buffer.from('}}'));
  });
  series.push(Buffer.from(']'));
  return { series, windows };
}

/** kpiAnswerParts as text. */
export function kpiAnswerJson(chunks: KpiChunk[], format: JsonKpiFormat): { series: string; windows?: string } {
  const parts = kpiAnswerParts(chunks, format);
  return { series: Buffer.concat(parts.series).toString('utf8'), ...(parts.windows ? { windows: Buffer.concat(parts.windows).toString('utf8') } : {}) };
}

/**
 * The JSON text of readKpis' series, exactly as JSON.stringify writes them (keys in the same
 * order, numbers as Number#toString, null, and non-finite numbers as null), written from the
 * table without a point object per window.
 */
export function kpiSeriesJson(t: KpiTable): string {
  return kpiAnswerJson([chunkOf(t, new Float64Array(t.ids.length))], 'points').series;
}
