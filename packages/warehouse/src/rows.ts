import type { ContactEvent } from '@switchboard/events';
import { AGGREGATE_COLUMNS, DIMENSIONS, NO_BUSINESS_CONFIG, dimValue, emptyMeasures, emptyStateTime, foldEventByMinute, widenStateTime, type FoldContext, type Measures, type StateTimeMeasures } from '@switchboard/kpi';

interface RowKey {
  tenant_id: string;
  /** window start, epoch ms */
  bucket: number;
  dims: Record<(typeof DIMENSIONS)[number], string>;
}

/**
 * One row of a stored table, before it is written. Most rows keyed by agent hold an agent's
 * state time and nothing else (the minutes a state spanned, foldEventByMinute): `stateOnly`,
 * with only those five measures, written to the narrow state-time table of an agent grain
 * (STORED_TABLES' `split`). Every other row has every measure.
 */
export type AggregateRow = (RowKey & { stateOnly: false; measures: Measures }) | (RowKey & { stateOnly: true; measures: StateTimeMeasures });

/** Every measure of a row (a stateOnly row's widened into a new object). */
export function wideMeasures(r: AggregateRow): Measures {
  return r.stateOnly ? widenStateTime(r.measures, r.dims.team_id) : r.measures;
}

/**
 * Folds events into 1-minute rows by (tenant, event-time window, dimensions), an agent state's
 * time split across the minutes it spanned (foldEventByMinute). Deterministic for a given
 * event order. `keyDims`: the dimensions that key a row (all of them by default; the
 * kpi_queue_* tables' rows are keyed by every dimension but the agent, which is then '').
 * `context`: the calendars and SLA policies business-time and SLA measures are taken with.
 */
export function aggregateMinuteRows(
  events: Iterable<ContactEvent>,
  keyDims: readonly (typeof DIMENSIONS)[number][] = DIMENSIONS,
  context: FoldContext = NO_BUSINESS_CONFIG,
): AggregateRow[] {
  // rows by tenant and dimensions, then by minute: an agent state's pieces look up their
  // minutes by number under one key built per event; `out` keeps the order rows were made in.
  // Every row of a key shares one dimensions object (never written to), so mergeRows and the
  // writer can tell rows of one key by it without building the key again.
  const byKey = new Map<string, { dims: AggregateRow['dims']; minutes: Map<number, AggregateRow> }>();
  const out: AggregateRow[] = [];
  // the event being folded, and its key's dimension values and rows by minute
  let e!: ContactEvent;
  let minutes!: Map<number, AggregateRow>;
  let dims!: AggregateRow['dims'];
  const newRow = (bucket: number, stateOnly: boolean): AggregateRow => {
    const row: AggregateRow = stateOnly
      ? { tenant_id: e.tenant_id, bucket, dims, stateOnly: true, measures: emptyStateTime() }
      : { tenant_id: e.tenant_id, bucket, dims, stateOnly: false, measures: emptyMeasures() };
    minutes.set(bucket, row);
    out.push(row);
    return row;
  };
  // a row every measure may be written to: a narrow row another event lands in is widened
  const rowAt = (bucket: number): Measures => {
    const row = minutes.get(bucket) ?? newRow(bucket, false);
    if (!row.stateOnly) return row.measures;
    const wide = widenStateTime(row.measures, row.dims.team_id);
    const widened = row as { stateOnly: boolean; measures: Measures | StateTimeMeasures };
    widened.stateOnly = false;
    widened.measures = wide;
    return wide;
  };
  // a row only state time is written to: narrow when new
  const stateAt = (bucket: number): StateTimeMeasures | Measures => (minutes.get(bucket) ?? newRow(bucket, true)).measures;
  for (const event of events) {
    e = event;
    let key = e.tenant_id;
    for (const d of keyDims) key += `\u0001${dimValue(e, d)}`;
    let k = byKey.get(key);
    if (!k) {
      const d = {} as AggregateRow['dims'];
      for (const name of DIMENSIONS) d[name] = keyDims.includes(name) ? dimValue(e, name) : '';
      byKey.set(key, (k = { dims: d, minutes: new Map() }));
    }
    minutes = k.minutes;
    dims = k.dims;
    // an agent state's time lands in the minutes it spanned, older ones included: they are
    // rows of this batch like any other, written under its one token (kpi-writer.ts)
    foldEventByMinute(e, rowAt, context, stateAt);
  }
  return out;
}

/** The JSONEachRow shape of the kpi_agg_<grain> tables: DateTime as epoch seconds, wait maps as objects. */
export function toInsertRow(r: AggregateRow): Record<string, unknown> {
  const out: Record<string, unknown> = { tenant_id: r.tenant_id, bucket: r.bucket / 1000, ...r.dims };
  const m = wideMeasures(r);
  for (const c of AGGREGATE_COLUMNS) {
    const v = m[c.name];
    out[c.name] = v instanceof Map ? Object.fromEntries(v) : v;
  }
  return out;
}
