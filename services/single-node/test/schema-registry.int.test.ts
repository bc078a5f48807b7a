import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import avro from 'avsc';
import { Partitioners, type Kafka } from 'kafkajs';
import { readMessages } from '@switchboard/testkit';
import { CONTENT_TYPES, ContactEventCodec, SchemaRegistryClient, makeEvent, type ContactEvent } from '@switchboard/events';
import { EventPublisher, createKafka } from '@switchboard/kafka';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';

// The schema registry, for real (docs/events.md, "The schema registry"): SCHEMA_REGISTRY_URL
// when given, else the Apicurio Registry that deploy/registry/registry.sh builds from Maven
// Central and starts (its first build downloads and takes minutes; later starts take ~30 s).
// The whole pipeline runs with the registry configured: ingest registers the schema and
// writes the Confluent wire format; the aggregator counts those records, single-object ones
// and a newer writer schema's ones on the same topic, and dead-letters an unknown id.

const log = pino({ level: 'silent' });
const ROOT = resolve(import.meta.dirname, '../../..');
const run = randomUUID().slice(0, 8);
const prefix = `sr-${run}-`;
const tenant = `sr-${run}`;
const state = mkdtempSync(join(tmpdir(), 'sb-registry-'));
const now = Date.now();
const from = new Date(Math.floor((now - 3600_000) / 3600_000) * 3600_000).toISOString();
const to = new Date(Math.floor((now + 3600_000) / 3600_000) * 3600_000).toISOString();

let registryUrl = process.env.SCHEMA_REGISTRY_URL ?? '';
let ownRegistry = false;
let node: SingleNode;
let kafka: Kafka;

const ev = (i: number, extra: Record<string, unknown> = {}) => ({
  event_id: `sr-${run}-${i}`, contact_id: `c${i % 7}`, type: 'queued', occurred_at: now - 60_000 + i, channel: 'voice', direction: 'inbound', queue_id: 'q', ...extra,
});

async function offered(): Promise<number> {
  const r = await fetch(`${node.http.url}/v1/kpis?metrics=offered&granularity=1d&from=${from}&to=${to}`, { headers: { 'x-tenant-id': tenant } });
  const body = (await r.json()) as { series: { points: { offered: number }[] }[] };
  return body.series.reduce((n, s) => n + s.points.reduce((m, p) => m + p.offered, 0), 0);
}

beforeAll(async () => {
  if (!registryUrl) {
    const { stdout } = await promisify(execFile)('bash', [join(ROOT, 'deploy/registry/registry.sh'), 'start'], { timeout: 15 * 60_000 });
    ownRegistry = stdout.startsWith('started');
    registryUrl = stdout.trim().match(/on (http\S+)/)![1]!;
  }
  console.log(`[schema-registry] ${registryUrl}${ownRegistry ? ' (started by this test)' : ''}`);
  node = await startSingleNode(
    singleNodeEnvSchema.parse({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: prefix, KAFKA_EVENT_PARTITIONS: '2',
      AGGREGATOR_GROUP_ID: `sr-${run}`, AGGREGATOR_FLUSH_MS: '100', AGGREGATOR_TRICKLE_EVENTS: '0', PORT: '0', SWITCHBOARD_STATE: state,
      SCHEMA_REGISTRY_URL: registryUrl,
    }),
    log,
  );
  kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'sr-test' }, log);
}, 16 * 60_000);

afterAll(async () => {
  await node?.stop();
  rmSync(state, { recursive: true, force: true });
  if (ownRegistry) await promisify(execFile)('bash', [join(ROOT, 'deploy/registry/registry.sh'), 'stop']);
});

describe('with SCHEMA_REGISTRY_URL (a real registry)', () => {
  const topic = `${prefix}contact-events.v1`;
  const dlq = `${prefix}contact-events.dlq.v1`;

  it('the client registers once per schema and reads schemas back by id', async () => {
    const client = new SchemaRegistryClient({ url: registryUrl });
    const codec = new ContactEventCodec();
    const subject = `${prefix}client-check-value`;
    const id = await client.register(subject, codec.writerSchemaText);
    expect(await client.register(subject, codec.writerSchemaText)).toBe(id);
    const text = await new SchemaRegistryClient({ url: registryUrl }).schemaById(id);
    expect(avro.Type.forSchema(JSON.parse(text!)).equals(codec.writer.type)).toBe(true);
    expect(await client.schemaById(2_000_000_000)).toBeNull();
  });

  it('ingest registers <topic>-value and writes the Confluent wire format with that id and its content type', async () => {
    const r = await fetch(`${node.http.url}/v1/events`, { method: 'POST', body: JSON.stringify(Array.from({ length: 30 }, (_, i) => ev(i))), headers: { 'content-type': 'application/json', 'x-tenant-id': tenant } });
    expect(r.status).toBe(202);
    const latest = (await (await fetch(`${registryUrl}/subjects/${topic}-value/versions/latest`)).json()) as { id: number; schema: string };
    const records = await readMessages(kafka, topic, 30);
    expect(records).toHaveLength(30);
    for (const m of records) {
      expect(m.value![0]).toBe(0);
      expect(m.value!.readUInt32BE(1)).toBe(latest.id);
      expect(m.headers?.['content-type']?.toString()).toBe(CONTENT_TYPES.confluent);
    }
    // a reader that knows nothing but the registry decodes them
    const reader = new ContactEventCodec(undefined, new SchemaRegistryClient({ url: registryUrl }));
    await reader.prepare(records.map((m) => m.value));
    expect(records.map((m) => reader.decode(m.value!).event_id).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `sr-${run}-${i}`).sort());
  });

  it('the aggregator counts Confluent, single-object and newer-schema records on one topic alike, and dead-letters an unknown id', async () => {
    // single-object records from a producer without a registry
    const plain = new EventPublisher(kafka, log, topic);
    await plain.start();
    await plain.publish(Array.from({ length: 20 }, (_, i) => makeEvent({ ...(ev(100 + i) as Parameters<typeof makeEvent>[0]), tenant_id: tenant, source: 'api' })));
    await plain.stop();
    // a newer writer: one more optional field, registered under the topic's subject
    const base = new ContactEventCodec();
    const v2 = JSON.parse(base.writerSchemaText) as { fields: unknown[] };
    v2.fields.push({ name: 'sentiment', type: ['null', 'double'], default: null });
    const v2Type = avro.Type.forSchema(v2 as avro.Schema);
    const id2 = await new SchemaRegistryClient({ url: registryUrl }).register(`${topic}-value`, JSON.stringify(v2));
    const framed = (e: ContactEvent & { sentiment: number | null }, id: number) => {
      const head = Buffer.alloc(5);
      head.writeUInt32BE(id, 1);
      return Buffer.concat([head, v2Type.toBuffer(e)]);
    };
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const newer = Array.from({ length: 10 }, (_, i) => ({ ...makeEvent({ ...(ev(200 + i) as Parameters<typeof makeEvent>[0]), tenant_id: tenant, source: 'api' }), sentiment: 0.5 }));
    await producer.send({
      topic,
      messages: [
        ...newer.map((e) => ({ key: `${tenant}/${e.contact_id}`, value: framed(e, id2), headers: { 'content-type': CONTENT_TYPES.confluent } })),
        { key: `${tenant}/ghost`, value: framed({ ...newer[0]!, event_id: `sr-${run}-ghost` }, 1_999_999_999), headers: { 'content-type': CONTENT_TYPES.confluent } },
      ],
    });
    await producer.disconnect();

    const deadline = Date.now() + 45_000;
    let n = 0;
    while (Date.now() < deadline && (n = await offered()) < 60) await new Promise((r) => setTimeout(r, 250));
    expect(n).toBe(60);
    const letters = await readMessages(kafka, dlq, 1);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.headers?.['dlq.reason']?.toString()).toMatch(/^undecodable: schema id 1999999999 is not in the schema registry/);
    expect(letters[0]!.headers?.['content-type']?.toString()).toBe(CONTENT_TYPES.confluent);
  });
});
