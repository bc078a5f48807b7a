import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import pino from 'pino';
import { parseCidrList } from '@switchboard/service-kit';
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

// the receiver listens on loopback, which webhooks may reach only when allowed (see 'refuses internal addresses' below)
const opts: NotifierOptions = { maxAttempts: 4, initialBackoffMs: 20, maxBackoffMs: 60, timeoutMs: 2000, defaultSecret: 'k', now: () => T, allow: parseCidrList('127.0.0.1') };

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
    expect(records.map((r) => [r.target, r.status, r.attempts, r.error])).toEqual([[0, 'failed', 1, 'HTTP 410'], [1, 'failed', 4, 'HTTP 502']]);
    // webhook URLs are secrets (a Slack URL is its own credential): the record keeps the origin only
    expect(records.map((r) => r.url)).toEqual([`${url}/***`, `${url}/***`]);
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

  it('refuses internal addresses however they are written, and a redirect to one, and nothing reaches them', async () => {
    const port = (server.address() as AddressInfo).port;
    const names = [
      `http://127.0.0.1:${port}/a`, `http://localhost:${port}/b`, `http://app.localhost:${port}/c`, `http://[::1]:${port}/d`, `http://0.0.0.0:${port}/e`,
      `http://2130706433:${port}/f`, `http://0x7f.1:${port}/g`, `http://[::ffff:127.0.0.1]:${port}/h`, `http://10.0.0.7:${port}/i`,
      `http://169.254.169.254:${port}/latest/meta-data`, `http://[fd00::1]:${port}/j`, `http://[fe80::1]:${port}/k`,
    ];
    // a name that resolves (through /etc/hosts) to a non-public address: refused at connect time, on the resolved address
    const own = await lookup(hostname()).then(() => hostname(), () => undefined);
    if (own) names.push(`http://${own}:${port}/l`);
    // an allowed receiver (127.0.0.2, listed) that redirects to the internal one: the redirect is not followed
    const redirector = createServer((_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${port}/redirected` }).end());
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.2', r));
    const redirectUrl = `http://127.0.0.2:${(redirector.address() as AddressInfo).port}/hook`;
    try {
      const { store, records } = fakeStore();
      const n = new Notifier(store, { ...opts, allow: parseCidrList('127.0.0.2/32') }, log, new Registry());
      await n.enqueue(event('firing', 1, 0.5), [...names, redirectUrl].map((u) => ({ url: u, format: 'json' as const })));
      expect(requests).toEqual([]);
      const refused = records.filter((r) => r.target < names.length);
      expect(refused.map((r) => [r.target, r.status, r.attempts])).toEqual(names.map((_, i) => [i, 'failed', 1]));
      for (const r of refused) expect(r.error, names[r.target]).toMatch(/^refused: .*(loopback|private|unspecified|linkLocal|uniqueLocal)/);
      expect(records.find((r) => r.target === names.length)).toMatchObject({ status: 'failed', attempts: 1, http_status: 302, error: 'HTTP 302' });
      await n.stop();
    } finally {
      await new Promise<void>((r) => redirector.close(() => r()));
    }
  });
});
