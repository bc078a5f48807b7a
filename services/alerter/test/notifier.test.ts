import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { toAlertEvent } from '../src/events';
import { DELIVERY_HEADER, EVENT_HEADER, Notifier, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign, type NotifierOptions } from '../src/notifier';
import { parseRule } from '../src/rules';
import type { AlertStore, DeliveryRecord } from '../src/store';

const log = pino({ level: 'silent' });
const T = Date.parse('2026-11-22T10:15:00Z');
const rule = parseRule({ id: 'sl', name: 'Billing SL', kpi: 'service_level', options: { sl_threshold_s: 20 }, scope: { queue_id: 'billing' }, comparison: '<', threshold: 0.8, recovery_threshold: 0.85 }, 'acme');
const event = (kind: 'firing' | 'resolved', seq: number, value: number) =>
  toAlertEvent(rule, { queue_id: 'billing' }, 'queue_id=billing', { kind, alertId: 'a1', seq, at: T + seq * 60_000, value, sample: 42, startedAt: T, firedAt: T }, 'http://q.example');

/** Requests as the receiver saw them; `plan` answers each path's requests in turn (then 200). */
let requests: { path: string; headers: Record<string, string>; body: string }[] = [];
let plan: Record<string, number[]> = {};
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests.push({ path: req.url!, headers: req.headers as Record<string, string>, body });
      res.writeHead(plan[req.url!]?.shift() ?? 200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  requests = [];
  plan = {};
});

function fakeStore(delivered: string[] = []) {
  const records: DeliveryRecord[] = [];
  const store = {
    isDelivered: async (_t: string, a: string, s: number, i: number) => delivered.includes(`${a}:${s}:${i}`) || records.some((r) => r.alert_id === a && r.seq === s && r.target === i),
    recordDelivery: async (d: DeliveryRecord) => void records.push({ ...d }),
  } as unknown as AlertStore;
  return { store, records };
}

const opts: NotifierOptions = { maxAttempts: 4, initialBackoffMs: 20, maxBackoffMs: 60, timeoutMs: 2000, defaultSecret: 'k', now: () => T };

describe('webhook notifier', () => {
  it('sends a signed Slack body and a generic JSON body, once each', async () => {
    const { store, records } = fakeStore();
    const n = new Notifier(store, opts, log, new Registry());
    await n.enqueue(event('firing', 1, 0.62), [{ url: `${url}/slack`, format: 'slack' }, { url: `${url}/json`, format: 'json', secret: 'own' }]);
    expect(requests.map((r) => r.path)).toEqual(['/slack', '/json']);
    const [slack, json] = requests as [typeof requests[0], typeof requests[0]];
    const s = JSON.parse(slack.body) as { text: string; blocks: { fields?: { text: string }[]; elements?: { text: string }[] }[] };
    expect(s.text).toBe(':rotating_light: FIRING Billing SL (queue_id=billing): service_level 62.0% < 80.0% over the last 15m (42 offered)');
    expect(s.blocks[1]!.fields!.map((f) => f.text)).toEqual(expect.arrayContaining(['*Value*\n62.0%', '*Scope*\nqueue_id=billing', '*KPI*\nservice_level']));
    expect(s.blocks[2]!.elements![0]!.text).toContain('http://q.example/v1/kpis?metrics=service_level%2Coffered');
    const j = JSON.parse(json.body) as { type: string; alert: { value: number; threshold: number; scope: object; link: string } };
    expect(j.type).toBe('alert.firing');
    expect(j.alert).toMatchObject({ value: 0.62, threshold: 0.8, scope: { queue_id: 'billing' } });
    // signature: HMAC-SHA256 over `${timestamp}.${body}`, the webhook's own secret over the default
    expect(slack.headers[TIMESTAMP_HEADER]).toBe(String(T / 1000));
    expect(slack.headers[SIGNATURE_HEADER]).toBe(sign('k', slack.headers[TIMESTAMP_HEADER]!, slack.body));
    expect(json.headers[SIGNATURE_HEADER]).toBe(sign('own', json.headers[TIMESTAMP_HEADER]!, json.body));
    expect(json.headers[SIGNATURE_HEADER]).not.toBe(sign('k', json.headers[TIMESTAMP_HEADER]!, json.body));
    expect(slack.headers[DELIVERY_HEADER]).toBe('a1:1');
    expect(slack.headers[EVENT_HEADER]).toBe('firing');
    expect(records.map((r) => [r.target, r.status, r.attempts, r.http_status])).toEqual([[0, 'delivered', 1, 200], [1, 'delivered', 1, 200]]);
  });

  it('retries 5xx and 429 with backoff, then records one delivery', async () => {
    const { store, records } = fakeStore();
    plan['/flaky'] = [503, 429, 500];
    await new Notifier(store, opts, log, new Registry()).enqueue(event('firing', 1, 0.5), [{ url: `${url}/flaky`, format: 'json' }]);
    expect(requests).toHaveLength(4);
    // the same delivery each time, so a receiver can drop a repeat
    expect(new Set(requests.map((r) => r.headers[DELIVERY_HEADER]))).toEqual(new Set(['a1:1']));
    expect(records).toEqual([expect.objectContaining({ status: 'delivered', attempts: 4, http_status: 200 })]);
  });

  it('gives up at once on a 4xx that will not get better, and after maxAttempts otherwise', async () => {
    const { store, records } = fakeStore();
    plan['/gone'] = [410];
    plan['/down'] = [502, 502, 502, 502, 502];
    await new Notifier(store, opts, log, new Registry()).enqueue(event('firing', 1, 0.5), [{ url: `${url}/gone`, format: 'json' }, { url: `${url}/down`, format: 'json' }]);
    expect(requests.map((r) => r.path)).toEqual(['/gone', '/down', '/down', '/down', '/down']);
    expect(records.map((r) => [r.url.slice(url.length), r.status, r.attempts, r.error])).toEqual([['/gone', 'failed', 1, 'HTTP 410'], ['/down', 'failed', 4, 'HTTP 502']]);
  });

  it('keeps the transitions of one alert in order: resolved waits for a retried firing', async () => {
    const { store } = fakeStore();
    plan['/h'] = [503, 503];
    const n = new Notifier(store, opts, log, new Registry());
    void n.enqueue(event('firing', 1, 0.5), [{ url: `${url}/h`, format: 'json' }]);
    void n.enqueue(event('resolved', 2, 0.9), [{ url: `${url}/h`, format: 'json' }]);
    await n.idle();
    expect(requests.map((r) => `${r.headers[EVENT_HEADER]}`)).toEqual(['firing', 'firing', 'firing', 'resolved']);
  });

  it('skips what is already recorded as delivered, and what the caller marks done', async () => {
    const { store, records } = fakeStore(['a1:1:0']);
    await new Notifier(store, opts, log, new Registry()).enqueue(event('firing', 1, 0.5), [{ url: `${url}/x`, format: 'json' }, { url: `${url}/y`, format: 'json' }, { url: `${url}/z`, format: 'json' }], [2]);
    expect(requests.map((r) => r.path)).toEqual(['/y']);
    expect(records).toHaveLength(1);
  });

  it('halt() (leadership lost) abandons queued and retrying deliveries without recording; later ones go out', async () => {
    const { store, records } = fakeStore();
    plan['/lost'] = [503, 503, 503];
    const n = new Notifier(store, { ...opts, initialBackoffMs: 10_000, maxBackoffMs: 10_000 }, log, new Registry());
    const first = n.enqueue(event('firing', 1, 0.5), [{ url: `${url}/lost`, format: 'json' }]);
    void n.enqueue(event('resolved', 2, 0.9), [{ url: `${url}/lost`, format: 'json' }]);
    while (requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    n.halt();
    await first;
    await n.idle();
    expect(requests).toHaveLength(1);
    expect(records).toHaveLength(0);
    // leadership back: new work is sent
    await n.enqueue(event('firing', 3, 0.5), [{ url: `${url}/ok`, format: 'json' }]);
    expect(records.map((r) => [r.seq, r.status])).toEqual([[3, 'delivered']]);
  });

  it('stop() abandons retries without recording, so the outbox sends it after a restart', async () => {
    const { store, records } = fakeStore();
    plan['/slow'] = [503, 503, 503];
    const n = new Notifier(store, { ...opts, initialBackoffMs: 10_000, maxBackoffMs: 10_000 }, log, new Registry());
    void n.enqueue(event('firing', 1, 0.5), [{ url: `${url}/slow`, format: 'json' }]);
    while (requests.length === 0) await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    await n.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(requests).toHaveLength(1);
    expect(records).toHaveLength(0);
  });
});
