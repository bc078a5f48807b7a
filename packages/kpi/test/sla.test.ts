import { makeEvent, type ContactEventInit } from '@switchboard/events';
import { describe, expect, it } from 'vitest';
import { CalendarIndex, mappingProblems, tenantCalendarSchema, zodProblems } from '../src/calendar-config';
import { parseSlaPolicyList, slaPolicyListSchema, slaTargetsFor, slaVersionAt, type SlaPolicy, type SlaPolicyVersion } from '../src/sla';

const ev = (init: Partial<ContactEventInit>) => makeEvent({ event_id: 'e', tenant_id: 't', contact_id: 'c', type: 'agent_message', occurred_at: 0, channel: 'email', direction: 'inbound', source: 'api', ...init });
const problemsOf = (schema: { safeParse(x: unknown): { success: boolean; error?: unknown } }, body: unknown) => {
  const r = schema.safeParse(body);
  return r.success ? [] : zodProblems(r.error as Parameters<typeof zodProblems>[0]);
};
const MIN = 60_000;

const policies: SlaPolicy[] = slaPolicyListSchema.parse({
  policies: [
    {
      name: 'VIP e-mail and chat',
      conditions: { channel: ['email', 'chat'], queue_id: ['vip'] },
      targets: {
        urgent: { first_reply: { minutes: 15 }, resolution: { minutes: 240, business_hours: true } },
        high: { first_reply: { minutes: 30 } },
      },
    },
    {
      name: 'Urgent anywhere',
      conditions: { priority: ['urgent', 'high'] },
      targets: { urgent: { first_reply: { minutes: 60, business_hours: true }, next_reply: { minutes: 120 } }, high: { first_reply: { minutes: 120 } } },
    },
    {
      name: 'Everything else',
      targets: { low: { resolution: { minutes: 2880, business_hours: true } }, normal: { first_reply: { minutes: 480, business_hours: true } } },
    },
  ],
}).policies;

describe('slaTargetsFor', () => {
  it('takes the first policy whose conditions all match, for the event\'s priority', () => {
    expect(slaTargetsFor(policies, ev({ queue_id: 'vip', priority: 'urgent' }))).toEqual({ first_reply: { ms: 15 * MIN, business: false }, resolution: { ms: 240 * MIN, business: true } });
    // the same event on another channel skips the VIP policy
    expect(slaTargetsFor(policies, ev({ channel: 'voice', queue_id: 'vip', priority: 'urgent' }))).toEqual({ first_reply: { ms: 60 * MIN, business: true }, next_reply: { ms: 120 * MIN, business: false } });
    // another queue too; a low priority falls through to the catch-all
    expect(slaTargetsFor(policies, ev({ queue_id: 'billing', priority: 'high' }))).toEqual({ first_reply: { ms: 120 * MIN, business: false } });
    expect(slaTargetsFor(policies, ev({ queue_id: 'billing', priority: 'low' }))).toEqual({ resolution: { ms: 2880 * MIN, business: true } });
  });

  it('an event without a queue never matches a queue condition', () => {
    expect(slaTargetsFor(policies, ev({ queue_id: null, priority: 'urgent' }))?.first_reply?.ms).toBe(60 * MIN);
  });

  it('the first match decides: a matching policy without a target for the priority gives none, later ones are not tried', () => {
    // "VIP" matches a normal-priority VIP e-mail but sets nothing for normal; the catch-all would
    expect(slaTargetsFor(policies, ev({ queue_id: 'vip', priority: 'normal' }))).toBeUndefined();
    expect(slaTargetsFor(policies, ev({ queue_id: 'billing', priority: 'normal' }))).toEqual({ first_reply: { ms: 480 * MIN, business: true } });
  });

  it('an event without a priority has no SLA, whatever the policies (as in Zendesk)', () => {
    expect(slaTargetsFor(policies, ev({ queue_id: 'vip', priority: null }))).toBeUndefined();
    expect(slaTargetsFor(policies, ev({ queue_id: 'billing' }))).toBeUndefined();
    expect(slaTargetsFor([], ev({ priority: 'urgent' }))).toBeUndefined();
  });

  it('order matters: the same policies reversed give the catch-all\'s targets', () => {
    const reversed = [...policies].reverse();
    expect(slaTargetsFor(reversed, ev({ queue_id: 'vip', priority: 'normal' }))).toEqual({ first_reply: { ms: 480 * MIN, business: true } });
  });
});

describe('slaVersionAt', () => {
  const v = (effective_from: number, version: number): SlaPolicyVersion => ({ effective_from, version, policies: [] });
  it('the latest version in force at the time; the later write on a tie; none before the first', () => {
    const versions = [v(100, 1), v(300, 2), v(200, 3), v(300, 4)];
    expect(slaVersionAt(versions, 99)).toBeUndefined();
    expect(slaVersionAt(versions, 100)?.version).toBe(1);
    expect(slaVersionAt(versions, 250)?.version).toBe(3);
    expect(slaVersionAt(versions, 1000)?.version).toBe(4);
  });
});

describe('slaPolicyListSchema', () => {
  it('names every problem with its field path', () => {
    const parsed = parseSlaPolicyList({
      effective_from: '2026-13-01',
      policies: [
        { name: 'a', conditions: { channel: ['fax'], priority: [] }, targets: { urgent: { first_reply: { minutes: 0 } }, p1: {} } },
        { name: 'a', conditions: { queue_id: ['x', 'x'], color: ['red'] }, targets: { low: {}, normal: { resolution: { minutes: 1.5, business_hours: 'yes' } } } },
        { targets: {} },
      ],
    });
    const problems = parsed.ok ? [] : parsed.problems;
    const fields = problems.map((p) => p.field);
    expect(fields).toEqual(expect.arrayContaining([
      'effective_from',
      'policies.0.conditions.channel.0',
      'policies.0.conditions.priority',
      'policies.0.targets.urgent.first_reply.minutes',
      'policies.0.targets',
      'policies.1.name',
      'policies.1.conditions.queue_id.1',
      'policies.1.conditions',
      'policies.1.targets.low',
      'policies.1.targets.normal.resolution.minutes',
      'policies.1.targets.normal.resolution.business_hours',
      'policies.2.name',
      'policies.2.targets',
    ]));
    expect(problems.find((p) => p.field === 'policies.1.name')?.reason).toMatch(/two policies are named "a"/);
    expect(problems.find((p) => p.field === 'policies.1.targets.low')?.reason).toMatch(/sets no target/);
  });

  it('accepts an empty list (no SLA from then on)', () => {
    expect(slaPolicyListSchema.parse({ policies: [] })).toEqual({ policies: [] });
  });
});

describe('tenant calendars', () => {
  const week = { mon: [['08:00', '12:00'], ['13:00', '18:00']] };
  const body = (extra: Record<string, unknown> = {}) => ({ versions: [{ effective_from: '2026-01-01', zone: 'Europe/Berlin', weekly: week }], ...extra });

  it('validation lists every problem: overlap, end before start, unknown zone, bad date, duplicate queue, unknown field', () => {
    const problems = problemsOf(tenantCalendarSchema, {
      versions: [
        { effective_from: '2026-02-30', zone: 'Mars/Olympus', weekly: { mon: [['08:00', '12:00'], ['11:00', '13:00']], tue: [['18:00', '09:00']] }, holidays: [{ date: '2026-12-26', to: '2026-12-24' }] },
      ],
      queues: ['billing', 'billing', ''],
      default: 'yes',
      colour: 'blue',
    });
    const byField = Object.fromEntries(problems.map((p) => [p.field, p.reason]));
    expect(byField['versions.0.effective_from']).toMatch(/real date/);
    expect(byField['versions.0.zone']).toMatch(/IANA/);
    expect(byField['versions.0.weekly.mon.1']).toMatch(/overlaps 08:00–12:00/);
    expect(byField['versions.0.weekly.tue.0']).toMatch(/ends \(09:00\) before it starts \(18:00\)/);
    expect(byField['versions.0.holidays.0.to']).toMatch(/before date/);
    expect(byField['queues.1']).toMatch(/listed twice/);
    expect(byField['queues.2']).toMatch(/empty/);
    expect(byField.default).toBeDefined();
    expect(problems.some((p) => p.field === '(body)' && /colour/.test(p.reason))).toBe(true);
  });

  it('a queue mapped by two calendars and a second default are refused, naming the other calendar', () => {
    const berlin = tenantCalendarSchema.parse(body({ queues: ['billing', 'sales'], default: true }));
    const other = tenantCalendarSchema.parse(body({ queues: ['support', 'sales'], default: true }));
    expect(mappingProblems('ny', other, [{ id: 'berlin', calendar: berlin }])).toEqual([
      { field: 'queues.1', reason: 'queue "sales" is already judged by calendar "berlin": a queue maps to one calendar' },
      { field: 'default', reason: 'calendar "berlin" is already the tenant\'s default: a tenant has at most one' },
    ]);
    // replacing the same calendar is no clash
    expect(mappingProblems('berlin', other, [{ id: 'berlin', calendar: berlin }])).toEqual([]);
  });

  it('the index answers the queue\'s calendar, else the default, else none (24/7)', () => {
    const a = tenantCalendarSchema.parse(body({ name: 'a', queues: ['billing'] }));
    const d = tenantCalendarSchema.parse(body({ name: 'd', default: true }));
    const index = new CalendarIndex([a, d]);
    expect(index.calendarFor('billing')).toBe(a);
    expect(index.calendarFor('sales')).toBe(d);
    expect(index.calendarFor(null)).toBe(d);
    expect(new CalendarIndex([a]).calendarFor('sales')).toBeUndefined();
  });
});
