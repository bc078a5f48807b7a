import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { BusinessConfigBook, loadBusinessConfigFiles, migrate, openStore, type Store } from '@switchboard/warehouse';
import { makeEvent, type ContactEventInit } from '@switchboard/events';
import { businessMs } from '@switchboard/kpi';
import { createKafka } from '@switchboard/kafka';
import { HttpServer, createMetricsRegistry, headerTenantResolver, parseCidrList } from '@switchboard/service-kit';
import { createAlerter } from '../src';

// /v1/calendars and /v1/sla-policies over embedded chDB, with a calendars file and an SLA
// policies file (read-only over HTTP). The book the routes keep current is shared, as the single
// node shares the aggregator's: a change must be in it before the aggregator's next flush, even
// though its own refresh interval (an hour here) has not passed. A second book, as a standalone
// aggregator in another process holds, sees it at its next refresh once the interval is over.

const log = pino({ level: 'silent' });
const NOW = Date.parse('2026-11-23T12:00:00Z');
const H = 3_600_000;
let dir: string;
let store: Store;
let http: HttpServer;
let api: string;
let shared: BusinessConfigBook;

const CALENDARS = `
- id: file-cal
  queues: [support]
  versions: [{ effective_from: "2026-01-01", zone: UTC, weekly: { mon: [["09:00", "10:00"]] } }]
`;
const SLA = `
- tenant: filed
  policies: [{ name: all, targets: { urgent: { first_reply: { minutes: 5 } } } }]
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-business-api-'));
  store = await openStore({ kind: 'embedded', path: join(dir, 'chdb') });
  await migrate(store.client);
  writeFileSync(join(dir, 'calendars.yaml'), CALENDARS);
  writeFileSync(join(dir, 'sla.yaml'), SLA);
  const files = loadBusinessConfigFiles({ CALENDARS_FILE: join(dir, 'calendars.yaml'), SLA_POLICIES_FILE: join(dir, 'sla.yaml') }, 'demo');
  shared = new BusinessConfigBook({ client: store.client, files, minIntervalMs: H, now: () => NOW });
  await shared.refresh(true);
  const metrics = createMetricsRegistry();
  http = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics });
  createAlerter({
    kafka: createKafka({ brokers: ['127.0.0.1:1'], clientId: 'unused' }, log), store, http, log, metrics,
    tenantOf: headerTenantResolver('demo'), now: () => NOW, schedule: false,
    config: {
      alertsTopic: 'unused', groupId: 'unused', sessionTimeoutMs: 10_000, freshnessMs: 10_000, linkBaseUrl: 'http://x', defaultTenant: 'demo',
      outboxMs: 3_600_000, notifier: { maxAttempts: 1, initialBackoffMs: 10, maxBackoffMs: 10, timeoutMs: 1000, allow: parseCidrList('127.0.0.1') },
    },
    businessConfig: { book: shared },
  });
  await http.start();
  api = http.url;
});
afterAll(async () => {
  await http?.stop();
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const r = await fetch(`${api}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? (JSON.parse(text) as Record<string, any>) : null };
};
const weekdays = (day: [string, string][]) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, day]));
const calendar = (extra: Record<string, unknown> = {}) => ({
  name: 'Berlin support',
  versions: [{ effective_from: '2026-01-01', zone: 'Europe/Berlin', weekly: weekdays([['08:00', '12:00'], ['13:00', '18:00']]), holidays: [{ date: '2026-12-24', open: [['08:00', '12:00']] }] }],
  queues: ['billing'],
  ...extra,
});
const ev = (init: Partial<ContactEventInit>) => makeEvent({ event_id: 'e', tenant_id: 'demo', contact_id: 'c', type: 'agent_message', occurred_at: NOW, channel: 'email', direction: 'inbound', source: 'api', ...init });
const MON = Date.parse('2026-11-23T00:00:00Z');

describe('/v1/calendars', () => {
  it('PUT creates (201) and replaces (200); GET lists the file\'s and the API\'s; the shared book has it at once', async () => {
    const created = await call('PUT', '/v1/calendars/berlin', calendar());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'berlin', source: 'api', queues: ['billing'], default: false });
    // before its own interval is over, the aggregator's book (shared) answers with the new calendar
    expect(businessMs(shared.calendarFor('demo', 'billing', NOW), MON, MON + 24 * H)).toBe(9 * H);

    const replaced = await call('PUT', '/v1/calendars/berlin', `name: Berlin support\nqueues: [billing, sales]\nversions:\n  - { effective_from: "2026-01-01", zone: Europe/Berlin, weekly: { mon: [["08:00", "20:00"]] } }\n`, { 'content-type': 'application/yaml' });
    expect(replaced.status).toBe(200);
    expect(businessMs(shared.calendarFor('demo', 'sales', NOW), MON, MON + 24 * H)).toBe(12 * H);

    const list = await call('GET', '/v1/calendars');
    expect(list.body!.calendars.map((c: { id: string; source: string }) => [c.id, c.source])).toEqual([['file-cal', 'file'], ['berlin', 'api']]);
    expect((await call('GET', '/v1/calendars/berlin')).body).toMatchObject({ id: 'berlin', queues: ['billing', 'sales'] });
    expect((await call('GET', '/v1/calendars/nope')).status).toBe(404);
    // another tenant sees none of it
    expect((await call('GET', '/v1/calendars', undefined, { 'x-tenant-id': 'acme' })).body).toEqual({ calendars: [] });
  });

  it('a book of another process (a standalone aggregator) sees the change at its first refresh after the interval', async () => {
    let now = NOW;
    const other = new BusinessConfigBook({ client: store.client, minIntervalMs: 1000, now: () => now });
    await other.refresh(true);
    await call('PUT', '/v1/calendars/late', calendar({ queues: ['late'] }));
    await other.refresh();
    expect(other.calendarFor('demo', 'late', NOW)).toBeUndefined();
    now += 1000;
    await other.refresh();
    expect(other.calendarFor('demo', 'late', NOW)?.name).toBe('Berlin support');
    expect((await call('DELETE', '/v1/calendars/late')).status).toBe(204);
  });

  it('400 names every problem: overlap, end before start, unknown zone, bad date, a queue another calendar has, a second default', async () => {
    expect((await call('PUT', '/v1/calendars/default-cal', calendar({ queues: [], default: true }))).status).toBe(201);
    const r = await call('PUT', '/v1/calendars/bad', {
      id: 'other-id',
      versions: [{ effective_from: '2026-02-30', zone: 'Europe/Atlantis', weekly: { mon: [['08:00', '12:00'], ['11:00', '14:00']], tue: [['17:00', '09:00']] } }],
      queues: ['billing', 'support', 'fresh', 'fresh'],
      default: true,
    });
    expect(r.status).toBe(400);
    const byField = Object.fromEntries((r.body!.details as { field: string; reason: string }[]).map((d) => [d.field, d.reason]));
    expect(byField).toMatchObject({
      id: expect.stringMatching(/differs from the id in the path/),
      'versions.0.effective_from': expect.stringMatching(/real date/),
      'versions.0.zone': expect.stringMatching(/IANA/),
      'versions.0.weekly.mon.1': expect.stringMatching(/overlaps 08:00–12:00/),
      'versions.0.weekly.tue.0': expect.stringMatching(/ends \(09:00\) before it starts \(17:00\)/),
      'queues.0': expect.stringMatching(/already judged by calendar "berlin"/),
      'queues.1': expect.stringMatching(/already judged by calendar "file-cal"/),
      'queues.3': expect.stringMatching(/listed twice/),
      default: expect.stringMatching(/"default-cal" is already the tenant's default/),
    });
    expect((await call('PUT', '/v1/calendars/bad', [1, 2])).body!.details).toEqual([{ field: '(body)', reason: 'must be one calendar as a JSON (or YAML) object' }]);
    expect((await call('PUT', '/v1/calendars/-bad-id', calendar())).body!.details[0].field).toBe('id');
    expect((await call('GET', '/v1/calendars/bad')).status).toBe(404);
  });

  it('the file\'s calendars are read-only (409); DELETE removes an API calendar, and its queue falls to the default', async () => {
    expect((await call('PUT', '/v1/calendars/file-cal', calendar({ queues: [] }))).status).toBe(409);
    expect((await call('DELETE', '/v1/calendars/file-cal')).status).toBe(409);
    expect((await call('DELETE', '/v1/calendars/berlin')).status).toBe(204);
    expect((await call('DELETE', '/v1/calendars/berlin')).status).toBe(404);
    expect(shared.calendarFor('demo', 'billing', NOW)?.name).toBe('Berlin support');
    expect(shared.calendars('demo').find((c) => c.id === 'berlin')).toBeUndefined();
    expect(shared.calendarFor('demo', 'billing', NOW)).toBe(shared.calendars('demo').find((c) => c.id === 'default-cal')!.calendar);
  });
});

describe('/v1/sla-policies', () => {
  const list = (minutes: number) => [
    { name: 'Urgent', conditions: { priority: ['urgent'] }, targets: { urgent: { first_reply: { minutes, business_hours: true }, resolution: { minutes: 480 } } } },
    { name: 'Rest', targets: { normal: { first_reply: { minutes: 240 } } } },
  ];

  it('none at first; PUT adds a version in force from now (or effective_from); GET shows the list in force and every version', async () => {
    expect((await call('GET', '/v1/sla-policies')).body).toEqual({ source: null, effective_from: null, policies: [], versions: [] });
    const first = await call('PUT', '/v1/sla-policies', { policies: list(60), effective_from: '2026-11-01T00:00:00Z' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ effective_from: '2026-11-01T00:00:00.000Z', source: 'api' });
    // a bare list takes effect when it is written (the wall clock of the write)
    const second = await call('PUT', '/v1/sla-policies', list(30));
    expect(second.status).toBe(200);
    const written = Date.parse(second.body!.effective_from);
    expect(written).toBeGreaterThan(Date.parse('2026-11-01T00:00:00Z'));

    const got = (await call('GET', '/v1/sla-policies')).body!;
    expect(got.versions.map((v: { effective_from: string }) => v.effective_from)).toEqual(['2026-11-01T00:00:00.000Z', second.body!.effective_from]);
    // an event is measured with the list in force at its occurred_at
    expect(shared.slaTargetsFor(ev({ priority: 'urgent', occurred_at: Date.parse('2026-10-31T23:59:59Z') }))).toBeUndefined();
    expect(shared.slaTargetsFor(ev({ priority: 'urgent', occurred_at: Date.parse('2026-11-02T00:00:00Z') }))).toEqual({ first_reply: { ms: 60 * 60_000, business: true }, resolution: { ms: 480 * 60_000, business: false } });
    expect(shared.slaTargetsFor(ev({ priority: 'urgent', occurred_at: written }))?.first_reply?.ms).toBe(30 * 60_000);
    expect(shared.slaTargetsFor(ev({ priority: 'normal', occurred_at: written }))).toEqual({ first_reply: { ms: 240 * 60_000, business: false } });
    expect(shared.slaTargetsFor(ev({ priority: null, occurred_at: written }))).toBeUndefined();
  });

  it('400 names every problem', async () => {
    const r = await call('PUT', '/v1/sla-policies', {
      effective_from: 'soon',
      policies: [
        { name: 'x', conditions: { channel: ['pigeon'], queue_id: [] }, targets: { urgent: { first_reply: { minutes: -5 } } } },
        { name: 'x', targets: {} },
      ],
    });
    expect(r.status).toBe(400);
    expect((r.body!.details as { field: string }[]).map((d) => d.field).sort()).toEqual([
      'effective_from', 'policies.0.conditions.channel.0', 'policies.0.conditions.queue_id', 'policies.0.targets.urgent.first_reply.minutes', 'policies.1.name', 'policies.1.targets',
    ].sort());
    expect((await call('PUT', '/v1/sla-policies', 'null')).status).toBe(400);
  });

  it('a tenant whose policies the file defines reads them (source file) and cannot replace them (409)', async () => {
    const got = await call('GET', '/v1/sla-policies', undefined, { 'x-tenant-id': 'filed' });
    expect(got.body).toMatchObject({ source: 'file', effective_from: null, policies: [{ name: 'all' }] });
    expect((await call('PUT', '/v1/sla-policies', { policies: [] }, { 'x-tenant-id': 'filed' })).status).toBe(409);
  });
});
