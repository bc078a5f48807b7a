import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WEEKDAYS, businessMs, calendarSchema, isOpenAt, localToInstant, type Calendar } from '../src/calendar';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const weekdays = (day: [string, string][]) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, day]));
const cal = (zone: string, weekly: Record<string, [string, string][]>, holidays: Calendar['versions'][number]['holidays'] = [], effective_from = '2000-01-01'): Calendar =>
  calendarSchema.parse({ versions: [{ effective_from, zone, weekly, holidays }] });

describe('businessMs on hand-made cases', () => {
  const berlin = cal('Europe/Berlin', weekdays([['08:00', '12:00'], ['13:00', '18:00']]));

  it('a reply across a weekend counts Friday evening and Monday morning only (split shifts)', () => {
    // Fri 2026-11-20 17:00 → Mon 2026-11-23 09:00, Berlin (UTC+1)
    expect(businessMs(berlin, at('2026-11-20T16:00:00Z'), at('2026-11-23T08:00:00Z'))).toBe(2 * H);
    // inside the lunch break nothing counts; across it, only the open hours
    expect(businessMs(berlin, at('2026-11-23T11:10:00Z'), at('2026-11-23T11:50:00Z'))).toBe(0);
    expect(businessMs(berlin, at('2026-11-23T10:30:00Z'), at('2026-11-23T12:30:00Z'))).toBe(H);
  });

  it('skips a whole holiday and counts only the open hours of a partial one', () => {
    const c = cal('Europe/Berlin', weekdays([['08:00', '18:00']]), [{ date: '2026-12-24', open: [['08:00', '12:00']] }, { date: '2026-12-25', to: '2026-12-26' }]);
    // Thu 24th (half day) 07:00 local → Mon 28th 09:00 local: 4 h on the 24th, Fri 25th closed, 1 h on Monday
    expect(businessMs(c, at('2026-12-24T06:00:00Z'), at('2026-12-28T08:00:00Z'))).toBe(5 * H);
  });

  it('is exact across New York\'s spring-forward and fall-back nights (a 23- and a 25-hour day)', () => {
    const allDay = cal('America/New_York', Object.fromEntries(WEEKDAYS.map((d) => [d, [['00:00', '24:00']]])));
    expect(businessMs(allDay, localToInstant(at('2026-03-08T00:00:00Z'), 'America/New_York'), localToInstant(at('2026-03-09T00:00:00Z'), 'America/New_York'))).toBe(23 * H);
    expect(businessMs(allDay, localToInstant(at('2026-11-01T00:00:00Z'), 'America/New_York'), localToInstant(at('2026-11-02T00:00:00Z'), 'America/New_York'))).toBe(25 * H);
    // a night shift 00:00–03:00 on the fall-back night is four real hours (01:00–02:00 happens twice)
    const night = cal('America/New_York', { sun: [['00:00', '03:00']] });
    expect(businessMs(night, at('2026-11-01T00:00:00Z'), at('2026-11-02T00:00:00Z'))).toBe(4 * H);
    // …and two on the spring-forward night (02:00–03:00 does not happen)
    expect(businessMs(night, at('2026-03-08T00:00:00Z'), at('2026-03-09T00:00:00Z'))).toBe(2 * H);
  });

  it('reads a +05:30 zone\'s hours on its own wall clock', () => {
    const kolkata = cal('Asia/Kolkata', weekdays([['09:00', '17:00']]));
    // Mon 2026-11-23 09:00 IST = 03:30Z; 17:00 IST = 11:30Z
    expect(businessMs(kolkata, at('2026-11-23T00:00:00Z'), at('2026-11-23T12:00:00Z'))).toBe(8 * H);
    expect(isOpenAt(kolkata, at('2026-11-23T03:29:59.999Z'))).toBe(false);
    expect(isOpenAt(kolkata, at('2026-11-23T03:30:00Z'))).toBe(true);
  });

  it('measures each part of a span with the version in force then', () => {
    const c = calendarSchema.parse({ versions: [
      { effective_from: '2026-01-01', zone: 'UTC', weekly: weekdays([['09:00', '17:00']]) },
      { effective_from: '2026-11-25', zone: 'UTC', weekly: weekdays([['08:00', '20:00']]) },
    ] });
    // Mon 23 and Tue 24: 8 h each under the first; Wed 25: 12 h under the second
    expect(businessMs(c, at('2026-11-23T00:00:00Z'), at('2026-11-26T00:00:00Z'))).toBe(28 * H);
  });

  it('counts nothing for an empty or reversed span, and everything without a calendar', () => {
    expect(businessMs(berlin, at('2026-11-23T10:00:00Z'), at('2026-11-23T10:00:00Z'))).toBe(0);
    expect(businessMs(berlin, at('2026-11-23T11:00:00Z'), at('2026-11-23T10:00:00Z'))).toBe(0);
    expect(businessMs(undefined, 0, 5 * H)).toBe(5 * H);
  });
});

describe('calendar validation', () => {
  it('names every problem: overlapping intervals, end before start, an unknown zone, a bad date, duplicate versions', () => {
    const r = calendarSchema.safeParse({ versions: [
      { effective_from: '2026-02-30', zone: 'Mars/Olympus', weekly: { mon: [['08:00', '12:00'], ['11:00', '13:00']], tue: [['18:00', '09:00']], wed: [['8:00', '25:00']] }, holidays: [{ date: '2026-12-24', to: '2026-12-20' }] },
      { effective_from: '2026-03-01', zone: 'UTC', weekly: {} },
      { effective_from: '2026-03-01', zone: 'UTC', weekly: {} },
    ] });
    expect(r.success).toBe(false);
    const problems = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems).toEqual(expect.arrayContaining([
      'versions.0.effective_from: must be a real date YYYY-MM-DD',
      'versions.0.zone: is not an IANA time zone this runtime knows (e.g. Europe/Berlin)',
      'versions.0.weekly.mon.1: overlaps 08:00–12:00',
      'versions.0.weekly.tue.0: ends (09:00) before it starts (18:00)',
      'versions.0.weekly.wed.0.0: must be a time HH:MM (00:00–23:59)',
      'versions.0.weekly.wed.0.1: must be a time HH:MM (00:01–24:00)',
      'versions.0.holidays.0.to: is before date',
      'versions.2.effective_from: two versions take effect on the same day',
    ]));
  });
});

/** The plain reference: minute by minute, is the wall-clock time of that minute inside a listed interval? */
function referenceMinutes(c: Calendar, start: number, end: number): number {
  const v = c.versions[0]!;
  const f = new Intl.DateTimeFormat('en-US', { timeZone: v.zone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
  let n = 0;
  for (let t = start; t < end; t += 60_000) {
    const p = Object.fromEntries(f.formatToParts(t).map((x) => [x.type, x.value]));
    const date = `${p.year}-${p.month}-${p.day}`;
    const hhmm = `${p.hour}:${p.minute}`;
    const holiday = v.holidays.find((h) => date >= h.date && date <= (h.to ?? h.date));
    const day = holiday ? holiday.open ?? [] : v.weekly[p.weekday!.toLowerCase().slice(0, 3) as keyof typeof v.weekly] ?? [];
    if (day.some(([a, b]) => hhmm >= a && (b === '24:00' || hhmm < b))) n++;
  }
  return n * 60_000;
}

describe('businessMs against a minute-by-minute reference', () => {
  // interval bounds off the 01:00–03:59 hours, where a wall-clock minute can occur twice or never
  const hour = fc.constantFrom(0, 4, 6, 8, 9, 12, 13, 17, 18, 20, 22, 24);
  const day = fc.uniqueArray(hour, { minLength: 0, maxLength: 4 }).map((hs) => {
    const s = [...hs].sort((a, b) => a - b);
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < s.length; i += 2) out.push([`${String(s[i]).padStart(2, '0')}:00`, `${String(s[i + 1]).padStart(2, '0')}:00`]);
    return out;
  });
  it('agrees on random calendars, zones and spans (DST changes included)', () => {
    fc.assert(fc.property(
      fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe', 'America/Sao_Paulo'),
      fc.tuple(day, day, day, day, day, day, day),
      fc.boolean(),
      // anywhere in the year, or within a day of a DST change (US, EU, Lord Howe's half-hour one)
      fc.oneof(
        fc.integer({ min: 0, max: 400 * 24 * 60 }),
        fc.tuple(fc.constantFrom('2026-03-08', '2026-03-29', '2026-04-05', '2026-10-04', '2026-10-25', '2026-11-01'), fc.integer({ min: -24 * 60, max: 24 * 60 }))
          .map(([d, m]) => (at(`${d}T00:00:00Z`) - at('2026-01-01T00:00:00Z')) / 60_000 + m),
      ),
      fc.integer({ min: 0, max: 3 * 24 * 60 }),
      (zone, days, holiday, startMin, lenMin) => {
        const start = at('2026-01-01T00:00:00Z') + startMin * 60_000;
        const end = start + lenMin * 60_000;
        const c = cal(zone, Object.fromEntries(WEEKDAYS.map((d, i) => [d, days[i]!])), holiday ? [{ date: new Date(start + 86_400_000).toISOString().slice(0, 10), open: days[0]! }] : []);
        expect(businessMs(c, start, end)).toBe(referenceMinutes(c, start, end));
      },
    ), { numRuns: 80, seed: 20261205 });
  });
});
