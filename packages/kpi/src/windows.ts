import { isRealDateTime } from '@switchboard/events';
/** Window lengths the API serves. */
export const GRANULARITIES = { '1m': 60, '5m': 300, '15m': 900, '30m': 1800, '1h': 3600, '1d': 86400 } as const;
export type Granularity = keyof typeof GRANULARITIES;
export const GRANULARITY_IDS = Object.keys(GRANULARITIES) as Granularity[];


export function granularityMs(g: Granularity): number {
  return GRANULARITIES[g] * 1000;
}

/** Start of the UTC-aligned window holding an event time (epoch ms). Event time, never arrival time. */
export function windowStart(occurredAt: number, g: Granularity): number {
  const size = granularityMs(g);
  return Math.floor(occurredAt / size) * size;
}

/** The window starts covering [from, to): from aligned down, to exclusive. */
export function windowStarts(from: number, to: number, g: Granularity): number[] {
  const size = granularityMs(g);
  const out: number[] = [];
  for (let t = windowStart(from, g); t < to; t += size) out.push(t);
  return out;
}

// ---- windows in an IANA time zone -------------------------------------------------------
// Offsets of every zone in use are multiples of 15 minutes, so windows of 1m, 5m and 15m are
// the same in every zone; 30m, 1h and 1d windows start at the zone's wall-clock boundaries,
// and a day is 23 or 25 hours long across a DST change.

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** True for a time zone name this runtime knows (IANA, e.g. Europe/Berlin), UTC included. */
export function isTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant, in ms (local = utc + offset). */
export function zoneOffsetMs(tz: string, t: number): number {
  const p: Record<string, number> = {};
  for (const { type, value } of formatter(tz).formatToParts(t)) if (type !== 'literal') p[type] = Number(value);
  const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return local - Math.floor(t / 1000) * 1000;
}

const zoned = (g: Granularity, tz: string) => tz !== 'UTC' && (g === '30m' || g === '1h' || g === '1d');

/** Start of the window holding `t` in zone `tz`: the local day, hour or half hour it falls in. */
export function zonedWindowStart(t: number, g: Granularity, tz: string): number {
  if (!zoned(g, tz)) return windowStart(t, g);
  const size = granularityMs(g);
  const offset = zoneOffsetMs(tz, t);
  const localStart = Math.floor((t + offset) / size) * size;
  if (g !== '1d') return localStart - offset; // zones change offset on whole hours
  // local midnight: its own offset may differ from t's when a DST change lies in between
  let u = localStart - offset;
  for (let i = 0; i < 2; i++) u = localStart - zoneOffsetMs(tz, u);
  return u;
}

/** Window starts covering [from, to) in zone `tz`; days across a DST change are 23 or 25 h. */
export function zonedWindowStarts(from: number, to: number, g: Granularity, tz: string): number[] {
  if (!zoned(g, tz)) return windowStarts(from, to, g);
  const out: number[] = [];
  const step = g === '1d' ? granularityMs(g) + 3 * 3_600_000 : granularityMs(g);
  for (let w = zonedWindowStart(from, g, tz); w < to; w = g === '1d' ? zonedWindowStart(w + step, g, tz) : w + step) out.push(w);
  return out;
}

/** Whether windows of this grain in this zone differ from the UTC-aligned ones. */
export const isZonedGrain = zoned;

/** End of the window starting at `start` (exclusive): the next window's start. */
export function zonedWindowEnd(start: number, g: Granularity, tz: string): number {
  return zoned(g, tz) && g === '1d' ? zonedWindowStart(start + granularityMs(g) + 3 * 3_600_000, g, tz) : start + granularityMs(g);
}

/** The instants an API accepts: what the store's DateTime columns hold (1970 on) and before 2100. */
export const INSTANT_MIN = 0;
export const INSTANT_MAX = Date.UTC(2100, 0, 1);
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/;

/**
 * An API timestamp (ISO-8601 with a UTC offset, or a bare date meaning its UTC midnight) as
 * epoch ms, or why it is refused: not ISO-8601, a date or time that does not exist (Date.parse
 * would roll 2026-11-31 over to December 1; the check events get at ingest), or outside [1970, 2100).
 */
export function parseInstant(v: string): number | { reason: string } {
  if (!ISO_INSTANT.test(v)) return { reason: `"${v}" is not an ISO-8601 timestamp with a UTC offset (e.g. 2026-11-22T00:00:00Z)` };
  const full = v.length === 10 ? `${v}T00:00:00Z` : v;
  if (!isRealDateTime(full)) return { reason: `"${v}" is not a real date and time` };
  const t = Date.parse(full);
  if (t < INSTANT_MIN || t >= INSTANT_MAX) return { reason: `"${v}" is outside 1970-01-01T00:00:00Z … 2100-01-01T00:00:00Z` };
  return t;
}
