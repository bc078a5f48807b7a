import { calendarSchema, slaPolicyListSchema, tenantCalendarSchema, type Calendar } from '@switchboard/kpi';
import { BusinessConfigStore, type BusinessConfigBook, type Store } from '@switchboard/warehouse';

// What `npm start`'s built-in simulator runs on (docs/business-hours.md, "npm start"): a
// calendar for its queues — contacts arriving while it is closed are blocked, as centers send
// after-hours callers to a message — and SLA policies for its tickets' priorities, so a newcomer
// sees business-time, in-hours and SLA figures move. Written to the tenant's configuration only
// when it has none, so a user's own calendars and policies (API or files) are never touched.

const days = (hours: [string, string][], ...names: string[]) => Object.fromEntries(names.map((d) => [d, hours]));

/** Open 06:00–24:00 UTC on weekdays, 08:00–22:00 at weekends: closed at night, shorter at weekends. */
export const DEMO_CALENDAR: Calendar = calendarSchema.parse({
  name: 'Simulated center (npm start)',
  versions: [{
    effective_from: '2020-01-01',
    zone: 'UTC',
    weekly: { ...days([['06:00', '24:00']], 'mon', 'tue', 'wed', 'thu', 'fri'), ...days([['08:00', '22:00']], 'sat', 'sun') },
  }],
});

/** One policy for every ticket, targets per priority, in business hours. */
export const DEMO_SLA = slaPolicyListSchema.parse({
  policies: [{
    name: 'Simulated tickets (npm start)',
    targets: {
      urgent: { first_reply: { minutes: 15, business_hours: true }, next_reply: { minutes: 30, business_hours: true }, resolution: { minutes: 240, business_hours: true } },
      high: { first_reply: { minutes: 30, business_hours: true }, next_reply: { minutes: 60, business_hours: true }, resolution: { minutes: 480, business_hours: true } },
      normal: { first_reply: { minutes: 60, business_hours: true }, next_reply: { minutes: 120, business_hours: true }, resolution: { minutes: 1440, business_hours: true } },
      low: { first_reply: { minutes: 240, business_hours: true }, resolution: { minutes: 2880, business_hours: true } },
    },
  }],
}).policies;

/**
 * Gives the tenant the demo calendar (as its default) and policies where it has none yet.
 * Returns what it wrote, for the banner.
 */
export async function ensureDemoBusinessConfig(client: Store['client'], book: BusinessConfigBook, tenant: string): Promise<string[]> {
  await book.refresh(true);
  const store = new BusinessConfigStore(client);
  const wrote: string[] = [];
  if (book.calendars(tenant).length === 0) {
    await store.putCalendar(tenant, 'simulator', tenantCalendarSchema.parse({ ...DEMO_CALENDAR, default: true }));
    wrote.push("calendar 'simulator' (the default: open 06:00–24:00 UTC on weekdays, 08:00–22:00 at weekends)");
  }
  if (book.slaVersions(tenant).length === 0) {
    // in force from long ago, so the simulator's warm start is measured too
    await store.putSlaPolicies(tenant, DEMO_SLA, Date.parse('2020-01-01T00:00:00Z'));
    wrote.push("SLA policy 'Simulated tickets (npm start)' (targets per priority, business hours)");
  }
  book.invalidate();
  await book.refresh(true);
  return wrote;
}
