import { validateEvent, type ContactEvent, type FieldError, type JsonEventInput } from '@switchboard/events';

/** An event as the SDK takes it: the flat JSON form of POST /v1/events (docs/api.md). */
export type EventInput = JsonEventInput;

/** Events the SDK refused before sending anything; `errors` names each event's index, field and problem. */
export class EventValidationError extends Error {
  constructor(readonly errors: FieldError[]) {
    const shown = errors.slice(0, 10).map((e) => `event ${e.index}: ${e.field || '(event)'} ${e.reason}`);
    super(`invalid event${errors.length > 1 ? 's' : ''}: ${shown.join('; ')}${errors.length > 10 ? `; … ${errors.length - 10} more` : ''}`);
    this.name = 'EventValidationError';
  }
}

export interface ValidateOptions {
  /** tenant of events that carry no tenant_id */
  tenantId?: string;
  /** refuse events older than this many hours (they would never be counted); unset: no such check */
  lateHorizonHours?: number;
}

/**
 * Validates and normalizes events with the same rules ingest applies (the events package's
 * validateEvent); all or nothing, like POST /v1/events without ?partial=true.
 */
export function validateEvents(events: readonly EventInput[], opts: ValidateOptions): ContactEvent[] {
  const now = Date.now();
  const out: ContactEvent[] = [];
  const errors: FieldError[] = [];
  events.forEach((input, i) => {
    const r = validateEvent(input, i, {
      defaultTenant: opts.tenantId ?? '',
      now,
      ...(opts.lateHorizonHours !== undefined ? { lateHorizonMs: opts.lateHorizonHours * 3_600_000 } : {}),
    });
    if (!r.ok) errors.push(...r.errors);
    else if (!r.event.tenant_id) errors.push({ index: i, field: 'tenant_id', reason: 'is required (or give the producer a tenantId)' });
    else out.push(r.event);
  });
  if (errors.length > 0) throw new EventValidationError(errors);
  return out;
}
