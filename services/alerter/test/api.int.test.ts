import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { aggregateMinuteRows, KpiWriter, migrate, openStore, type Store } from '@switchboard/warehouse';
import { makeEvent, type ContactEventInit } from '@switchboard/events';
import { createKafka } from '@switchboard/kafka';
import { HttpServer, createMetricsRegistry, headerTenantResolver, parseCidrList } from '@switchboard/service-kit';
import { createAlerter, type Alerter } from '../src';
import { loadRulesFile } from '../src/alerter';
import { goalProgress } from '../src/targets';

// The HTTP API over embedded chDB (one data directory for this file's process). No component is
// started: rules, targets and goals live in the store and need neither Kafka nor leadership.

const log = pino({ level: 'silent' });
let dir: string;
let store: Store;
let http: HttpServer;
let alerter: Alerter;
let api: string;

const FILE_RULES = `
rules:
  - id: file-aband
    name: Abandonment
    kpi: abandonment_rate
    each: queue_id
    comparison: ">"
    threshold: 0.1
    recovery_threshold: 0.05
    notify: [{ url: "https://hooks.example.com/a", format: slack, secret: file-secret }]
  - id: other-tenant
    tenant: acme
    kpi: csat
    comparison: "<"
    threshold: 0.9
`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-alerter-api-'));
  store = await openStore({ kind: 'embedded', path: join(dir, 'chdb') });
  await migrate(store.client);
  writeFileSync(join(dir, 'rules.yaml'), FILE_RULES);
  const metrics = createMetricsRegistry();
  http = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics });
  alerter = createAlerter({
    kafka: createKafka({ brokers: ['127.0.0.1:1'], clientId: 'unused' }, log), store, http, log, metrics,
    tenantOf: headerTenantResolver('demo'), now: () => Date.parse('2026-11-22T12:00:30Z'), schedule: false,
    config: {
      alertsTopic: 'unused', groupId: 'unused', sessionTimeoutMs: 10_000, freshnessMs: 10_000, linkBaseUrl: 'http://x', defaultTenant: 'demo',
      rulesFile: join(dir, 'rules.yaml'), outboxMs: 3_600_000, notifier: { maxAttempts: 1, initialBackoffMs: 10, maxBackoffMs: 10, timeoutMs: 1000, allow: parseCidrList('127.0.0.1') },
    },
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

const rule = {
  name: 'Billing SL', kpi: 'service_level', options: { sl_threshold_s: 30 }, scope: { queue_id: 'billing' },
  comparison: '<', threshold: 0.8, recovery_threshold: 0.85, pending_evaluations: 2, min_sample: 20,
  notify: [{ url: 'https://hooks.example.com/x', format: 'json', secret: 'api-secret' }],
};

describe('alert rules API', () => {
  it('lists the rules file (its tenant only, read-only, secrets redacted)', async () => {
    const r = await call('GET', '/v1/alert-rules');
    expect(r.body!.rules.map((x: any) => [x.id, x.source, x.tenant])).toEqual([['file-aband', 'file', 'demo']]);
    expect(r.body!.rules[0].notify[0].secret).toBe('***');
    expect((await call('GET', '/v1/alert-rules', undefined, { 'x-tenant-id': 'acme' })).body!.rules.map((x: any) => x.id)).toEqual(['other-tenant']);
    expect((await call('PUT', '/v1/alert-rules/file-aband', rule)).status).toBe(409);
    expect((await call('DELETE', '/v1/alert-rules/file-aband')).status).toBe(409);
  });

  it('creates, replaces, reads and deletes a rule; tenants do not see each other', async () => {
    const created = await call('PUT', '/v1/alert-rules/billing-sl', rule);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'billing-sl', source: 'api', tenant: 'demo', window: '15m', pending_evaluations: 2, notify: [{ secret: '***' }] });
    // the redacted secret sent back keeps the stored one
    const updated = await call('PUT', '/v1/alert-rules/billing-sl', { ...created.body, source: undefined, tenant: undefined, threshold: 0.75 });
    expect(updated.status).toBe(200);
    const stored = (await alerter.rules('demo')).find((r) => r.spec.id === 'billing-sl')!;
    expect(stored.spec.threshold).toBe(0.75);
    expect(stored.spec.notify[0]!.secret).toBe('api-secret');
    // the URL is a secret too: answers show its origin, and the masked URL sent back keeps the stored one
    expect(created.body!.notify[0].url).toBe('https://hooks.example.com/***');
    expect(stored.spec.notify[0]!.url).toBe('https://hooks.example.com/x');
    expect((await call('GET', '/v1/alert-rules/billing-sl')).body).toMatchObject({ threshold: 0.75 });
    expect((await call('GET', '/v1/alert-rules/billing-sl', undefined, { 'x-tenant-id': 'acme' })).status).toBe(404);
    expect((await call('DELETE', '/v1/alert-rules/billing-sl')).status).toBe(204);
    expect((await call('DELETE', '/v1/alert-rules/billing-sl')).status).toBe(404);
    expect((await call('GET', '/v1/alert-rules')).body!.rules.map((x: any) => x.id)).toEqual(['file-aband']);
  });

  it('refuses webhooks that name an internal address, naming the field (allowed ranges aside)', async () => {
    for (const url of ['http://localhost:8123/?query=SELECT%201', 'http://10.1.2.3/hook', 'http://[::ffff:169.254.169.254]/latest', 'http://0x0a000001:8123/']) {
      const r = await call('PUT', '/v1/alert-rules/ssrf', { ...rule, notify: [{ url: 'https://hooks.example.com/ok' }, { url }] });
      expect(r.status, url).toBe(400);
      expect(r.body!.details, url).toEqual([{ field: 'notify.1.url', reason: expect.stringMatching(/webhooks reach public addresses only/) }]);
    }
    const many = await call('PUT', '/v1/alert-rules', [{ ...rule, id: 'a' }, { ...rule, id: 'b', notify: [{ url: 'http://192.168.0.1/' }] }]);
    expect(many.status).toBe(400);
    expect(many.body!.details.map((d: any) => d.field)).toEqual(['1.notify.0.url']);
    // this instance allows 127.0.0.1 (ALERTER_WEBHOOK_ALLOW): an on-premises receiver
    const allowed = await call('PUT', '/v1/alert-rules/onprem', { ...rule, notify: [{ url: 'http://127.0.0.1:9/hook' }] });
    expect(allowed.status).toBe(201);
    expect((await call('DELETE', '/v1/alert-rules/onprem')).status).toBe(204);
    expect((await alerter.rules('demo')).map((r) => r.spec.id)).toEqual(['file-aband']);
  });

  it('accepts YAML', async () => {
    const r = await fetch(`${api}/v1/alert-rules/asa`, { method: 'PUT', headers: { 'content-type': 'application/yaml' }, body: 'kpi: asa_ms\ncomparison: ">"\nthreshold: 30000\nwindow: 5m\n' });
    expect(r.status).toBe(201);
    expect(await r.json()).toMatchObject({ id: 'asa', kpi: 'asa_ms', window: '5m' });
    const bad = await fetch(`${api}/v1/alert-rules/asa`, { method: 'PUT', headers: { 'content-type': 'application/yaml' }, body: 'kpi: [unclosed' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/invalid YAML/);
  });

  it('400 says what is wrong with each field', async () => {
    const r = await call('PUT', '/v1/alert-rules/bad', { ...rule, kpi: 'sevice_level', comparison: '=<', window: '90s', recovery_threshold: 0.7, extra: 1 });
    expect(r.status).toBe(400);
    expect(r.body!.error).toBe('invalid rule');
    const fields = r.body!.details.map((d: any) => d.field).sort();
    expect(fields).toEqual(['(body)', 'comparison', 'window']);
    // shape first, then meaning: a well-formed rule with a wrong KPI and recovery side
    const r2 = await call('PUT', '/v1/alert-rules/bad', { ...rule, kpi: 'sevice_level', recovery_threshold: 0.7 });
    expect(r2.body!.details).toEqual([
      { field: 'kpi', reason: expect.stringContaining('unknown KPI "sevice_level"') },
      { field: 'recovery_threshold', reason: expect.stringContaining('must be ≥ threshold (0.8)') },
    ]);
    expect((await call('PUT', '/v1/alert-rules/bad', { ...rule, id: 'other' })).body!.details[0]).toMatchObject({ field: 'id' });
    expect((await call('PUT', '/v1/alert-rules/bad', [rule])).status).toBe(400);
    expect((await call('PUT', '/v1/alert-rules/bad', '{"kpi":')).status).toBe(400);
  });

  it('PUT /v1/alert-rules replaces the tenant\'s API rules at once, or nothing when one is invalid', async () => {
    await call('PUT', '/v1/alert-rules/old', rule);
    const bad = await call('PUT', '/v1/alert-rules', [{ ...rule, id: 'a' }, { ...rule, id: 'a' }, { ...rule, id: 'c', threshold: 'x' }]);
    expect(bad.status).toBe(400);
    expect(bad.body!.details.map((d: any) => d.field)).toEqual(['1.id', '2.threshold']);
    expect((await call('GET', '/v1/alert-rules')).body!.rules.map((x: any) => x.id).sort()).toEqual(['asa', 'file-aband', 'old']);
    const ok = await call('PUT', '/v1/alert-rules', { rules: [{ ...rule, id: 'a' }, { ...rule, id: 'b' }] });
    expect(ok.status).toBe(200);
    expect(ok.body!.rules.map((x: any) => x.id)).toEqual(['file-aband', 'a', 'b']);
  });

  it('a rules file with mistakes names each rule and field', () => {
    const p = join(dir, 'bad.yaml');
    writeFileSync(p, '- id: x\n  kpi: nope\n  comparison: "<"\n  threshold: 1\n- id: x\n  kpi: csat\n  comparison: "<"\n  threshold: 0.9\n- kpi: csat\n');
    expect(() => loadRulesFile(p, 'demo')).toThrow(/rules\[0\] \(x\)\.kpi: unknown KPI "nope"[\s\S]*rules\[1\]\.id: duplicate rule id x[\s\S]*rules\[2\]\.id/);
  });

  it('GET /v1/alerts answers an empty list and refuses unknown parameters', async () => {
    expect((await call('GET', '/v1/alerts?state=active')).body).toEqual({ alerts: [] });
    const r = await call('GET', '/v1/alerts?status=firing&from=yesterday');
    expect(r.status).toBe(400);
    expect(r.body!.details.map((d: any) => d.param)).toEqual(['status', 'from']);
  });
});

describe('targets and goals', () => {
  const H = Date.parse('2026-11-22T10:00:00Z');
  let n = 0;
  const ev = (minute: number, extra: Partial<ContactEventInit>) =>
    makeEvent({ event_id: `t${n++}`, tenant_id: 'demo', contact_id: `c${n}`, occurred_at: H + minute * 60_000, channel: 'voice', direction: 'inbound', source: 'api', queue_id: 'billing', type: 'queued', ...extra });

  beforeAll(async () => {
    // 10:00–10:59: 4 answered within 20 s, 0 late (SL 1.0); 11:00–11:59: 1 within, 3 late (SL 0.25)
    const events = [0, 1, 2, 3].flatMap((i) => [ev(i, {}), ev(i, { type: 'answered', wait_ms: 5_000, agent_id: 'a' })]);
    events.push(...[60, 61, 62, 63].flatMap((i) => [ev(i, {}), ev(i, { type: 'answered', wait_ms: i === 60 ? 10_000 : 40_000, agent_id: 'a' })]));
    await new KpiWriter(store.client).write(aggregateMinuteRows(events), 'targets-test');
  });

  it('reports attainment per window', async () => {
    expect((await call('PUT', '/v1/targets/sl-80-20', { kpi: 'service_level', scope: { queue_id: 'billing' }, comparison: '>=', threshold: 0.8, bogus: 1 })).status).toBe(400);
    const put = await call('PUT', '/v1/targets/sl-80-20', { name: '80/20', kpi: 'service_level', options: { sl_threshold_s: 20 }, scope: { queue_id: 'billing' }, comparison: '>=', threshold: 0.8 });
    expect(put.status).toBe(200);
    expect((await call('GET', '/v1/targets')).body!.targets.map((t: any) => t.id)).toEqual(['sl-80-20']);
    expect((await call('GET', '/v1/targets/sl-80-20')).body).toEqual({ id: 'sl-80-20', ...put.body, options: expect.anything() });
    expect((await call('GET', '/v1/targets/none')).status).toBe(404);
    const r = await call('GET', '/v1/targets/sl-80-20/attainment?from=2026-11-22T10:00:00Z&to=2026-11-22T13:00:00Z&granularity=1h');
    expect(r.status).toBe(200);
    expect(r.body!.windows).toEqual([
      { ts: '2026-11-22T10:00:00.000Z', value: 1, met: true },
      { ts: '2026-11-22T11:00:00.000Z', value: 0.25, met: false },
      { ts: '2026-11-22T12:00:00.000Z', value: null, met: null },
    ]);
    expect(r.body).toMatchObject({ windows_with_data: 2, windows_met: 1, attainment: 0.5 });
    expect((await call('GET', '/v1/targets/sl-80-20/attainment?from=2026-11-22T10:00:00Z&to=2026-11-22T09:00:00Z&granularity=2h')).body!.details.map((d: any) => d.param)).toEqual(['granularity', 'to']);
    expect((await call('GET', '/v1/targets/nope/attainment?from=2026-11-22T10:00:00Z&to=2026-11-22T11:00:00Z')).status).toBe(404);
    // an instant the store cannot hold is the client's mistake (it was a 500)
    const early = await call('GET', '/v1/targets/sl-80-20/attainment?from=1969-12-31T00:00:00Z&to=2026-11-22T11:00:00Z');
    expect(early.status).toBe(400);
    expect(early.body!.details).toEqual([{ param: 'from', reason: expect.stringMatching(/outside 1970/) }]);
  });

  it('reports goal progress against the straight-line trajectory', async () => {
    const goal = { kpi: 'service_level', scope: { queue_id: 'billing' }, baseline: 0.5, baseline_at: '2026-11-01T00:00:00Z', target: 0.9, deadline: '2026-12-01T00:00:00Z', window: '2h' };
    expect((await call('PUT', '/v1/goals/sl-up', { ...goal, deadline: '2026-10-01T00:00:00Z' })).body!.details[0].field).toBe('deadline');
    expect((await call('PUT', '/v1/goals/sl-up', goal)).status).toBe(200);
    expect((await call('GET', '/v1/goals/sl-up')).body).toMatchObject({ id: 'sl-up', kpi: goal.kpi, target: goal.target });
    expect((await call('GET', '/v1/goals/none')).status).toBe(404);
    // at 12:00 the last 2 h hold SL (4 + 1) / 8 = 0.625; 21.5 of 30 days elapsed → expected 0.5 + 0.4 × 0.7167 = 0.7867
    const r = await call('GET', '/v1/goals/sl-up/progress?at=2026-11-22T12:00:00Z');
    expect(r.status).toBe(200);
    expect(r.body!.current.value).toBeCloseTo(0.625, 9);
    expect(r.body!.elapsed).toBeCloseTo(21.5 / 30, 9);
    expect(r.body!.expected).toBeCloseTo(0.5 + 0.4 * (21.5 / 30), 9);
    expect(r.body!.progress).toBeCloseTo(0.3125, 9);
    expect(r.body).toMatchObject({ on_track: false, status: 'behind' });
    // a goal to go down (complaints −15 %), on track, reached, missed
    const down = { kpi: 'complaints', options: {}, scope: {}, baseline: 100, baseline_at: '2026-01-01T00:00:00Z', target: 85, deadline: '2026-07-01T00:00:00Z', window: '1d' };
    const mid = Date.parse('2026-04-01T12:00:00Z');
    expect(goalProgress(down, 90, mid)).toMatchObject({ on_track: true, status: 'on_track' });
    expect(goalProgress(down, 99, mid)).toMatchObject({ on_track: false, status: 'behind' });
    expect(goalProgress(down, 85, mid)).toMatchObject({ status: 'reached' });
    expect(goalProgress(down, 95, Date.parse('2026-08-01T00:00:00Z'))).toMatchObject({ elapsed: 1, expected: 85, status: 'missed' });
    expect(goalProgress(down, null, mid)).toMatchObject({ progress: null, status: 'no_data' });
  });
});
