import { describe, expect, it } from 'vitest';
import { EventValidationError, validateEvents, type EventInput } from '../src';

const ok: EventInput = {
  event_id: 'sdk-1', contact_id: 'c-1', type: 'answered', occurred_at: new Date(Date.now() - 60_000).toISOString(),
  channel: 'voice', direction: 'inbound', queue_id: 'billing', agent_id: 'a-1', wait_ms: 1200,
};

describe('validateEvents (the SDK runs ingest’s rules before sending)', () => {
  it('normalizes valid events: tenant filled in, source api, epoch ms', () => {
    const [e] = validateEvents([ok], { tenantId: 'acme' });
    expect(e).toMatchObject({ event_id: 'sdk-1', tenant_id: 'acme', source: 'api', wait_ms: 1200, team_id: null });
    expect(e!.occurred_at).toBe(Date.parse(ok.occurred_at as string));
  });

  it('refuses all of a batch when one event is bad, naming each event’s index, field and problem', () => {
    const bad = [ok, { ...ok, event_id: 'sdk-2', wait_ms: '18s' }, { ...ok, event_id: 'sdk-3', channel: 'pigeon', occurred_at: '2026-11-31T10:00:00Z' }] as unknown as EventInput[];
    let err: unknown;
    try {
      validateEvents(bad, { tenantId: 'acme' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EventValidationError);
    const errors = (err as EventValidationError).errors;
    expect(errors).toContainEqual({ index: 1, field: 'wait_ms', reason: expect.stringMatching(/must be a number, got a string/) });
    expect(errors.filter((x) => x.index === 2).map((x) => x.field).sort()).toEqual(['channel', 'occurred_at']);
    expect((err as Error).message).toMatch(/event 1: wait_ms must be a number/);
  });

  it('needs a tenant from the event or the producer, and applies the lateness horizon when given', () => {
    expect(() => validateEvents([ok], {})).toThrow(/event 0: tenant_id is required/);
    expect(validateEvents([{ ...ok, tenant_id: 'beta' }], {})[0]!.tenant_id).toBe('beta');
    const old = { ...ok, occurred_at: new Date(Date.now() - 8 * 24 * 3600_000).toISOString() };
    expect(() => validateEvents([old], { tenantId: 'acme', lateHorizonHours: 168 })).toThrow(/occurred_at is older than the lateness horizon/);
  });
});
