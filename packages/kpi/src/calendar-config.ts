import { z } from 'zod';
import { calendarSchema, type Calendar } from './calendar';

// A tenant's calendars as they are configured (docs/business-hours.md, "Managing calendars"):
// a calendar with the queues it judges, and at most one calendar per tenant marked the default,
// which judges every queue no calendar names. A queue with no calendar and no default is open 24/7.

/** Calendar ids: as alert rule ids, 1–128 letters, digits, _ . - */
export const CALENDAR_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** A calendar as PUT /v1/calendars/{id} and CALENDARS_FILE take it. */
export const tenantCalendarSchema = calendarSchema.extend({
  /** queue ids this calendar judges */
  queues: z.array(z.string().min(1, 'must not be empty').max(256)).max(10_000).default([]).superRefine((qs, ctx) => {
    const seen = new Set<string>();
    qs.forEach((q, i) => {
      if (seen.has(q)) ctx.addIssue({ code: 'custom', path: [i], message: `queue "${q}" is listed twice` });
      seen.add(q);
    });
  }),
  /** the tenant's default calendar: judges every queue no calendar lists */
  default: z.boolean().default(false),
});
export type TenantCalendar = z.infer<typeof tenantCalendarSchema>;

/** A validation problem: the field's dotted path and what is wrong with it. */
export interface ConfigProblem {
  field: string;
  reason: string;
}

/** Every problem zod found, each with its field path (`versions.0.weekly.mon.1`). */
export function zodProblems(error: z.ZodError, prefix = ''): ConfigProblem[] {
  return error.issues.map((i) => ({ field: prefix + (i.path.map(String).join('.') || '(body)'), reason: i.message }));
}

/**
 * What a calendar's queue mapping clashes with among the tenant's other calendars: a queue
 * another calendar already lists, a second default. Field paths are the candidate's own
 * (`queues.2`, `default`), after `prefix`.
 */
export function mappingProblems(id: string, cal: Pick<TenantCalendar, 'queues' | 'default'>, others: readonly { id: string; calendar: Pick<TenantCalendar, 'queues' | 'default'> }[], prefix = ''): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const owner = new Map<string, string>();
  let defaultId: string | null = null;
  for (const o of others) {
    if (o.id === id) continue;
    for (const q of o.calendar.queues) if (q !== '' && !owner.has(q)) owner.set(q, o.id);
    if (o.calendar.default && defaultId === null) defaultId = o.id;
  }
  cal.queues.forEach((q, i) => {
    const other = owner.get(q);
    if (other !== undefined) problems.push({ field: `${prefix}queues.${i}`, reason: `queue "${q}" is already judged by calendar "${other}": a queue maps to one calendar` });
  });
  if (cal.default && defaultId !== null) problems.push({ field: `${prefix}default`, reason: `calendar "${defaultId}" is already the tenant's default: a tenant has at most one` });
  return problems;
}

/** A tenant's calendars indexed for the fold: the calendar of each queue, and the default. */
export class CalendarIndex {
  private readonly byQueue = new Map<string, Calendar>();
  private readonly fallback: Calendar | undefined;

  constructor(calendars: Iterable<TenantCalendar>) {
    let fallback: Calendar | undefined;
    for (const c of calendars) {
      for (const q of c.queues) if (!this.byQueue.has(q)) this.byQueue.set(q, c);
      if (c.default && !fallback) fallback = c;
    }
    this.fallback = fallback;
  }

  /** the queue's calendar, else the default; undefined: open 24/7 */
  calendarFor(queueId: string | null): Calendar | undefined {
    return (queueId === null ? undefined : this.byQueue.get(queueId)) ?? this.fallback;
  }
}
