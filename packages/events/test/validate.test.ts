import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { JSON_EVENT_FIELDS, validateEvent } from '../src';
import { loadSchemaVersions } from '../src/schema';
import { NULLABLE_FIELDS } from '../src/types';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const ctx = { defaultTenant: 'demo', now: NOW };
const base = {
  event_id: 'e1', contact_id: 'c1', type: 'answered', occurred_at: '2026-11-22T10:15:03.250Z',
  channel: 'voice', direction: 'inbound', queue_id: 'billing', wait_ms: 14250,
};
const errorsOf = (input: unknown) => {
  const r = validateEvent(input, 3, ctx);
  if (r.ok) throw new Error('expected a validation error');
  return r.errors;
};

describe('validateEvent', () => {
  it('takes a ticket priority (schema v2) and refuses one outside low, normal, high, urgent, naming the field', () => {
    const r = validateEvent({ ...base, priority: 'urgent' }, 0, ctx);
    expect(r.ok && r.event.priority).toBe('urgent');
    const none = validateEvent(base, 0, ctx);
    expect(none.ok && none.event.priority).toBeNull();
    const errors = errorsOf({ ...base, priority: 'P1' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ index: 3, field: 'priority' });
    expect(errors[0]!.reason).toMatch(/low.*normal.*high.*urgent/);
  });

  it('normalizes the docs/api.md example: ISO time to epoch ms, defaults tenant and source, nulls the rest', () => {
    const r = validateEvent(base, 0, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.occurred_at).toBe(Date.parse('2026-11-22T10:15:03.250Z'));
    expect(r.event.tenant_id).toBe('demo');
    expect(r.event.source).toBe('api');
    expect(r.event.agent_id).toBeNull();
    expect(r.event.attributes).toEqual({});
  });

  it('accepts epoch milliseconds and offsets other than Z', () => {
    const r1 = validateEvent({ ...base, occurred_at: 1795000000000 }, 0, { ...ctx, now: 1795000000000 });
    expect(r1.ok && r1.event.occurred_at).toBe(1795000000000);
    const r2 = validateEvent({ ...base, occurred_at: '2026-11-22T11:15:03+01:00' }, 0, ctx);
    expect(r2.ok && r2.event.occurred_at).toBe(Date.parse('2026-11-22T10:15:03Z'));
  });

  it('names the index, the field and the reason', () => {
    expect(errorsOf({ ...base, wait_ms: -5 })).toEqual([{ index: 3, field: 'wait_ms', reason: 'must not be negative' }]);
    expect(errorsOf({ ...base, channel: 'fax' })[0]).toMatchObject({ field: 'channel' });
    expect(errorsOf({ ...base, event_id: undefined })[0]).toEqual({ index: 3, field: 'event_id', reason: 'is required' });
    expect(errorsOf({ ...base, wiat_ms: 3 })[0]!.reason).toMatch(/unknown field\(s\): wiat_ms/);
    expect(errorsOf({ ...base, occurred_at: '2026-11-22T10:15:03' })[0]!.field).toBe('occurred_at');
    expect(errorsOf({ ...base, occurred_at: 1795000000 })[0]!.reason).toMatch(/seconds instead of ms/);
    expect(errorsOf('not an object')[0]!.field).toBe('');
  });

  it('requires the measures each type needs', () => {
    expect(errorsOf({ ...base, wait_ms: null })[0]).toMatchObject({ field: 'wait_ms', reason: expect.stringMatching(/required on answered/) });
    expect(errorsOf({ ...base, type: 'wrapup_completed', wait_ms: undefined })[0]!.field).toBe('handle_ms');
    expect(errorsOf({ ...base, type: 'survey_response', survey_kind: 'csat', score: 6 })[0]).toMatchObject({ field: 'score', reason: 'must lie within the scale 1..5' });
  });

  it('fills default survey scales so later readers need not guess', () => {
    const r = validateEvent({ ...base, type: 'survey_response', survey_kind: 'nps', score: 10 }, 0, ctx);
    expect(r.ok && [r.event.scale_min, r.event.scale_max]).toEqual([0, 10]);
  });

  it('refuses events far in the future of the receiver clock', () => {
    expect(errorsOf({ ...base, occurred_at: NOW + 3600_000 })[0]!.reason).toMatch(/future/);
  });

  it('enforces the required tenant when auth binds one', () => {
    const r = validateEvent({ ...base, tenant_id: 'other' }, 0, { ...ctx, requiredTenant: 'acme' });
    expect(r.ok).toBe(false);
  });

  it('knows exactly the fields of the Avro schema', () => {
    const avroFields = (loadSchemaVersions().at(-1)!.type as avro.types.RecordType).fields.map((f) => f.name);
    expect([...JSON_EVENT_FIELDS].sort()).toEqual([...avroFields].sort());
    for (const f of NULLABLE_FIELDS) expect(avroFields).toContain(f);
  });
});

describe('validateEvent: every bad input named as what it is', () => {
  it('names a wrong type as a wrong type, not as missing', () => {
    expect(errorsOf({ ...base, wait_ms: '18s' })).toEqual([{ index: 3, field: 'wait_ms', reason: 'must be a number, got a string ("18s")' }]);
    expect(errorsOf({ ...base, contact_id: 42 })).toEqual([{ index: 3, field: 'contact_id', reason: 'must be a string, got a number (42)' }]);
    expect(errorsOf({ ...base, occurred_at: true })[0]!.reason).toMatch(/got a boolean/);
    const { contact_id: _, ...noContact } = base;
    expect(errorsOf(noContact)).toEqual([{ index: 3, field: 'contact_id', reason: 'is required' }]);
  });

  it('refuses dates that do not exist instead of rolling them over', () => {
    for (const t of ['2026-11-31T10:00:00Z', '2026-02-29T10:00:00Z', '2026-11-22T24:00:00Z', '2026-11-22T10:60:00Z', '2026-13-01T00:00:00Z', '2026-11-22T10:00:00+15:00']) {
      expect(errorsOf({ ...base, occurred_at: t })[0], t).toMatchObject({ field: 'occurred_at', reason: expect.stringMatching(/^is not a real date and time/) });
    }
    expect(validateEvent({ ...base, occurred_at: '2024-02-29T10:00:00+05:30' }, 0, { ...ctx, now: Date.parse('2024-03-01T00:00:00Z') }).ok).toBe(true);
  });

  it('refuses ids that would change on the way to UTF-8, and control characters', () => {
    expect(errorsOf({ ...base, contact_id: 'c\uD800' })).toEqual([{ index: 3, field: 'contact_id', reason: 'must be valid Unicode (it holds a lone surrogate)' }]);
    expect(errorsOf({ ...base, event_id: 'e\uDFFF1' })[0]!.field).toBe('event_id');
    expect(errorsOf({ ...base, queue_id: 'q\u0000' })).toEqual([{ index: 3, field: 'queue_id', reason: 'must not contain control characters' }]);
    expect(validateEvent({ ...base, contact_id: 'kund-😀-ü' }, 0, ctx).ok).toBe(true);
  });

  it('bounds amount_minor to what the Avro long carries exactly', () => {
    const ev = { ...base, type: 'customer_business_event', business_kind: 'purchase', customer_id: 'k1', wait_ms: undefined };
    expect(errorsOf({ ...ev, amount_minor: 9_007_199_254_740_991 })).toEqual([{ index: 3, field: 'amount_minor', reason: 'must be at most 9007199254740990' }]);
    expect(validateEvent({ ...ev, amount_minor: -9_007_199_254_740_990 }, 0, ctx).ok).toBe(true);
  });

  it('refuses an event past the lateness horizon when one is given', () => {
    const old = { ...base, occurred_at: '2026-11-14T11:59:59Z' };
    const r = validateEvent(old, 0, { ...ctx, lateHorizonMs: 7 * 24 * 3_600_000 });
    expect(r).toEqual({ ok: false, errors: [{ index: 0, field: 'occurred_at', reason: 'is older than the lateness horizon (168 h, LATE_HORIZON_HOURS): it would never be counted' }] });
    expect(validateEvent(old, 0, ctx).ok).toBe(true);
  });
});
