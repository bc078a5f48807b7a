import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Kafka } from 'kafkajs';
import { MemoryState, RECORD_FORMATS, mapRecords } from '@switchboard/adapters';
import { remapDeadLetter } from '@switchboard/backfill';
import { ContactEventCodec, type ContactEvent } from '@switchboard/events';
import { createKafka, ensureTopics, topicNames } from '@switchboard/kafka';
import { HttpServer, apiKeyTenantResolver, createMetricsRegistry, hashApiKey, headerTenantResolver, type TenantResolver } from '@switchboard/service-kit';
import { createIngest } from '../src';
import type { AdapterCredential } from '../src/adapter-credentials';

// POST /v1/adapters/{vendor} on the real broker: the tenant comes from the vendor credential,
// what the adapter maps is published as Avro, and what it cannot map is dead-lettered with the
// reason and the raw delivery, so the DLQ replay can map it again after a fix.

const log = pino({ level: 'silent' });
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topics = topicNames(`t-adapters-${randomUUID().slice(0, 8)}-`);
const codec = new ContactEventCodec();
const fixtures = new URL('../../../packages/adapters/test/fixtures/', import.meta.url);
const fixture = (path: string) => JSON.parse(readFileSync(new URL(path, fixtures), 'utf8')) as Record<string, unknown>;
const FIREHOSE_KEY = 'fh-access-key-acme-0001';
const API_KEY = 'sbk_test-key-of-globex-0001';
const TWILIO_TOKEN = 'twilio-auth-token-acme-01';
const ZENDESK_SECRET = 'zendesk-signing-secret-initech';
const credentials: AdapterCredential[] = [
  { tenant: 'acme', vendor: 'amazon-connect', secret: FIREHOSE_KEY },
  { tenant: 'acme', vendor: 'twilio', secret: TWILIO_TOKEN },
  { tenant: 'initech', vendor: 'zendesk', secret: ZENDESK_SECRET },
  { tenant: 'initech', vendor: 'amazon-connect', secret: 'fh-access-key-initech-01' },
];

interface Received { key: string; event: ContactEvent }
interface Letter { reason: string; headers: Record<string, string>; value: Buffer }

/** Collects what lands on the event and DLQ topics for the whole file. */
class TopicTap {
  readonly events: Received[] = [];
  readonly letters: Letter[] = [];
  private readonly consumer;
  constructor(kafka: Kafka) {
    this.consumer = kafka.consumer({ groupId: `tap-${randomUUID()}`, maxWaitTimeInMs: 100 });
  }
  async start() {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [topics.events, topics.dlq], fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, message }) => {
        if (topic === topics.events) this.events.push({ key: message.key!.toString(), event: codec.decode(message.value!) });
        else {
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, v?.toString() ?? '']));
          this.letters.push({ reason: headers['dlq.reason']!, headers, value: message.value! });
        }
      },
    });
  }
  async until<T>(pick: () => T[], n: number): Promise<T[]> {
    const deadline = Date.now() + 30_000;
    while (pick().length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300)); // anything more than expected would show now
    return pick();
  }
  stop() {
    return this.consumer.disconnect();
  }
}

async function startServer(kafka: Kafka, tenantOf: TenantResolver, creds: AdapterCredential[]) {
  const metrics = createMetricsRegistry();
  const http = new HttpServer({ host: '127.0.0.1', port: 0, log, metrics, bodyLimitBytes: 256 * 1024 });
  const ingest = createIngest({ kafka, http, log, metrics, tenantOf, topics, config: { credentials: creds, stateMaxEntries: 1000 } });
  for (const c of ingest.components) await c.start();
  await http.start();
  return { http, metrics, stop: async () => { await http.stop(); for (const c of ingest.components) await c.stop(); } };
}

let kafka: Kafka;
let tap: TopicTap;
let open: Awaited<ReturnType<typeof startServer>>;
let locked: Awaited<ReturnType<typeof startServer>>;

beforeAll(async () => {
  kafka = createKafka({ brokers, clientId: 'adapters-test' }, log);
  await ensureTopics(kafka, topics, { eventPartitions: 3, replicationFactor: 1 });
  tap = new TopicTap(kafka);
  await tap.start();
  // auth off (local mode) and auth on (API keys), both knowing the same vendor credentials
  open = await startServer(kafka, headerTenantResolver('demo'), credentials);
  locked = await startServer(kafka, apiKeyTenantResolver([{ tenant: 'globex', sha256: hashApiKey(API_KEY) }]), credentials);
});
afterAll(async () => {
  await open?.stop();
  await locked?.stop();
  await tap?.stop();
});

const b64 = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x), 'utf8').toString('base64');
const firehose = (requestId: string, datas: string[]) => JSON.stringify({ requestId, timestamp: Date.now(), records: datas.map((data) => ({ data })) });
const post = (base: string, vendor: string, body: string | Buffer, headers: Record<string, string>) =>
  fetch(`${base}/v1/adapters/${vendor}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

/** What the adapter itself maps from these records for a tenant: what must arrive on Kafka. */
function expected(format: string, records: unknown[], tenant: string): ContactEvent[] {
  const f = RECORD_FORMATS.find((x) => x.name === format)!;
  const out = mapRecords(f, records, { tenant, state: new MemoryState() });
  expect(out.rejected).toEqual([]);
  return out.events;
}

/** A contact record of our own (fresh ids per test), from the answered-with-hold-and-ACW fixture, dated an hour ago. */
function freshCtr(): Record<string, unknown> {
  const ctr = fixture('amazon-connect/ctr-answered-hold-acw.json');
  const text = JSON.stringify(ctr).replaceAll(String(ctr.ContactId), `ctr-${randomUUID()}`);
  const shift = Date.now() - 3_600_000 - Date.parse(String(ctr.InitiationTimestamp));
  // whole seconds, as Connect writes them
  return JSON.parse(text.replace(/"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"/g, (_, ts: string) => `"${new Date(Date.parse(ts) + Math.round(shift / 1000) * 1000).toISOString().replace('.000Z', 'Z')}"`));
}

describe('POST /v1/adapters/amazon-connect (Firehose)', () => {
  it('takes the tenant from the access key, whatever X-Tenant-Id says, and publishes the mapped events', async () => {
    const ctr = freshCtr();
    const want = expected('amazon-connect', [ctr], 'acme');
    expect(want.length).toBeGreaterThanOrEqual(5);
    const r = await post(open.http.url, 'amazon-connect', firehose('req-1', [b64(ctr)]), { 'x-amz-firehose-access-key': FIREHOSE_KEY, 'x-amz-firehose-request-id': 'req-1', 'x-tenant-id': 'initech' });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ requestId: 'req-1', timestamp: expect.any(Number) });
    const got = (await tap.until(() => tap.events.filter((e) => e.event.contact_id === want[0]!.contact_id), want.length));
    expect(got.map((g) => g.event).sort((a, b) => a.event_id.localeCompare(b.event_id))).toEqual([...want].sort((a, b) => a.event_id.localeCompare(b.event_id)));
    expect(new Set(got.map((g) => g.key))).toEqual(new Set([`acme/${want[0]!.contact_id}`]));
  });

  it('refuses a wrong access key with 401 in the shape Firehose reads', async () => {
    const r = await post(open.http.url, 'amazon-connect', firehose('req-2', [b64(freshCtr())]), { 'x-amz-firehose-access-key': 'fh-access-key-wrong-0001', 'x-amz-firehose-request-id': 'req-2' });
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({ requestId: 'req-2', timestamp: expect.any(Number), errorMessage: 'X-Amz-Firehose-Access-Key does not match the configured access key' });
    // ?tenant= narrows the lookup to one tenant's key: acme's key does not open initech
    const narrowed = await fetch(`${open.http.url}/v1/adapters/amazon-connect?tenant=initech`, { method: 'POST', body: firehose('req-3', [b64(freshCtr())]), headers: { 'content-type': 'application/json', 'x-amz-firehose-access-key': FIREHOSE_KEY } });
    expect(narrowed.status).toBe(401);
  });

  it('refuses a delivery without the vendor credential header or an API key before reading its body (the body is never sent here)', async () => {
    const u = new URL(open.http.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: u.hostname, port: u.port, path: '/v1/adapters/zendesk', method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(10 * 1024 * 1024) } });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => { resolve({ status: res.statusCode!, body }); req.destroy(); });
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).error).toMatch(/send x-zendesk-webhook-signature/);
  });

  it('inflates a GZIP body', async () => {
    const ctr = freshCtr();
    const want = expected('amazon-connect', [ctr], 'acme');
    const r = await post(open.http.url, 'amazon-connect', gzipSync(firehose('req-4', [b64(ctr)])), { 'x-amz-firehose-access-key': FIREHOSE_KEY, 'content-encoding': 'gzip' });
    expect(r.status).toBe(200);
    const got = await tap.until(() => tap.events.filter((e) => e.event.contact_id === want[0]!.contact_id), want.length);
    expect(got).toHaveLength(want.length);
  });

  it('publishes what maps, dead-letters the rest with the reason, and the replay maps it again', async () => {
    const ctr = freshCtr();
    const want = expected('amazon-connect', [ctr], 'acme');
    const broken = { ...freshCtr(), InitiationTimestamp: '2026-11-24 08:05:10' }; // no offset: ambiguous
    const body = firehose('req-5', [b64(ctr), b64('{"ContactId": '), b64(broken)]);
    const r = await post(open.http.url, 'amazon-connect', body, { 'x-amz-firehose-access-key': FIREHOSE_KEY });
    // acknowledged: Firehose would otherwise redeliver the whole batch until it gives up
    expect(r.status).toBe(200);
    await tap.until(() => tap.events.filter((e) => e.event.contact_id === want[0]!.contact_id), want.length);
    const letters = await tap.until(() => tap.letters.filter((l) => l.headers['dlq.adapter.url']?.endsWith('/v1/adapters/amazon-connect') && l.value.toString() === body), 1);
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect(letter.reason).toMatch(/^adapter amazon-connect: record 1: .*; record 2: .*InitiationTimestamp.*no UTC offset/);
    expect(letter.headers).toMatchObject({ 'dlq.adapter.vendor': 'amazon-connect', 'dlq.adapter.tenant': 'acme', 'dlq.adapter.content_type': 'application/json', 'content-type': 'application/json' });
    // replay: the good record maps to the same events (counted once downstream), the bad ones still fail
    const again = remapDeadLetter(letter.headers, letter.value);
    expect(again.kind).toBe('mapped');
    if (again.kind !== 'mapped') return;
    expect(again.events.map((e) => e.event_id).sort()).toEqual(want.map((e) => e.event_id).sort());
    expect(again.stillFailing).toHaveLength(2);
    const metrics = await (await fetch(`${open.http.url}/metrics`)).text();
    expect(metrics).toMatch(/switchboard_adapter_records_total\{vendor="amazon-connect",outcome="rejected"\} [1-9]/);
    // the dead letter is counted by who sent it and its reason class (the vendor, not the record text)
    expect(metrics).toMatch(/switchboard_dlq_records_total\{source="ingest",reason="adapter amazon-connect"\} [1-9]/);
  });
});

describe('POST /v1/adapters/{vendor}: routing and credentials', () => {
  it('names the adapters it knows, and the content types a vendor sends', async () => {
    const r = await post(open.http.url, 'avaya', '{}', {});
    expect(r.status).toBe(404);
    expect(((await r.json()) as { error: string }).error).toBe('no route POST /v1/adapters/avaya; under /v1/adapters/ there are POST /v1/adapters/amazon-connect, POST /v1/adapters/genesys, POST /v1/adapters/twilio, POST /v1/adapters/zendesk');
    const t = await post(open.http.url, 'genesys', 'x', { 'content-type': 'text/plain' });
    expect(t.status).toBe(415);
    expect(((await t.json()) as { error: string }).error).toMatch(/unsupported content type "text\/plain" for genesys/);
  });

  it('auth off, no credential for the vendor: an unsigned delivery lands in the X-Tenant-Id tenant', async () => {
    const conv = fixture('genesys/abandoned.json');
    conv.conversationId = `conv-${randomUUID()}`;
    const want = expected('genesys-conversation', [conv], 'local-a');
    const r = await post(open.http.url, 'genesys', JSON.stringify(conv), { 'x-tenant-id': 'local-a' });
    expect(r.status, await r.clone().text()).toBe(202);
    const got = await tap.until(() => tap.events.filter((e) => e.event.contact_id === conv.conversationId), want.length);
    expect(got.map((g) => g.event.tenant_id)).toEqual(want.map(() => 'local-a'));
  });

  it('auth on: an API key is the credential where the vendor can send one; nothing else gets in', async () => {
    const conv = fixture('genesys/abandoned.json');
    conv.conversationId = `conv-${randomUUID()}`;
    const none = await post(locked.http.url, 'genesys', JSON.stringify(conv), { 'x-tenant-id': 'globex' });
    expect(none.status).toBe(401);
    const wrong = await post(locked.http.url, 'genesys', JSON.stringify(conv), { 'x-api-key': 'sbk_nope' });
    expect(wrong.status).toBe(401);
    const foreign = await post(locked.http.url, 'genesys', JSON.stringify(conv), { 'x-api-key': API_KEY, 'x-tenant-id': 'acme' });
    expect(foreign.status).toBe(403);
    const ok = await post(locked.http.url, 'genesys', JSON.stringify(conv), { 'x-api-key': API_KEY });
    expect(ok.status, await ok.clone().text()).toBe(202);
    const want = expected('genesys-conversation', [conv], 'globex');
    const got = await tap.until(() => tap.events.filter((e) => e.event.contact_id === conv.conversationId), want.length);
    expect(got.map((g) => g.event.tenant_id)).toEqual(want.map(() => 'globex'));
    // and no delivery of the refused attempts arrived
    expect(got).toHaveLength(want.length);
  });
});

describe('signed webhooks through the route: the signature names the tenant', () => {
  /** Twilio's scheme, computed here independently: base64 HMAC-SHA1 of the URL and the sorted POST params. */
  const twilioSignature = (url: string, params: Record<string, string>) =>
    createHmac('sha1', TWILIO_TOKEN).update(url + Object.keys(params).sort().map((k) => k + params[k]).join('')).digest('base64');

  it('twilio: a signed workspace callback is answered 204 and published for acme; a forged one is 401', async () => {
    const callbacks = JSON.parse(readFileSync(new URL('twilio/callback-voice-call.json', fixtures), 'utf8')) as Record<string, string>[];
    const sid = `WT${randomUUID().replaceAll('-', '')}`;
    const created: Record<string, string> = { ...callbacks.find((c) => c.EventType === 'task.created')!, TaskSid: sid, ResourceSid: sid };
    const url = `${open.http.url}/v1/adapters/twilio`;
    const form = new URLSearchParams(created).toString();
    const signed = await fetch(url, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(url, created) } });
    expect(signed.status, await signed.clone().text()).toBe(204);
    const got = await tap.until(() => tap.events.filter((e) => e.event.contact_id === created.TaskSid), 1);
    expect(got.map((g) => [g.event.tenant_id, g.event.type, g.event.source])).toEqual([['acme', 'contact_created', 'twilio']]);
    const forged = await fetch(url, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(`${url}?x=1`, created) } });
    expect(forged.status).toBe(401);
  });

  it('zendesk: a signed webhook lands in initech; a stale or wrong signature is 401', async () => {
    const hooks = JSON.parse(readFileSync(new URL('zendesk/webhooks.json', fixtures), 'utf8')) as Record<string, Record<string, unknown>>;
    const ticket = String(Math.floor(Math.random() * 1e9));
    const created = JSON.parse(JSON.stringify(hooks.created).replaceAll('"2002"', `"${ticket}"`).replaceAll('zen:ticket:2002', `zen:ticket:${ticket}`)) as Record<string, unknown>;
    const body = JSON.stringify(created);
    const sign = (ts: string, secret = ZENDESK_SECRET) => createHmac('sha256', secret).update(ts + body).digest('base64');
    const now = new Date().toISOString();
    const ok = await post(open.http.url, 'zendesk', body, { 'x-zendesk-webhook-signature': sign(now), 'x-zendesk-webhook-signature-timestamp': now });
    expect(ok.status, await ok.clone().text()).toBe(200);
    const got = await tap.until(() => tap.events.filter((e) => e.event.contact_id === ticket), 1);
    expect(got.map((g) => [g.event.tenant_id, g.event.type])).toEqual([['initech', 'contact_created']]);
    const stale = new Date(Date.now() - 3_600_000).toISOString();
    expect((await post(open.http.url, 'zendesk', body, { 'x-zendesk-webhook-signature': sign(stale), 'x-zendesk-webhook-signature-timestamp': stale })).status).toBe(401);
    expect((await post(open.http.url, 'zendesk', body, { 'x-zendesk-webhook-signature': sign(now, 'another-secret-000'), 'x-zendesk-webhook-signature-timestamp': now })).status).toBe(401);
  });
});
