import { z } from 'zod';
import { isTimeZone, zoneOffsetMs } from './windows';

// Business calendars and business time (docs/business-hours.md): the open hours a queue is
// judged by, and `businessMs(start, end)`, the milliseconds of [start, end) inside them, in the
// calendar's zone, exact across midnight, weekends, holidays, DST changes and calendar versions.

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const realDate = (d: string) => DATE.test(d) && new Date(`${d}T00:00:00Z`).toISOString().slice(0, 10) === d;

/** An open interval of a day, local wall-clock time: ["08:00", "12:00"]; "24:00" ends at midnight. */
const intervalSchema = z.tuple([
  z.string().regex(HHMM, 'must be a time HH:MM (00:00–23:59)'),
  z.string().regex(HHMM, 'must be a time HH:MM (00:01–24:00)'),
]);

/** A day's open intervals: each ends after it starts, none overlaps another. */
const daySchema = z.array(intervalSchema).max(24).superRefine((day, ctx) => {
  const sorted = day.map((iv, i) => ({ a: minutesOf(iv[0]), b: minutesOf(iv[1]), i })).sort((x, y) => x.a - y.a);
  for (const iv of sorted) if (iv.b <= iv.a) ctx.addIssue({ code: 'custom', path: [iv.i], message: `ends (${day[iv.i]![1]}) before it starts (${day[iv.i]![0]})` });
  for (let k = 1; k < sorted.length; k++) {
    if (sorted[k]!.a < sorted[k - 1]!.b) ctx.addIssue({ code: 'custom', path: [sorted[k]!.i], message: `overlaps ${day[sorted[k - 1]!.i]!.join('–')}` });
  }
});

const holidaySchema = z.strictObject({
  /** the (first) day, local */
  date: z.string().refine(realDate, 'must be a real date YYYY-MM-DD'),
  /** the last day of a range, inclusive */
  to: z.string().refine(realDate, 'must be a real date YYYY-MM-DD').optional(),
  name: z.string().max(200).optional(),
  /** a partial day: open only these hours; absent or empty: closed all day */
  open: daySchema.optional(),
}).refine((h) => !h.to || h.to >= h.date, { path: ['to'], message: 'is before date' });

export const calendarVersionSchema = z.strictObject({
  /** from this local date on (in the calendar's zone), this version applies */
  effective_from: z.string().refine(realDate, 'must be a real date YYYY-MM-DD'),
  zone: z.string().refine(isTimeZone, 'is not an IANA time zone this runtime knows (e.g. Europe/Berlin)'),
  weekly: z.partialRecord(z.enum(WEEKDAYS), daySchema).describe('open intervals per weekday; a day not listed is closed'),
  holidays: z.array(holidaySchema).max(1000).default([]),
});
export type CalendarVersion = z.infer<typeof calendarVersionSchema>;

/** A calendar: its versions, each in force from its effective_from until the next one's. */
export const calendarSchema = z.strictObject({
  name: z.string().max(200).optional(),
  versions: z.array(calendarVersionSchema).min(1).max(100).superRefine((vs, ctx) => {
    const seen = new Set<string>();
    vs.forEach((v, i) => {
      if (seen.has(v.effective_from)) ctx.addIssue({ code: 'custom', path: [i, 'effective_from'], message: 'two versions take effect on the same day' });
      seen.add(v.effective_from);
    });
  }),
});
export type Calendar = z.infer<typeof calendarSchema>;

// ---- local time ----------------------------------------------------------------------------

/**
 * The instant a local wall-clock time names in a zone. A time that occurs twice (the hour
 * repeated when clocks fall back) is its first occurrence; a time that does not occur (the hour
 * skipped when clocks spring forward) is read with the offset before the change, which lands
 * after the gap (02:30 on a New York spring-forward night is 03:30 EDT) — Temporal's
 * "compatible" disambiguation.
 */
export function localToInstant(localMs: number, zone: string): number {
  const before = zoneOffsetMs(zone, localMs - 86_400_000);
  const after = zoneOffsetMs(zone, localMs + 86_400_000);
  const candidates = [localMs - before, localMs - after].filter((u) => u + zoneOffsetMs(zone, u) === localMs);
  return candidates.length ? Math.min(...candidates) : localMs - before;
}

const DAY = 86_400_000;
/** mon = 0 … sun = 6 of a local date given as ms of its UTC-midnight twin */
const weekdayOf = (localDayMs: number) => (new Date(localDayMs).getUTCDay() + 6) % 7;
const isoDate = (localDayMs: number) => new Date(localDayMs).toISOString().slice(0, 10);
const dayMs = (date: string) => Date.parse(`${date}T00:00:00Z`);

/** The open intervals of one local day under a version: its holiday's, else its weekday's. */
function openOn(v: CalendarVersion, localDay: number): [string, string][] {
  const date = isoDate(localDay);
  const holiday = v.holidays.find((h) => date >= h.date && date <= (h.to ?? h.date));
  if (holiday) return holiday.open ?? [];
  return v.weekly[WEEKDAYS[weekdayOf(localDay)]!] ?? [];
}

// businessMs runs in the aggregator's fold for every reply, resolution and queued contact of a
// queue with a calendar, and turning local times into instants costs Intl calls. A calendar's
// sorted versions and a version's open instants per local day are worked out once and kept
// (calendars are immutable once parsed: a changed calendar is a new object).
const EFFECTIVE = new WeakMap<Calendar, { v: CalendarVersion; from: number }[]>();
const DAYS = new WeakMap<CalendarVersion, Map<number, number[]>>();
/** local days kept per version before the cache starts over (~27 years of days) */
const MAX_CACHED_DAYS = 10_000;

/** Versions sorted, each with the instant it takes effect (local midnight of effective_from in its zone). */
function effective(c: Calendar): { v: CalendarVersion; from: number }[] {
  let out = EFFECTIVE.get(c);
  if (!out) {
    out = [...c.versions]
      .sort((a, b) => a.effective_from.localeCompare(b.effective_from))
      .map((v, i) => ({ v, from: i === 0 ? -Infinity : localToInstant(dayMs(v.effective_from), v.zone) }));
    EFFECTIVE.set(c, out);
  }
  return out;
}

/** The open intervals of one local day under a version as instants: [open, close, open, close, …]. */
function openInstants(v: CalendarVersion, localDay: number): number[] {
  let days = DAYS.get(v);
  if (!days) DAYS.set(v, (days = new Map()));
  let out = days.get(localDay);
  if (!out) {
    out = [];
    for (const [a, b] of openOn(v, localDay)) {
      out.push(localToInstant(localDay + minutesOf(a) * 60_000, v.zone), localToInstant(localDay + minutesOf(b) * 60_000, v.zone));
    }
    if (days.size >= MAX_CACHED_DAYS) days.clear();
    days.set(localDay, out);
  }
  return out;
}

/** Zone offsets lie within −12 h … +14 h: the local days an instant can fall on, without asking the zone. */
const MIN_OFFSET = -12 * 3_600_000;
const MAX_OFFSET = 14 * 3_600_000;

/**
 * The milliseconds of [start, end) inside the calendar's open intervals. Each local day's
 * intervals are turned into instants in the zone (so a 00:00–24:00 day is 23 or 25 hours long
 * across a DST change) and intersected with [start, end); each version counts only between its
 * start and the next version's. No calendar: every millisecond counts (24/7).
 */
export function businessMs(calendar: Calendar | undefined, start: number, end: number): number {
  if (!(end > start)) return 0;
  if (!calendar) return end - start;
  const versions = effective(calendar);
  let total = 0;
  versions.forEach(({ v, from }, i) => {
    const lo = Math.max(start, from);
    const hi = Math.min(end, versions[i + 1]?.from ?? Infinity);
    if (!(hi > lo)) return;
    // local days that can hold a piece of [lo, hi): any offset, and a day's intervals may end
    // up to a DST shift past its midnight, so one more day on each side
    const first = Math.floor((lo + MIN_OFFSET) / DAY) * DAY - DAY;
    const last = Math.floor((hi + MAX_OFFSET) / DAY) * DAY + DAY;
    for (let day = first; day <= last; day += DAY) {
      const iv = openInstants(v, day);
      for (let k = 0; k < iv.length; k += 2) total += Math.max(0, Math.min(hi, iv[k + 1]!) - Math.max(lo, iv[k]!));
    }
  });
  return total;
}

/** Whether an instant falls inside the calendar's open intervals (a contact queued "in hours"). */
export function isOpenAt(calendar: Calendar | undefined, t: number): boolean {
  return businessMs(calendar, t, t + 1) === 1;
}
