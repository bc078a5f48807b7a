import { validateEvent, type ContactEvent, type FieldError } from '@switchboard/events';

export interface InvalidAdapterEvent {
  /** what was validated: a mapped event, or a record in the JSON form (backfill of NDJSON) */
  event: unknown;
  errors: FieldError[];
}

/**
 * Adapter output passes the same validation as POST /v1/events, bound to the delivery's
 * tenant: the webhook route, the backfill and the dead-letter replay all go through here.
 */
export function validateAdapterEvents(events: readonly unknown[], tenant: string, source: string, now: number): { valid: ContactEvent[]; invalid: InvalidAdapterEvent[] } {
  const valid: ContactEvent[] = [];
  const invalid: InvalidAdapterEvent[] = [];
  events.forEach((event, i) => {
    const r = validateEvent(event, i, { defaultTenant: tenant, requiredTenant: tenant, now, defaultSource: source });
    if (r.ok) valid.push(r.event);
    else invalid.push({ event, errors: r.errors });
  });
  return { valid, invalid };
}

/** `event <id>: <field> <reason>, …`, as dead letters and replays report it */
export const describeInvalid = (x: InvalidAdapterEvent) => `event ${String((x.event as { event_id?: unknown } | null)?.event_id)}: ${x.errors.map((e) => `${e.field} ${e.reason}`).join(', ')}`;
