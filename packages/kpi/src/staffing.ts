import { agentsRequired, agentsRequiredErlangA, agentsScheduled } from './erlang';
import type { StaffingMeasure } from './quantities';
import type { Granularity } from './windows';

// Staffing KPIs per window (docs/staffing.md): Erlang is not linear, so a window's requirement
// is never computed from its average load. Each 15-minute staffing interval gets its own
// requirement from its own offered contacts and handle time; a window reports the mean over
// its intervals (required agent-hours ÷ hours, what WFM tools call required FTE) or the largest.

/** The staffing interval. */
export const STAFFING_INTERVAL_MS = 15 * 60_000;
/** An interval without a wrap-up takes the handle time of the trailing 2 hours (its own 15 minutes included), as /v1/realtime does. */
export const STAFFING_AHT_TRAILING_MS = 2 * 3_600_000;
/** The grains staffing KPIs are served at: whole staffing intervals. */
export const STAFFING_GRAINS: readonly Granularity[] = ['15m', '30m', '1h', '1d'];

/** The stored sums one interval's staffing reads. */
export interface IntervalSums {
  queued: number;
  handle_ms: number;
  wrapups: number;
  abandoned_all: number;
  answered_wait_ms: number;
  abandoned_wait_ms: number;
}

export interface StaffingTarget {
  slThresholdS: number;
  slTarget: number;
  maxOccupancy: number;
  shrinkage: number;
}

/**
 * Customers' mean patience estimated from a window (docs/staffing.md, "Erlang A"): the time
 * all contacts waited (answered and abandoned) ÷ the abandons, the maximum-likelihood
 * estimate for exponential patience. Infinity without abandons (nobody hung up: Erlang C);
 * null when contacts hung up without having waited at all.
 */
export function patienceMs(abandoned: number, waitedMs: number): number | null {
  if (abandoned <= 0) return Infinity;
  return waitedMs > 0 ? waitedMs / abandoned : null;
}

/**
 * The staffing values of one window from its intervals' sums: `intervals` are the starts of
 * the window's 15-minute intervals, `at(start)` an interval's sums (undefined: nothing
 * stored). Each measure is NaN when no interval's requirement is known.
 */
export function windowStaffing(intervals: readonly number[], at: (start: number) => IntervalSums | undefined, measures: readonly StaffingMeasure[], t: StaffingTarget): Map<StaffingMeasure, number> {
  // the window's patience, from its own abandons and waits
  let abandoned = 0;
  let waited = 0;
  for (const s of intervals) {
    const x = at(s);
    if (x) {
      abandoned += x.abandoned_all;
      waited += x.answered_wait_ms + x.abandoned_wait_ms;
    }
  }
  const patience = patienceMs(abandoned, waited);
  const acc = new Map<StaffingMeasure, { sum: number; n: number; max: number }>(measures.map((m) => [m, { sum: 0, n: 0, max: -Infinity }]));
  for (const s of intervals) {
    const x = at(s);
    const offered = x?.queued ?? 0;
    let handleMs: number | null = null;
    if (offered > 0) {
      if (x!.wrapups > 0) handleMs = x!.handle_ms / x!.wrapups;
      else {
        let handle = 0;
        let wrapups = 0;
        for (let u = s + STAFFING_INTERVAL_MS - STAFFING_AHT_TRAILING_MS; u <= s; u += STAFFING_INTERVAL_MS) {
          const y = at(u);
          if (y) {
            handle += y.handle_ms;
            wrapups += y.wrapups;
          }
        }
        if (wrapups > 0) handleMs = handle / wrapups;
      }
    }
    const input = { offered, intervalMs: STAFFING_INTERVAL_MS, handleMs: handleMs ?? 0, slThresholdS: t.slThresholdS, slTarget: t.slTarget, maxOccupancy: t.maxOccupancy };
    const c = acc.has('required') || acc.has('required_peak') || acc.has('required_scheduled') ? agentsRequired(input)?.agents ?? null : null;
    for (const [m, a] of acc) {
      let v: number | null;
      if (m === 'required_erlang_a') v = patience === null && offered > 0 ? null : agentsRequiredErlangA({ ...input, patienceMs: patience ?? Infinity })?.agents ?? null;
      else if (m === 'required_scheduled') v = c === null ? null : agentsScheduled(c, t.shrinkage);
      else v = c;
      if (v === null) continue;
      a.sum += v;
      a.n++;
      if (v > a.max) a.max = v;
    }
  }
  const out = new Map<StaffingMeasure, number>();
  for (const [m, a] of acc) out.set(m, a.n === 0 ? NaN : m === 'required_peak' ? a.max : a.sum / a.n);
  return out;
}
