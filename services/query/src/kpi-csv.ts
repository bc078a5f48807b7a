import { stringify } from 'csv-stringify/sync';

/** A series of the points layout, as kpiAnswerParts writes it. */
export interface PointsSeries {
  group: Record<string, string | null>;
  points: Record<string, unknown>[];
}

/**
 * `/v1/kpis?format=csv` (docs/api.md, "CSV"): one row per group and window — the window start,
 * each group_by dimension, each KPI — for spreadsheets and BI imports. A null (no value, or an
 * event without the dimension) is an empty cell; top_topics is its JSON list in one cell. Text
 * cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) get a
 * leading apostrophe, so a queue named `=HYPERLINK(…)` stays text; numbers are left as they are.
 */
export function kpiCsv(series: PointsSeries[], metrics: readonly string[], groupBy: readonly string[]): string {
  const cell = (v: unknown): string | number => (v === null || v === undefined ? '' : typeof v === 'number' ? v : JSON.stringify(v));
  const rows: (string | number)[][] = [['window_start', ...groupBy, ...metrics]];
  for (const s of series) {
    for (const p of s.points) rows.push([String(p.ts), ...groupBy.map((d) => s.group[d] ?? ''), ...metrics.map((m) => cell(p[m]))]);
  }
  return stringify(rows, { escape_formulas: true, record_delimiter: 'windows' });
}
