import { expect } from 'vitest';
import { validateEvent, type ContactEvent } from '@switchboard/events';

/**
 * What the ingest route does to adapter output: every event must pass the validation of
 * POST /v1/events for its tenant, unchanged (no default filled in, nothing coerced), and carry
 * the adapter's source.
 */
export function expectRouteAccepts(events: ContactEvent[], tenant: string, source: string, now: number): ContactEvent[] {
  events.forEach((e, i) => {
    const r = validateEvent(e, i, { defaultTenant: tenant, requiredTenant: tenant, now, defaultSource: source });
    if (!r.ok) throw new Error(`event ${i} (${e.type} ${e.event_id}) is invalid: ${JSON.stringify(r.errors)}`);
    expect(r.event).toEqual(e);
    expect(e.source).toBe(source);
  });
  return events;
}
