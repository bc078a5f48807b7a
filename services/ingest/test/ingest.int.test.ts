import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { ContactEventCodec, type ContactEvent } from '@switchboard/events';
import { createKafka, ensureTopics, topicNames } from '@switchboard/kafka';
import { HttpServer, createMetricsRegistry, headerTenantResolver } from '@switchboard/service-kit';
import type { Kafka } from 'kafkajs';
import { createIngest } from '../src';

const log = pino({ level: 'silent' });
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topics = topicNames(`t-ingest-${randomUUID().slice(0, 8)}-`);
const codec = new ContactEventCodec();
const now = Date.now();

function event(i: number, extra: Record<string, unknown> = {}) {
  return {
    event_id: `ing-${i}`, contact_id: `c-${i % 7}`, type: 'answered', occurred_at: new Date(now - 60_000 + i).toISOString(),
    channel: 'voice', direction: 'inbound', queue_id: 'billing', agent_id: 'a-1', wait_ms: 1000 + i, ...extra,
  };
}

/** Everything on the topic so far, decoded, by reading it from the beginning with a fresh group. */
async function readTopic(kafka: Kafka, topic: string, expectAtLeast: number, settleMs = 1500): Promise<{ key: string; event: ContactEvent; partition: number }[]> {
  const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const out: { key: string; event: ContactEvent; partition: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let last = Date.now();
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      out.push({ key: message.key!.toString(), event: codec.decode(message.value!), partition });
      last = Date.now();
    },
  });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && (out.length < expectAtLeast || Date.now() - last < settleMs)) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return out;
}

let http: HttpServer;
let kafka: Kafka;
let stopIngest: () => Promise<void>;

beforeAll(async () => {
  kafka = createKafka({ brokers, clientId: 'ingest-test' }, log);
  await ensureTopics(kafka, topics, { eventPartitions: 3, replicationFactor: 1 });
  const metrics = createMetricsRegistry();
  http = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics, bodyLimitBytes: 64 * 1024 });
  const ingest = createIngest({ kafka, http, log, metrics, tenantOf: headerTenantResolver('demo'), topics });
  for (const c of ingest.components) await c.start();
  await http.start();
  stopIngest = async () => {
    await http.stop();
    for (const c of ingest.components) await c.stop();
  };
});
afterAll(async () => stopIngest?.());

const post = (body: string, contentType = 'application/json', headers: Record<string, string> = {}, query = '') =>
  fetch(`${http.url}/v1/events${query}`, { method: 'POST', body, headers: { 'content-type': contentType, ...headers } });

describe('POST /v1/events', () => {
  it('publishes a JSON array and an NDJSON body as Avro, keyed by tenant/contact, with the tenant filled in', async () => {
    const r1 = await post(JSON.stringify([event(1), event(2), event(3)]), 'application/json', { 'x-tenant-id': 'acme' });
    expect(r1.status).toBe(202);
    expect(await r1.json()).toEqual({ accepted: 3, rejected: 0 });
    const r2 = await post([event(4), event(5)].map((e) => JSON.stringify(e)).join('\n') + '\n', 'application/x-ndjson');
    expect(r2.status).toBe(202);
    const msgs = await readTopic(kafka, topics.events, 5);
    expect(msgs.map((m) => m.event.event_id).sort()).toEqual(['ing-1', 'ing-2', 'ing-3', 'ing-4', 'ing-5']);
    const e1 = msgs.find((m) => m.event.event_id === 'ing-1')!;
    expect(e1.key).toBe('acme/c-1');
    expect(e1.event).toMatchObject({ tenant_id: 'acme', wait_ms: 1001, source: 'api', agent_id: 'a-1', team_id: null });
    expect(msgs.find((m) => m.event.event_id === 'ing-4')!.event.tenant_id).toBe('demo');
    // one contact, one partition: its events stay in order
    const c1 = msgs.filter((m) => m.key === 'acme/c-1');
    expect(new Set(c1.map((m) => m.partition)).size).toBe(1);
  });

  it('refuses a batch with an invalid event as a whole, naming index, field and reason', async () => {
    const body = JSON.stringify([event(10), event(11, { wait_ms: -1 }), event(12, { channel: 'fax' }), event(13)]);
    const r = await post(body);
    expect(r.status).toBe(400);
    const j = (await r.json()) as any;
    expect(j.accepted).toBe(0);
    expect(j.rejected).toBe(2);
    expect(j.errors).toEqual([
      { index: 1, field: 'wait_ms', reason: 'must not be negative' },
      { index: 2, field: 'channel', reason: expect.stringContaining('voice') },
    ]);
    const msgs = await readTopic(kafka, topics.events, 0, 1000);
    expect(msgs.some((m) => ['ing-10', 'ing-13'].includes(m.event.event_id))).toBe(false);
  });

  it('with ?partial=true publishes the valid events and reports the invalid ones', async () => {
    const r = await post(JSON.stringify([event(20), event(21, { type: 'wrapup_completed' })]), 'application/json', {}, '?partial=true');
    expect(r.status).toBe(202);
    const j = (await r.json()) as any;
    expect(j).toMatchObject({ accepted: 1, rejected: 1, errors: [{ index: 1, field: 'handle_ms' }] });
    const msgs = await readTopic(kafka, topics.events, 6);
    expect(msgs.some((m) => m.event.event_id === 'ing-20')).toBe(true);
    expect(msgs.some((m) => m.event.event_id === 'ing-21')).toBe(false);
  });

  it('reports NDJSON lines that are not JSON by their index', async () => {
    const r = await post(`${JSON.stringify(event(30))}\n{"event_id": oops\n`, 'application/x-ndjson');
    expect(r.status).toBe(400);
    const j = (await r.json()) as any;
    expect(j.errors[0]).toMatchObject({ index: 1, field: '', reason: expect.stringMatching(/not valid JSON/) });
  });

  it('says what is wrong with malformed JSON, empty bodies and bodies of the wrong shape', async () => {
    expect((await post('{"a":')).status).toBe(400);
    expect(((await (await post('{"a":')).json()) as any).errors[0].reason).toMatch(/not valid JSON/);
    expect((await post('42')).status).toBe(400);
    expect((await post('', 'application/x-ndjson')).status).toBe(400);
  });

  it('answers 415 for other content types', async () => {
    const r = await post('event_id,type\n1,queued', 'text/csv');
    expect(r.status).toBe(415);
    expect(((await r.json()) as any).error).toMatch(/application\/json/);
  });

  it('answers 413 past the size limit', async () => {
    const many = Array.from({ length: 400 }, (_, i) => event(1000 + i));
    const r = await post(JSON.stringify(many));
    expect(r.status).toBe(413);
  });

  it('answers 413 naming INGEST_MAX_EVENTS past 20,000 events, in JSON and NDJSON, within the size limit', async () => {
    // 21,000 empty objects fit in 64 KiB
    const json = await post(`[${Array.from({ length: 21_000 }, () => '{}').join(',')}]`);
    expect(json.status).toBe(413);
    expect(((await json.json()) as any).error).toMatch(/more than 20000 events .*INGEST_MAX_EVENTS/);
    const nd = await post(Array.from({ length: 21_000 }, () => '{}').join('\n'), 'application/x-ndjson');
    expect(nd.status).toBe(413);
  });

  it('answers a body of 20,000 bad events with the first 100 problems, the count and nothing published', async () => {
    const t0 = performance.now();
    const r = await post(`[${Array.from({ length: 20_000 }, () => '{}').join(',')}]`);
    const body = (await r.json()) as any;
    console.log(`[ingest] 20,000 empty events answered in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(r.status).toBe(400);
    expect(body).toMatchObject({ accepted: 0, rejected: 20_000, errors_truncated: true });
    expect(body.errors).toHaveLength(100);
    expect(body.errors[0]).toMatchObject({ index: 0 });
  });

  it('answers before reading the body when the caller is refused (the body is never sent here)', async () => {
    const u = new URL(http.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: '/v1/events', method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(60 * 1024), 'x-tenant-id': 'a b/c' } });
      req.on('response', (res) => { res.resume(); resolve(res.statusCode!); req.destroy(); });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(status).toBe(400);
  });

  it('cuts off a client that sends its body too slowly (408)', async () => {
    const metrics = createMetricsRegistry();
    const slow = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics, requestTimeoutMs: 1000 });
    createIngest({ kafka, http: slow, log, metrics, tenantOf: headerTenantResolver('demo'), topics });
    await slow.start();
    try {
      const u = new URL(slow.url);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: u.hostname, port: u.port, path: '/v1/events', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000' } });
        req.on('response', (res) => { res.resume(); resolve(res.statusCode!); });
        req.on('error', reject);
        req.write('[{"event_id":');
      });
      expect(status).toBe(408);
    } finally {
      await slow.stop();
    }
  });

  it('answers every bad input with a 400 naming field and problem, never a 5xx: Avro bounds, wrong types, impossible dates, lone surrogates, events past the lateness horizon', async () => {
    const bad = [
      event(500, { type: 'customer_business_event', business_kind: 'purchase', customer_id: 'k', wait_ms: undefined, amount_minor: 9_007_199_254_740_991 }),
      event(501, { wait_ms: '18s' }),
      event(502, { occurred_at: '2026-11-31T10:00:00Z' }),
      event(503, { contact_id: 'c\uD800' }),
      event(504, { occurred_at: new Date(now - 8 * 24 * 3_600_000).toISOString() }),
    ];
    const r = await post(JSON.stringify(bad));
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).errors.map((e: any) => [e.index, e.field, e.reason])).toEqual([
      [0, 'amount_minor', 'must be at most 9007199254740990'],
      [1, 'wait_ms', 'must be a number, got a string ("18s")'],
      [2, 'occurred_at', expect.stringMatching(/^is not a real date and time/)],
      [3, 'contact_id', 'must be valid Unicode (it holds a lone surrogate)'],
      [4, 'occurred_at', 'is older than the lateness horizon (168 h, LATE_HORIZON_HOURS): it would never be counted'],
    ]);
    // with partial=true the late one is listed as rejected and the good one goes through
    const partial = await post(JSON.stringify([event(505), bad[4]]), 'application/json', {}, '?partial=true');
    expect(partial.status).toBe(202);
    expect(await partial.json()).toMatchObject({ accepted: 1, rejected: 1, errors: [{ index: 1, field: 'occurred_at' }] });
  });

  it('refuses a malformed X-Tenant-Id', async () => {
    const r = await post(JSON.stringify([event(40)]), 'application/json', { 'x-tenant-id': 'a b/c' });
    expect(r.status).toBe(400);
  });
});

describe('POST /v1/events while Kafka is unreachable', () => {
  it('answers 503 with Retry-After and says nothing was published', async () => {
    const metrics = createMetricsRegistry();
    const deadKafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'dead' }, log);
    const server = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics });
    createIngest({ kafka: deadKafka, http: server, log, metrics, tenantOf: headerTenantResolver('demo'), topics });
    await server.start();
    try {
      const r = await fetch(`${server.url}/v1/events`, { method: 'POST', body: JSON.stringify([event(50)]), headers: { 'content-type': 'application/json' } });
      expect(r.status).toBe(503);
      expect(r.headers.get('retry-after')).toBe('5');
      expect(await r.json()).toMatchObject({ accepted: 0, not_published: 1 });
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
      // operators see it: a publish error on the topic, the 503 under its route, not ready
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain(`switchboard_kafka_publish_errors_total{topic="${topics.events}"} 1`);
      expect(text).toMatch(/switchboard_http_requests_total\{method="POST",route="\/v1\/events",status="503"\} 1/);
      expect(text).toContain('switchboard_ready 0');
    } finally {
      await server.stop();
    }
  });
});
