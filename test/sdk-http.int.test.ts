import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Kafka } from 'kafkajs';
import { readMessages } from '@switchboard/testkit';
import { ContactEventCodec } from '@switchboard/events';
import { createIngest } from '@switchboard/ingest';
import { createKafka, ensureTopics, topicNames, type Topics } from '@switchboard/kafka';
import { HttpEventClient, IngestHttpError, type EventInput } from '@switchboard/sdk';
import { HttpServer, apiKeyTenantResolver, createMetricsRegistry, hashApiKey } from '@switchboard/service-kit';

// The SDK's HTTP mode against the real ingest service (API keys on) and the real broker:
// accepted events arrive on Kafka; the server's refusals surface with its details; a 503
// (the event topic missing, so Kafka cannot take the events) is retried until it clears.
const log = pino({ level: 'silent' });
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const API_KEY = 'sbk_sdk-http-test-key';
const base = Date.now() - 10 * 60_000;

const events = (n: number, prefix: string): EventInput[] =>
  Array.from({ length: n }, (_, i) => ({
    event_id: `${prefix}-${i}`, contact_id: `c-${i % 9}`, type: 'queued' as const, occurred_at: new Date(base + i).toISOString(),
    channel: 'chat' as const, direction: 'inbound' as const, queue_id: 'support',
  }));

async function startIngest(kafka: Kafka, topics: Topics): Promise<{ url: string; stop(): Promise<void> }> {
  const metrics = createMetricsRegistry();
  const http = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics, bodyLimitBytes: 1024 * 1024 });
  const ingest = createIngest({ kafka, http, log, metrics, tenantOf: apiKeyTenantResolver([{ tenant: 'globex', sha256: hashApiKey(API_KEY) }]), topics });
  for (const c of ingest.components) await c.start();
  await http.start();
  return {
    url: http.url,
    stop: async () => {
      await http.stop();
      for (const c of ingest.components) await c.stop();
    },
  };
}

let kafka: Kafka;
let ready: { url: string; stop(): Promise<void> };
const topics = topicNames(`t-sdkhttp-${randomUUID().slice(0, 8)}-`);

beforeAll(async () => {
  kafka = createKafka({ brokers, clientId: 'sdk-http-test' }, log);
  await ensureTopics(kafka, topics, { eventPartitions: 2, replicationFactor: 1 });
  ready = await startIngest(kafka, topics);
});
afterAll(async () => ready?.stop());

describe('HttpEventClient against the real ingest service', () => {
  it('posts events with the API key; they reach Kafka under the key’s tenant', async () => {
    const client = new HttpEventClient({ url: ready.url, apiKey: API_KEY });
    const r = await client.send(events(300, 'h'));
    expect(r).toEqual({ accepted: 300, rejected: 0, attempts: 1 });
    const got = await readMessages(kafka, topics.events, 300);
    const codec = new ContactEventCodec();
    const decoded = got.map((m) => codec.decode(m.value!));
    expect(decoded).toHaveLength(300);
    expect(new Set(decoded.map((e) => e.tenant_id))).toEqual(new Set(['globex']));
    expect(decoded.map((e) => e.event_id).sort()).toEqual(events(300, 'h').map((e) => e.event_id).sort());
  });

  it('surfaces the server’s refusal: 401 for a bad key, 400 with the per-event details the SDK could not know', async () => {
    const wrongKey = await new HttpEventClient({ url: ready.url, apiKey: 'sbk_nope' }).send(events(1, 'x')).catch((e: unknown) => e);
    expect(wrongKey).toBeInstanceOf(IngestHttpError);
    expect((wrongKey as IngestHttpError).status).toBe(401);
    expect((wrongKey as IngestHttpError).body?.error).toMatch(/API key/i);
    // valid on its own, but the key belongs to globex
    const other = await new HttpEventClient({ url: ready.url, apiKey: API_KEY }).send([{ ...events(1, 'y')[0]!, tenant_id: 'initech' }]).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(IngestHttpError);
    expect((other as IngestHttpError).status).toBe(400);
    expect((other as IngestHttpError).body?.errors).toEqual([expect.objectContaining({ index: 0, field: 'tenant_id', reason: 'does not match the tenant of the API key' })]);
    expect((other as Error).message).toMatch(/answered 400: .*tenant_id/);
  });

  it('retries a 503 with backoff until Kafka takes the events', async () => {
    // an ingest whose event topic does not exist yet: Kafka refuses, ingest answers 503
    const late = topicNames(`t-sdkhttp-late-${randomUUID().slice(0, 8)}-`);
    const server = await startIngest(kafka, late);
    try {
      const retries: { attempt: number; status: number | null }[] = [];
      let created: Promise<void> | null = null;
      const client = new HttpEventClient({
        url: server.url, apiKey: API_KEY, retries: 8, initialBackoffMs: 200, maxBackoffMs: 1000,
        onRetry: (info) => {
          retries.push(info);
          created ??= ensureTopics(kafka, late, { eventPartitions: 1, replicationFactor: 1 });
        },
      });
      const r = await client.send(events(20, 'late'));
      await created;
      expect(retries[0]).toMatchObject({ attempt: 1, status: 503 });
      expect(r).toMatchObject({ accepted: 20, rejected: 0 });
      expect(r.attempts).toBeGreaterThanOrEqual(2);
      expect((await readMessages(kafka, late.events, 20)).length).toBe(20);
    } finally {
      await server.stop();
    }
  });
});
