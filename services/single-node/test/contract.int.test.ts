import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { OpenApiChecker } from '@switchboard/testkit';
import { agentsRequired, agentsScheduled } from '@switchboard/kpi';
import { buildWallboard, loadWallboard } from '@switchboard/wallboard';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';

// The whole HTTP surface of `npm start` against its OpenAPI document (docs/api.md, "The
// contract"): every route the process serves is documented and every documented operation is
// served; each operation is called, with good and bad input, and every answer must match the
// schema of its status and content type. docs/openapi.json (every service) holds the same
// operations for these paths.

const log = pino({ level: 'silent' });
const run = randomUUID().slice(0, 8);
const state = mkdtempSync(join(tmpdir(), 'sb-contract-'));
const root = new URL('../../../', import.meta.url);
const fixtures = new URL('packages/adapters/test/fixtures/', root);
let node: SingleNode;
let url: string;
let checker: OpenApiChecker;
const problems: string[] = [];
const now = Date.now();
const hour = (ms: number) => new Date(Math.floor(ms / 3600_000) * 3600_000).toISOString();

beforeAll(async () => {
  if (!loadWallboard()) await buildWallboard(); // `npm test` builds it first
  // a calendar from the file: read-only over HTTP
  writeFileSync(join(state, 'calendars.yaml'), '- id: file-cal\n  queues: [q9]\n  versions: [{ effective_from: "2026-01-01", zone: UTC, weekly: { mon: [["09:00", "17:00"]] } }]\n');
  node = await startSingleNode(
    singleNodeEnvSchema.parse({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: `contract-${run}-`, KAFKA_EVENT_PARTITIONS: '1',
      AGGREGATOR_GROUP_ID: `contract-${run}`, ALERTER_GROUP_ID: `contract-alerter-${run}`, AGGREGATOR_FLUSH_MS: '100', PORT: '0', SWITCHBOARD_STATE: state,
      CALENDARS_FILE: join(state, 'calendars.yaml'),
    }),
    log,
  );
  url = node.http.url;
  const served = (await (await fetch(`${url}/v1/openapi.json`)).json()) as Record<string, unknown>;
  checker = new OpenApiChecker(served);
});
afterAll(async () => {
  await node?.stop();
  rmSync(state, { recursive: true, force: true });
});

/** Calls the route, checks the answer against the document, and returns status and body. */
async function call(method: string, path: string, opts: { body?: unknown; type?: string; headers?: Record<string, string> } = {}) {
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  const r = await checker.fetch(`${url}${path}`, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': opts.type ?? 'application/json', ...opts.headers } }),
    ...(body === undefined && opts.headers ? { headers: opts.headers } : {}),
  });
  problems.push(...r.problems.map((p) => `${method} ${path}: ${p}`));
  return r;
}

const ev = (i: number, extra: Record<string, unknown> = {}) => ({
  event_id: `contract-${run}-${i}`, contact_id: `c-${run}-${i}`, type: 'queued', occurred_at: now - 60_000, channel: 'voice', direction: 'inbound', queue_id: 'q1', ...extra,
});
const rule = { kpi: 'service_level', comparison: '<', threshold: 0.8, window: '15m', notify: [{ url: 'https://hooks.example.com/services/T0/B0/secret' }] };
const target = { kpi: 'service_level', comparison: '>=', threshold: 0.8, scope: { queue_id: 'q1' } };
const goal = { kpi: 'abandonment_rate', baseline: 0.12, baseline_at: '2026-11-01T00:00:00Z', target: 0.08, deadline: '2027-05-01T00:00:00Z' };
const range = `from=${hour(now - 3600_000)}&to=${hour(now + 3600_000)}`;

describe('the HTTP surface of npm start', () => {
  it('serves exactly the documented routes, and they are those of docs/openapi.json', async () => {
    expect(node.http.routes()).toEqual(checker.operations().sort());
    const whole = JSON.parse(readFileSync(new URL('docs/openapi.json', root), 'utf8')) as { paths: Record<string, Record<string, unknown>> };
    const wholeOps = Object.entries(whole.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(wholeOps).toEqual(expect.arrayContaining(checker.operations()));
  });

  it('answers every operation as documented, good input and bad', async () => {
    // events in
    expect((await call('POST', '/v1/events', { body: [ev(1), ev(2, { type: 'answered', wait_ms: 4000 })] })).status).toBe(202);
    expect((await call('POST', '/v1/events', { body: `${JSON.stringify(ev(3))}\n${JSON.stringify(ev(4))}\n`, type: 'application/x-ndjson' })).status).toBe(202);
    expect((await call('POST', '/v1/events?partial=true', { body: [ev(5), ev(6, { wait_ms: '18s' })] })).status).toBe(202);
    expect((await call('POST', '/v1/events', { body: [ev(7, { occurred_at: '2026-11-31T10:00:00Z' })] })).status).toBe(400);
    expect((await call('POST', '/v1/events', { body: 'x', type: 'text/plain' })).status).toBe(415);
    expect((await call('POST', '/v1/events', { body: '{', type: 'application/json' })).status).toBe(400);

    // vendor deliveries (local mode: no credentials configured, auth off)
    const ctr = JSON.parse(readFileSync(new URL('amazon-connect/ctr-answered-hold-acw.json', fixtures), 'utf8')) as Record<string, unknown>;
    const firehose = { requestId: `req-${run}`, timestamp: now, records: [{ data: Buffer.from(JSON.stringify(ctr)).toString('base64') }, { data: 'bm90IGpzb24=' }] };
    expect((await call('POST', '/v1/adapters/amazon-connect', { body: firehose })).status).toBe(200);
    expect((await call('POST', '/v1/adapters/amazon-connect', { body: '{"records": 1', type: 'application/json' })).status).toBe(400);
    const callbacks = JSON.parse(readFileSync(new URL('twilio/callback-voice-call.json', fixtures), 'utf8')) as Record<string, string>[];
    expect((await call('POST', '/v1/adapters/twilio', { body: new URLSearchParams(callbacks[0]!).toString(), type: 'application/x-www-form-urlencoded' })).status).toBe(204);
    expect((await call('POST', '/v1/adapters/twilio', { body: 'x', type: 'text/csv' })).status).toBe(415);
    const conv = readFileSync(new URL('genesys/abandoned.json', fixtures), 'utf8');
    expect((await call('POST', '/v1/adapters/genesys', { body: conv })).status).toBe(202);
    expect((await call('POST', '/v1/adapters/genesys', { body: '' })).status).toBe(400);
    const hooks = JSON.parse(readFileSync(new URL('zendesk/webhooks.json', fixtures), 'utf8')) as Record<string, unknown>;
    expect((await call('POST', '/v1/adapters/zendesk', { body: hooks.created })).status).toBe(200);
    expect((await call('POST', '/v1/adapters/zendesk', { body: 'nope', type: 'application/json' })).status).toBe(400);

    // KPIs and the real-time state
    expect((await call('GET', `/v1/kpis?metrics=offered,answered,service_level,asa_ms,nps,top_topics&group_by=queue_id&granularity=15m&${range}`)).status).toBe(200);
    expect((await call('GET', `/v1/kpis?metrics=offered&metrics=aht_ms&format=columns&${range}`)).status).toBe(200);
    const csv = await call('GET', `/v1/kpis?metrics=offered,service_level,top_topics&group_by=queue_id&granularity=1h&format=csv&${range}`);
    expect(csv.status).toBe(200);
    expect(String(csv.body).split('\r\n')[0]).toBe('window_start,queue_id,offered,service_level,top_topics');
    expect((await call('GET', '/v1/kpis?metrics=offered&from=1969-12-31&to=2026-01-01')).status).toBe(400);
    expect((await call('GET', '/v1/realtime?group_by=queue_id')).status).toBe(200);
    expect((await call('GET', '/v1/realtime?lookback_h=0')).status).toBe(400);

    // alert rules and alerts
    expect((await call('PUT', '/v1/alert-rules/sl-low', { body: rule })).status).toBe(201);
    expect((await call('PUT', '/v1/alert-rules/sl-low', { body: { ...rule, threshold: 0.7 } })).status).toBe(200);
    expect((await call('PUT', '/v1/alert-rules/sl-low', { body: 'kpi: service_level\ncomparison: "<"\nthreshold: 0.75\n', type: 'application/yaml' })).status).toBe(200);
    expect((await call('PUT', '/v1/alert-rules/bad', { body: { kpi: 'nope', comparison: '=', threshold: 'x' } })).status).toBe(400);
    expect((await call('GET', '/v1/alert-rules/sl-low')).status).toBe(200);
    expect((await call('GET', '/v1/alert-rules/missing')).status).toBe(404);
    expect((await call('GET', '/v1/alert-rules')).status).toBe(200);
    expect((await call('PUT', '/v1/alert-rules', { body: [{ ...rule, id: 'sl-low' }, { ...rule, id: 'sl-very-low', threshold: 0.5 }] })).status).toBe(200);
    expect((await call('PUT', '/v1/alert-rules', { body: { rules: 3 } })).status).toBe(400);
    expect((await call('DELETE', '/v1/alert-rules/sl-very-low')).status).toBe(204);
    expect((await call('DELETE', '/v1/alert-rules/sl-very-low')).status).toBe(404);
    expect((await call('GET', '/v1/alerts?state=active&include=events')).status).toBe(200);
    expect((await call('GET', '/v1/alerts?state=now')).status).toBe(400);

    // targets and goals
    expect((await call('PUT', '/v1/targets/sl-q1', { body: target })).status).toBe(200);
    expect((await call('PUT', '/v1/targets/sl-q1', { body: { ...target, threshold: 'high' } })).status).toBe(400);
    expect((await call('GET', '/v1/targets/sl-q1')).status).toBe(200);
    expect((await call('GET', '/v1/targets')).status).toBe(200);
    expect((await call('GET', `/v1/targets/sl-q1/attainment?${range}&granularity=15m`)).status).toBe(200);
    expect((await call('GET', '/v1/targets/sl-q1/attainment?from=yesterday')).status).toBe(400);
    expect((await call('GET', `/v1/targets/none/attainment?${range}`)).status).toBe(404);
    expect((await call('PUT', '/v1/goals/aband', { body: goal })).status).toBe(200);
    expect((await call('PUT', '/v1/goals/aband', { body: { ...goal, deadline: '2026-01-01T00:00:00Z' } })).status).toBe(400);
    expect((await call('GET', '/v1/goals/aband')).status).toBe(200);
    expect((await call('GET', '/v1/goals')).status).toBe(200);
    expect((await call('GET', '/v1/goals/aband/progress')).status).toBe(200);
    expect((await call('GET', '/v1/goals/aband/progress?at=never')).status).toBe(400);
    expect((await call('GET', '/v1/goals/none/progress')).status).toBe(404);
    expect((await call('DELETE', '/v1/targets/sl-q1')).status).toBe(204);
    expect((await call('GET', '/v1/targets/sl-q1')).status).toBe(404);
    expect((await call('DELETE', '/v1/goals/aband')).status).toBe(204);
    expect((await call('DELETE', '/v1/goals/aband')).status).toBe(404);

    // calendars and SLA policies (docs/business-hours.md, docs/sla.md)
    const calendar = { versions: [{ effective_from: '2026-01-01', zone: 'Europe/Berlin', weekly: { mon: [['08:00', '12:00'], ['13:00', '18:00']] } }], queues: ['q1'] };
    expect((await call('PUT', '/v1/calendars/berlin', { body: calendar })).status).toBe(201);
    // the aggregator's book has it before its next flush
    expect(node.aggregator.book.calendarFor('demo', 'q1', now)?.versions[0]?.zone).toBe('Europe/Berlin');
    expect((await call('PUT', '/v1/calendars/berlin', { body: 'queues: [q1]\ndefault: true\nversions: [{ effective_from: "2026-01-01", zone: UTC, weekly: { tue: [["08:00", "16:00"]] } }]\n', type: 'application/yaml' })).status).toBe(200);
    expect((await call('PUT', '/v1/calendars/bad', { body: { versions: [{ effective_from: '2026-01-01', zone: 'Mars/Base', weekly: { mon: [['12:00', '08:00']] } }], queues: ['q1'] } })).status).toBe(400);
    expect((await call('PUT', '/v1/calendars/file-cal', { body: calendar })).status).toBe(409);
    expect((await call('GET', '/v1/calendars/berlin')).status).toBe(200);
    expect((await call('GET', '/v1/calendars/missing')).status).toBe(404);
    expect((await call('GET', '/v1/calendars')).status).toBe(200);
    expect((await call('DELETE', '/v1/calendars/file-cal')).status).toBe(409);
    expect((await call('DELETE', '/v1/calendars/berlin')).status).toBe(204);
    expect((await call('DELETE', '/v1/calendars/berlin')).status).toBe(404);
    const policies = [{ name: 'Urgent', conditions: { channel: ['email'] }, targets: { urgent: { first_reply: { minutes: 60, business_hours: true } } } }];
    expect((await call('GET', '/v1/sla-policies')).status).toBe(200);
    expect((await call('PUT', '/v1/sla-policies', { body: { policies, effective_from: '2026-11-01T00:00:00Z' } })).status).toBe(200);
    expect((await call('PUT', '/v1/sla-policies', { body: policies })).status).toBe(200);
    expect((await call('PUT', '/v1/sla-policies', { body: 'policies:\n  - name: All\n    targets: { normal: { resolution: { minutes: 480 } } }\n', type: 'application/yaml' })).status).toBe(200);
    expect((await call('PUT', '/v1/sla-policies', { body: { policies: [{ name: 'x', targets: { p1: {} } }] } })).status).toBe(400);
    expect((await call('GET', '/v1/sla-policies')).body).toMatchObject({ source: 'api', policies: [{ name: 'All' }] });

    // the process
    for (const p of ['/healthz', '/readyz', '/metrics', '/v1/openapi.json']) expect((await call('GET', p)).status).toBe(200);

    // the wallboard: a web page, not an API route (outside the document; docs/wallboard.md)
    expect(node.http.pages()).toEqual(['GET /', 'GET /assets/{file}']);
    const page = await fetch(`${url}/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    const assets = [...(await page.text()).matchAll(/"assets\/([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBe(2);
    for (const a of assets) expect((await fetch(`${url}/assets/${a}`)).status).toBe(200);
    const gone = await fetch(`${url}/assets/main-NOSUCH00.js`);
    expect(gone.status).toBe(404);
    problems.push(...checker.errorShapeProblems(await gone.json()).map((p) => `GET /assets/main-NOSUCH00.js: ${p}`));

    // no such route, or not with this method: the shared error shape too
    for (const [method, path, status] of [['POST', '/v1/adapters/avaya', 404], ['GET', '/v1/nothing', 404], ['DELETE', '/v1/kpis', 405], ['POST', '/v1/alerts', 405]] as const) {
      const r = await fetch(`${url}${path}`, { method, ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
      expect(r.status, `${method} ${path}`).toBe(status);
      problems.push(...checker.errorShapeProblems(await r.json()).map((p) => `${method} ${path}: ${p}`));
    }

    expect(problems).toEqual([]);
    // and nothing documented went uncalled
    expect(checker.operations().filter((op) => !checker.seen.has(op))).toEqual([]);
  });

  it('reports an answer that breaks the document (the check can fail)', () => {
    const wrong = checker.problems({ method: 'GET', path: '/v1/targets/x', status: 200, contentType: 'application/json', body: { id: 'x', kpi: 3 } });
    expect(wrong.length).toBeGreaterThan(0);
    expect(checker.problems({ method: 'GET', path: '/v1/targets/x', status: 418, contentType: 'application/json', body: {} })[0]).toMatch(/418 is not documented/);
    expect(checker.problems({ method: 'GET', path: '/nowhere', status: 200, contentType: 'application/json', body: {} })[0]).toMatch(/no such path/);
  });

  it('counts the open tickets past or near their SLA targets per queue (docs/sla.md, "Open tickets now")', async () => {
    const q = `sla-${run}`;
    const policies = [{ name: 'Urgent here', conditions: { queue_id: [q] }, targets: { urgent: { first_reply: { minutes: 60 }, resolution: { minutes: 240 } } } }];
    expect((await call('PUT', '/v1/sla-policies', { body: { policies } })).status).toBe(200);
    const t0 = Date.now();
    const created = (c: string, agoMin: number, priority?: string) => ({ event_id: `${c}-c`, contact_id: c, type: 'contact_created', occurred_at: t0 - agoMin * 60_000, channel: 'email', direction: 'inbound', queue_id: q, ...(priority ? { priority } : {}) });
    const events = [
      created(`${q}-late`, 120, 'urgent'), // first reply due 60 minutes ago: breached
      created(`${q}-soon`, 50, 'urgent'), // due in 10 minutes: at risk
      created(`${q}-fresh`, 10, 'urgent'),
      created(`${q}-answered`, 180, 'urgent'), // replied; resolution due in an hour
      { event_id: `${q}-answered-r`, contact_id: `${q}-answered`, type: 'agent_message', occurred_at: t0 - 170 * 60_000, channel: 'email', direction: 'inbound', queue_id: q, agent_id: 'ag', first_response: true, response_ms: 600_000, priority: 'urgent' },
      created(`${q}-none`, 300), // no priority: no SLA
    ];
    expect((await call('POST', '/v1/events', { body: events })).status).toBe(202);
    let group: Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await call('GET', `/v1/realtime?group_by=queue_id&filter.queue_id=${q}`);
      group = (r.body.groups as { group: { queue_id: string } }[]).find((g) => g.group.queue_id === q);
      if (group?.open_backlog === 5) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(problems).toEqual([]);
    expect(group).toMatchObject({ open_backlog: 5, sla_breached_open: 1, sla_at_risk: 1 });
  });

  it('sizes staffing now per queue from the trailing 15 minutes of /v1/kpis (Erlang C, docs/staffing.md)', async () => {
    const q = `staff-${run}`;
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const events = Array.from({ length: 40 }, (_, i) => {
      const t = minute - 60_000 * (2 + (i % 8)) + i * 100;
      const c = `s-${run}-${i}`;
      return [
        { event_id: `${c}-q`, contact_id: c, type: 'queued', occurred_at: t - 20_000, channel: 'voice', direction: 'inbound', queue_id: q },
        { event_id: `${c}-a`, contact_id: c, type: 'answered', occurred_at: t - 10_000, channel: 'voice', direction: 'inbound', queue_id: q, agent_id: `ag-${i % 5}`, wait_ms: 10_000 },
        { event_id: `${c}-e`, contact_id: c, type: 'contact_ended', occurred_at: t - 5_000, channel: 'voice', direction: 'inbound', queue_id: q, agent_id: `ag-${i % 5}`, talk_ms: 200_000 + i * 1000 },
        { event_id: `${c}-w`, contact_id: c, type: 'wrapup_completed', occurred_at: t, channel: 'voice', direction: 'inbound', queue_id: q, agent_id: `ag-${i % 5}`, handle_ms: 240_000 + i * 1000 },
      ];
    }).flat();
    expect((await call('POST', '/v1/events', { body: events })).status).toBe(202);
    const params = `filter.queue_id=${q}&sl_threshold_s=30&sl_target=0.9&max_occupancy=0.8&shrinkage=0.25`;
    let group: Record<string, any> | undefined; // eslint-disable-line @typescript-eslint/no-explicit-any
    let at = '';
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await call('GET', `/v1/realtime?group_by=queue_id&${params}`);
      group = (r.body.groups as { group: { queue_id: string } }[]).find((g) => g.group.queue_id === q);
      at = r.body.meta.at;
      if (group?.offered_15m === 40) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(group?.offered_15m).toBe(40);
    // the same 15 whole minutes read from /v1/kpis
    const to = Math.floor(Date.parse(at) / 60_000) * 60_000;
    const k = await call('GET', `/v1/kpis?metrics=offered,aht_ms&granularity=15m&filter.queue_id=${q}&from=${new Date(to - 15 * 60_000).toISOString()}&to=${new Date(to).toISOString()}`);
    expect(problems).toEqual([]);
    const points = (k.body.series[0].points as { ts: string; offered: number; aht_ms: number }[]);
    // a 15m window aligned on the quarter hour may cut the trailing 15 minutes in two: weigh them
    const offered = points.reduce((n, p) => n + p.offered, 0);
    expect(offered).toBeGreaterThanOrEqual(40);
    const aht = events.filter((e) => e.type === 'wrapup_completed').reduce((n, e) => n + (e.handle_ms as number), 0) / 40;
    expect(group!.aht_ms).toBeCloseTo(aht, 6);
    const want = agentsRequired({ offered: 40, intervalMs: 15 * 60_000, handleMs: aht, slThresholdS: 30, slTarget: 0.9, maxOccupancy: 0.8 })!;
    expect(want.agents).toBeGreaterThan(5);
    expect(group).toMatchObject({ agents_required: want.agents, agents_required_scheduled: agentsScheduled(want.agents, 0.25), staffing_gap: group!.agents_logged_in - want.agents });
  });
});
