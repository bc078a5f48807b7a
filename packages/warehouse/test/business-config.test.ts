import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { makeEvent, type ContactEventInit } from '@switchboard/events';
import { businessMs } from '@switchboard/kpi';
import { describe, expect, it } from 'vitest';
import { BusinessConfigBook, loadBusinessConfigFiles } from '../src';

const dir = mkdtempSync(join(tmpdir(), 'business-config-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const H = 3_600_000;
const ev = (init: Partial<ContactEventInit>) => makeEvent({ event_id: 'e', tenant_id: 'acme', contact_id: 'c', type: 'agent_message', occurred_at: 0, channel: 'email', direction: 'inbound', source: 'api', ...init });
const week = (day: [string, string][]) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, day]));
const calendarBody = (hours: [string, string][], extra: Record<string, unknown> = {}) => ({ versions: [{ effective_from: '2026-01-01', zone: 'UTC', weekly: week(hours) }], ...extra });
const policy = (minutes: number) => [{ name: 'all', targets: { urgent: { first_reply: { minutes, business_hours: true } } } }];

/** A stand-in for the store: the rows of business_config, and a count of the statements it was sent. */
function fakeStore(rows: Record<string, unknown>[]) {
  const seen = { statements: 0, since: [] as number[] };
  const client = {
    query: async ({ query_params }: { query_params: { since: number } }) => {
      seen.statements++;
      seen.since.push(query_params.since);
      return { json: async () => rows.filter((r) => Number(r.version) > query_params.since) };
    },
  } as unknown as ClickHouseClient;
  return { client, seen };
}
const calendarRow = (tenant: string, id: string, version: number, body: unknown) => ({ tenant_id: tenant, kind: 'calendar', id, version: String(version), eff: String(version), deleted: body ? 0 : 1, body: body ? JSON.stringify(body) : '' });
const slaRow = (tenant: string, version: number, eff: number, policies: unknown) => ({ tenant_id: tenant, kind: 'sla_policies', id: '', version: String(version), eff: String(eff), deleted: 0, body: JSON.stringify(policies) });

describe('the files', () => {
  it('a calendars file (YAML) maps queues per tenant; the default tenant when none is named', () => {
    const files = loadBusinessConfigFiles({
      CALENDARS_FILE: file('cal.yaml', `
- id: berlin
  queues: [billing]
  versions: [{ effective_from: "2026-01-01", zone: Europe/Berlin, weekly: { mon: [["08:00", "18:00"]] } }]
- id: ny
  tenant: other
  default: true
  versions: [{ effective_from: "2026-01-01", zone: America/New_York, weekly: { mon: [["09:00", "17:00"]] } }]
`),
    }, 'acme');
    const book = new BusinessConfigBook({ client: null, files });
    expect(book.calendarFor('acme', 'billing', 0)?.versions[0]?.zone).toBe('Europe/Berlin');
    expect(book.calendarFor('acme', 'sales', 0)).toBeUndefined();
    expect(book.calendarFor('other', 'anything', 0)?.versions[0]?.zone).toBe('America/New_York');
    expect(book.calendars('acme').map((c) => [c.id, c.source])).toEqual([['berlin', 'file']]);
  });

  it('a bad calendars file names every problem with the entry and field', () => {
    const path = file('bad.json', JSON.stringify({ calendars: [
      { id: 'a', queues: ['billing'], default: true, versions: [{ effective_from: '2026-01-01', zone: 'UTC', weekly: { mon: [['09:00', '08:00']] } }] },
      { id: 'b', queues: ['billing'], default: true, versions: [{ effective_from: '2026-01-01', zone: 'Nowhere/City', weekly: {} }] },
      { id: 'c', queues: ['billing'], default: true, versions: [{ effective_from: '2026-01-01', zone: 'UTC', weekly: {} }] },
      { id: 'a', versions: [{ effective_from: '2026-01-01', zone: 'UTC', weekly: {} }] },
      { versions: [] },
    ] }));
    let message = '';
    try {
      loadBusinessConfigFiles({ CALENDARS_FILE: path }, 'acme');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('calendars[0].versions.0.weekly.mon.0: ends (08:00) before it starts (09:00)');
    expect(message).toContain('calendars[1].versions.0.zone: is not an IANA time zone');
    expect(message).toContain('calendars[2].queues.0: queue "billing" is already judged by calendar "a"');
    expect(message).toContain('calendars[2].default: calendar "a" is already the tenant\'s default');
    expect(message).toContain('calendars[3].id: duplicate calendar id "a"');
    expect(message).toContain('calendars[4].id: must be');
    expect(message).toContain('calendars[4].versions');
  });

  it('an SLA policies file: versions per tenant by effective_from; a bad one names every problem', () => {
    const files = loadBusinessConfigFiles({
      SLA_POLICIES_FILE: file('sla.yaml', `
- policies:
    - { name: all, targets: { urgent: { first_reply: { minutes: 60 } } } }
- effective_from: "2026-06-01T00:00:00Z"
  policies:
    - { name: all, targets: { urgent: { first_reply: { minutes: 30 } } } }
`),
    }, 'acme');
    const book = new BusinessConfigBook({ client: null, files });
    expect(book.slaTargetsFor(ev({ priority: 'urgent', occurred_at: Date.parse('2026-05-31T23:59:59Z') }))?.first_reply?.ms).toBe(60 * 60_000);
    expect(book.slaTargetsFor(ev({ priority: 'urgent', occurred_at: Date.parse('2026-06-01T00:00:00Z') }))?.first_reply?.ms).toBe(30 * 60_000);
    expect(book.slaTargetsFor(ev({ priority: null, occurred_at: Date.parse('2026-06-02T00:00:00Z') }))).toBeUndefined();
    expect(book.slaFromFile('acme')).toBe(true);
    expect(book.slaFromFile('other')).toBe(false);

    expect(() => loadBusinessConfigFiles({ SLA_POLICIES_FILE: file('bad-sla.yaml', `
- tenant: "bad tenant"
  policies: [{ name: x, targets: { p9: {} } }]
- effective_from: yesterday
  policies: [{ name: y, conditions: { channel: [fax] }, targets: { low: { resolution: { minutes: 0 } } } }]
`) }, 'acme')).toThrow(/\[0\]\.tenant: must be[\s\S]*\[0\]\.policies\.0\.targets[\s\S]*\[1\]\.effective_from[\s\S]*\[1\]\.policies\.0\.conditions\.channel\.0[\s\S]*\[1\]\.policies\.0\.targets\.low\.resolution\.minutes/);
  });
});

describe('BusinessConfigBook over the store', () => {
  it('answers the calendar of each queue with the newest write, a deletion included', async () => {
    const rows = [
      calendarRow('acme', 'day', 1000, calendarBody([['09:00', '17:00']], { queues: ['billing'] })),
      calendarRow('acme', 'default', 1001, calendarBody([['00:00', '24:00']], { default: true })),
    ];
    const { client } = fakeStore(rows);
    const book = new BusinessConfigBook({ client, minIntervalMs: 0 });
    await book.refresh();
    const mon = Date.parse('2026-11-23T00:00:00Z');
    expect(businessMs(book.calendarFor('acme', 'billing', mon), mon, mon + 24 * H)).toBe(8 * H);
    expect(businessMs(book.calendarFor('acme', 'sales', mon), mon, mon + 24 * H)).toBe(24 * H);
    expect(book.calendarFor('other', 'billing', mon)).toBeUndefined();
    // the calendar is replaced (longer hours), then deleted: billing falls to the default
    rows.push(calendarRow('acme', 'day', 2000, calendarBody([['08:00', '20:00']], { queues: ['billing'] })));
    await book.refresh();
    expect(businessMs(book.calendarFor('acme', 'billing', mon), mon, mon + 24 * H)).toBe(12 * H);
    rows.push(calendarRow('acme', 'day', 3000, null));
    await book.refresh();
    expect(businessMs(book.calendarFor('acme', 'billing', mon), mon, mon + 24 * H)).toBe(24 * H);
    expect(book.calendars('acme').map((c) => c.id)).toEqual(['default']);
  });

  it('measures each event with the SLA list in force at its occurred_at, whatever the order the versions were written in', async () => {
    const t0 = Date.parse('2026-03-01T00:00:00Z');
    const t1 = Date.parse('2026-04-01T00:00:00Z');
    // the April list was written first; the March one later, back-dated
    const { client } = fakeStore([slaRow('acme', 5000, t1, policy(30)), slaRow('acme', 6000, t0, policy(120))]);
    const book = new BusinessConfigBook({ client, minIntervalMs: 0 });
    await book.refresh();
    expect(book.slaTargetsFor(ev({ priority: 'urgent', occurred_at: t0 - 1 }))).toBeUndefined();
    expect(book.slaTargetsFor(ev({ priority: 'urgent', occurred_at: t0 }))).toEqual({ first_reply: { ms: 120 * 60_000, business: true } });
    expect(book.slaTargetsFor(ev({ priority: 'urgent', occurred_at: t1 + 1 }))).toEqual({ first_reply: { ms: 30 * 60_000, business: true } });
    expect(book.slaTargetsFor(ev({ tenant_id: 'other', priority: 'urgent', occurred_at: t1 + 1 }))).toBeUndefined();
    expect(book.slaVersions('acme').map((v) => v.effective_from)).toEqual([t0, t1]);
  });

  it('the files win: an API calendar with a file calendar\'s id, and API lists of a tenant the file defines, are ignored', async () => {
    const files = {
      calendars: [{ tenant: 'acme', id: 'day', calendar: { versions: [{ effective_from: '2026-01-01', zone: 'UTC', weekly: week([['09:00', '10:00']]), holidays: [] }], queues: ['billing'], default: false }, source: 'file' as const, version: 0 }],
      sla: [{ tenant: 'acme', source: 'file' as const, effective_from: -8.64e15, version: 0, policies: [] }],
    };
    const { client } = fakeStore([calendarRow('acme', 'day', 1000, calendarBody([['00:00', '24:00']], { queues: ['billing'] })), slaRow('acme', 1001, 0, policy(5))]);
    const book = new BusinessConfigBook({ client, files, minIntervalMs: 0 });
    await book.refresh();
    const mon = Date.parse('2026-11-23T00:00:00Z');
    expect(businessMs(book.calendarFor('acme', 'billing', mon), mon, mon + 24 * H)).toBe(H);
    expect(book.slaTargetsFor(ev({ priority: 'urgent', occurred_at: mon }))).toBeUndefined();
  });

  it('refresh() reads at most once per interval, only rows since the last look (with an overlap), and at once after invalidate()', async () => {
    let now = 100_000;
    const rows = [calendarRow('acme', 'day', 90_000, calendarBody([['09:00', '17:00']], { queues: ['billing'] }))];
    const { client, seen } = fakeStore(rows);
    const book = new BusinessConfigBook({ client, minIntervalMs: 1000, overlapMs: 10_000, now: () => now });
    await book.refresh();
    await book.refresh();
    now += 999;
    await book.refresh();
    expect(seen.statements).toBe(1);
    now += 1;
    await book.refresh();
    expect(seen.statements).toBe(2);
    expect(seen.since).toEqual([0, 80_000]);
    book.invalidate();
    await book.refresh();
    await book.refresh(true);
    expect(seen.statements).toBe(4);
  });

  it('a stored row this release cannot read is skipped and reported, the others still apply', async () => {
    const bad: { tenant: string; kind: string; id: string }[] = [];
    const { client } = fakeStore([calendarRow('acme', 'broken', 1, { versions: 'no' }), calendarRow('acme', 'ok', 2, calendarBody([['09:00', '17:00']], { default: true }))]);
    const book = new BusinessConfigBook({ client, minIntervalMs: 0, onInvalidRow: (row) => bad.push(row) });
    await book.refresh();
    expect(bad).toEqual([{ tenant: 'acme', kind: 'calendar', id: 'broken' }]);
    expect(book.calendars('acme').map((c) => c.id)).toEqual(['ok']);
  });
});
