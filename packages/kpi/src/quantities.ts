import { TOPIC_CODE_SEPARATOR, type KeyMapName, type Measures, type ScalarName, type WaitMapName } from './aggregates';

/**
 * A number a KPI formula needs, derived from merged measures: a scalar column's merged value
 * (a sum or a max), a count from a wait map up to a threshold, or a count from a key map
 * (how many keys, or the events of some keys). The query service turns these into SQL over
 * the merged columns; tests evaluate them over in-memory measures. Both read this one description.
 */
export type Quantity =
  | { kind: 'sum'; column: ScalarName }
  | { kind: 'mapAtMost'; column: WaitMapName; key: number }
  | { kind: 'mapBelow'; column: WaitMapName; key: number }
  /** nearest-rank percentile (p in percent) of a wait map: the smallest key whose cumulative count reaches ⌈p·n/100⌉ (0 when empty) */
  | { kind: 'mapPercentile'; column: WaitMapName; p: number }
  /** distinct keys whose merged count is at least `min` */
  | { kind: 'keysAtLeast'; column: KeyMapName; min: number }
  /** Σ merged counts, of every key or only of the listed ones */
  | { kind: 'keysTotal'; column: KeyMapName; keys: readonly string[] | null }
  /** keys are `group ␟ item`: Σ over groups of the largest count in the group (a topic's most frequent code) */
  | { kind: 'keysGroupMax'; column: KeyMapName }
  /** Σ value × weight of its key (the default weight for keys not listed) */
  | { kind: 'keysWeighted'; column: KeyMapName; weights: Readonly<Record<string, number>>; otherwise: number }
  /**
   * History quantities: they need events outside the window, so the reader answers them from
   * more than the window's row (see packages/warehouse/src/history-reader.ts).
   * `runningTotal`: Σ of a sum column over all windows up to the end of this one.
   */
  | { kind: 'runningTotal'; column: ScalarName }
  /** resolved events with a customer_id in the window (the FCR population) */
  | { kind: 'fcrResolved' }
  /** of those, the ones whose customer opened another contact on the same topic within `windowMs` after */
  | { kind: 'fcrRepeats'; windowMs: number }
  /** the window's length in ms (a local day across a DST change is 23 or 25 hours) */
  | { kind: 'windowMs' }
  /**
   * A staffing requirement of the window, computed per 15-minute staffing interval and combined
   * (docs/staffing.md); NaN when no interval's handle time is known. Reads past the window: the
   * trailing handle time of an interval without wrap-ups.
   */
  | { kind: 'staffing'; measure: StaffingMeasure; slThresholdS: number; slTarget: number; maxOccupancy: number; shrinkage: number };

/** What a staffing quantity combines over a window's intervals: the mean (Erlang C, scheduled, Erlang A) or the largest. */
export type StaffingMeasure = 'required' | 'required_peak' | 'required_scheduled' | 'required_erlang_a';

/** True for quantities that depend on events outside the window they are read for. */
export const isHistoryQuantity = (q: Quantity): boolean =>
  q.kind === 'runningTotal' || q.kind === 'fcrResolved' || q.kind === 'fcrRepeats' || q.kind === 'windowMs' || q.kind === 'staffing';

export function quantityKey(q: Quantity): string {
  switch (q.kind) {
    case 'sum': return q.column;
    case 'mapAtMost': return `${q.column}__le_${q.key}`;
    case 'mapBelow': return `${q.column}__lt_${q.key}`;
    case 'mapPercentile': return `${q.column}__p${q.p}`;
    case 'keysAtLeast': return `${q.column}__keys_ge_${q.min}`;
    case 'keysTotal': return q.keys === null ? `${q.column}__total` : `${q.column}__total_in_${JSON.stringify([...q.keys].sort())}`;
    case 'keysGroupMax': return `${q.column}__group_max`;
    case 'keysWeighted': return `${q.column}__weighted_${JSON.stringify(Object.entries(q.weights).sort())}_${q.otherwise}`;
    case 'runningTotal': return `${q.column}__running_total`;
    case 'fcrResolved': return 'fcr__resolved';
    case 'fcrRepeats': return `fcr__repeats_${q.windowMs}`;
    case 'windowMs': return 'window__ms';
    case 'staffing': return `staffing__${q.measure}_${q.slThresholdS}_${q.slTarget}_${q.maxOccupancy}_${q.shrinkage}`;
  }
}

/** A scalar column's merged value: the sum, or the max for `max` columns. */
export const sum = (column: ScalarName): Quantity => ({ kind: 'sum', column });
export const atMost = (column: WaitMapName, key: number): Quantity => ({ kind: 'mapAtMost', column, key });
export const below = (column: WaitMapName, key: number): Quantity => ({ kind: 'mapBelow', column, key });
export const percentile = (column: WaitMapName, p: number): Quantity => ({ kind: 'mapPercentile', column, p });
/** how many distinct keys (contacts, customers) have at least `min` events */
export const distinctKeys = (column: KeyMapName, min = 1): Quantity => ({ kind: 'keysAtLeast', column, min });
export const keysTotal = (column: KeyMapName, keys: readonly string[] | null = null): Quantity => ({ kind: 'keysTotal', column, keys });
export const keysGroupMax = (column: KeyMapName): Quantity => ({ kind: 'keysGroupMax', column });
export const keysWeighted = (column: KeyMapName, weights: Readonly<Record<string, number>>, otherwise: number): Quantity =>
  ({ kind: 'keysWeighted', column, weights, otherwise });

export const runningTotal = (column: ScalarName): Quantity => ({ kind: 'runningTotal', column });
export const fcrResolved = (): Quantity => ({ kind: 'fcrResolved' });
export const fcrRepeats = (windowMs: number): Quantity => ({ kind: 'fcrRepeats', windowMs });
export const windowLength = (): Quantity => ({ kind: 'windowMs' });
export const staffing = (measure: StaffingMeasure, o: { sl_threshold_s: number; sl_target: number; max_occupancy: number; shrinkage: number }): Quantity =>
  ({ kind: 'staffing', measure, slThresholdS: o.sl_threshold_s, slTarget: o.sl_target, maxOccupancy: o.max_occupancy, shrinkage: o.shrinkage });

/**
 * A quantity over measures merged from events. History quantities read the measures as the
 * whole history (a running total is then the plain sum); FCR pairs events with each other and
 * has no value over measures at all.
 */
export function evalQuantity(q: Quantity, m: Measures): number {
  switch (q.kind) {
    case 'sum': return m[q.column];
    case 'runningTotal': return m[q.column];
    case 'fcrResolved':
    case 'fcrRepeats':
      throw new Error(`${quantityKey(q)} pairs events across windows; it is read from the contact facts, not from measures`);
    case 'windowMs':
    case 'staffing':
      throw new Error(`${quantityKey(q)} depends on the window's span and its 15-minute intervals, not on merged measures`);
    case 'keysAtLeast': {
      let n = 0;
      for (const v of m[q.column].values()) if (v >= q.min) n++;
      return n;
    }
    case 'keysTotal': {
      let n = 0;
      const wanted = q.keys === null ? null : new Set(q.keys);
      for (const [k, v] of m[q.column]) if (wanted === null || wanted.has(k)) n += v;
      return n;
    }
    case 'mapPercentile': {
      let n = 0;
      for (const v of m[q.column].values()) n += v;
      if (n === 0) return 0;
      const rank = Math.ceil((q.p * n) / 100);
      let seen = 0;
      for (const k of [...m[q.column].keys()].sort((a, b) => a - b)) {
        seen += m[q.column].get(k)!;
        if (seen >= rank) return k;
      }
      return 0;
    }
    case 'keysWeighted': {
      let n = 0;
      for (const [k, v] of m[q.column]) n += v * (Object.hasOwn(q.weights, k) ? q.weights[k]! : q.otherwise);
      return n;
    }
    case 'keysGroupMax': {
      const best = new Map<string, number>();
      for (const [k, v] of m[q.column]) {
        const group = k.slice(0, k.indexOf(TOPIC_CODE_SEPARATOR));
        best.set(group, Math.max(best.get(group) ?? 0, v));
      }
      let n = 0;
      for (const v of best.values()) n += v;
      return n;
    }
    default: {
      let n = 0;
      for (const [k, v] of m[q.column]) if (q.kind === 'mapAtMost' ? k <= q.key : k < q.key) n += v;
      return n;
    }
  }
}
