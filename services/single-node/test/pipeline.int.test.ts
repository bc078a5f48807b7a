import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Kafka } from 'kafkajs';
import { makeEvent, type ContactEvent } from '@switchboard/events';
import { EventPublisher, createKafka } from '@switchboard/kafka';
import { kpiIdsAt, kpiOptionsSchema, referenceSeries, type Dimension, type Granularity, type KpiOptions, type Series } from '@switchboard/kpi';
import { generateEvents } from '@switchboard/simulator';
import { resolveClickHouse, type ResolvedClickHouse } from '@switchboard/testkit';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';
import { differences, readDeadLetters, seededShuffle } from './helpers';

// The whole pipeline on a real broker and real ClickHouse (embedded chDB unless CLICKHOUSE_URL
// names a server): simulator events → HTTP ingest → Kafka → aggregator → ClickHouse → /v1/kpis,
// compared with the plain reference computation over the same event array.

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const run = randomUUID().slice(0, 8);
const HOUR = 3_600_000;
// a flat day, so the volume does not depend on the hour the test runs at
const FLAT_DAY = new Array<number>(24).fill(1);
const now = Date.now();
// Two hours of traffic ending an hour ago: late enough that every contact has finished.
const start = Math.floor((now - 3 * HOUR) / 60_000) * 60_000;
const span = { from: start, to: start + 3 * HOUR };

let node: SingleNode;
let ch: ResolvedClickHouse;
let stateDir: string;
let kafka: Kafka;
const prefix = `it-${run}-`;

beforeAll(async () => {
  ch = await resolveClickHouse();
  stateDir = mkdtempSync(join(tmpdir(), 'sb-node-'));
  const env = singleNodeEnvSchema.parse({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX: prefix,
    KAFKA_EVENT_PARTITIONS: '4',
    AGGREGATOR_GROUP_ID: `it-${run}`,
    PORT: '0',
    SWITCHBOARD_STATE: stateDir,
    ...(ch.target.kind === 'server' ? { CLICKHOUSE_URL: ch.target.url, CLICKHOUSE_USER: ch.target.username, CLICKHOUSE_PASSWORD: ch.target.password } : {}),
  });
  // embedded: the node opens its own data directory under stateDir (one per process)
  node = await startSingleNode(env, log);
  kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'it' }, log);
});

afterAll(async () => {
  await node?.stop();
  await ch?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

async function post(events: ContactEvent[], tenant: string, ndjson: boolean): Promise<void> {
  const body = ndjson ? events.map((e) => JSON.stringify(e)).join('\n') : JSON.stringify(events);
  const r = await fetch(`${node.http.url}/v1/events`, {
    method: 'POST',
    body,
    headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json', 'x-tenant-id': tenant },
  });
  expect(r.status, await r.clone().text()).toBe(202);
}

async function sendAll(events: ContactEvent[], tenant: string, chunk = 1500): Promise<void> {
  for (let i = 0, n = 0; i < events.length; i += chunk, n++) await post(events.slice(i, i + chunk), tenant, n % 2 === 0);
}

interface Q {
  granularity: Granularity;
  groupBy: Dimension[];
  filters?: Partial<Record<Dimension, string>>;
  options?: Partial<KpiOptions>;
}

async function api(tenant: string, q: Q): Promise<Series[]> {
  const params = new URLSearchParams({
    metrics: kpiIdsAt(q.granularity).join(','),
    from: new Date(span.from).toISOString(),
    to: new Date(span.to).toISOString(),
    granularity: q.granularity,
  });
  if (q.groupBy.length) params.set('group_by', q.groupBy.join(','));
  for (const [d, v] of Object.entries(q.filters ?? {})) params.set(`filter.${d}`, v);
  for (const [k, v] of Object.entries(q.options ?? {})) params.set(k, String(v));
  const r = await fetch(`${node.http.url}/v1/kpis?${params}`, { headers: { 'x-tenant-id': tenant } });
  const body = (await r.json()) as { series: Series[] };
  expect(r.status, JSON.stringify(body)).toBe(200);
  return body.series;
}

function reference(events: ContactEvent[], tenant: string, q: Q): Series[] {
  return referenceSeries(events, {
    tenant, from: span.from, to: span.to, granularity: q.granularity, metrics: kpiIdsAt(q.granularity), groupBy: q.groupBy,
    filters: q.filters ?? {}, options: kpiOptionsSchema.parse(q.options ?? {}),
  });
}

/** Polls until the pipeline has caught up with everything sent (or gives up and shows the gap). */
async function eventually(tenant: string, events: ContactEvent[], q: Q, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let diff: string[] = [];
  while (Date.now() < deadline) {
    diff = differences(await api(tenant, q), reference(events, tenant, q));
    if (diff.length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(diff).toEqual([]);
}

const MATRIX: Q[] = [];
for (const granularity of ['1m', '5m', '15m', '30m', '1h', '1d'] as Granularity[]) {
  for (const groupBy of [[], ['queue_id'], ['channel'], ['agent_id'], ['queue_id', 'channel']] as Dimension[][]) MATRIX.push({ granularity, groupBy });
}

async function expectMatchesReference(tenant: string, events: ContactEvent[]): Promise<number> {
  await eventually(tenant, events, { granularity: '1h', groupBy: [] });
  const queues = [...new Set(events.map((e) => e.queue_id).filter(Boolean))] as string[];
  const extra: Q[] = [
    { granularity: '15m', groupBy: ['agent_id'], filters: { queue_id: queues[0]! } },
    { granularity: '15m', groupBy: ['queue_id'], filters: { channel: 'voice' } },
    { granularity: '1h', groupBy: ['queue_id'], options: { sl_threshold_s: 30, short_abandon_s: 10 } },
    { granularity: '1h', groupBy: ['queue_id'], options: { sl_threshold_s: 10, short_abandon_s: 15 } },
    { granularity: '30m', groupBy: [], options: { sl_formula: 'offered' } },
    { granularity: '30m', groupBy: ['channel'], options: { sl_formula: 'include_abandoned_within', sl_threshold_s: 60 } },
    { granularity: '1h', groupBy: ['team_id'], options: { hourly_cost: 25, complaint_topics: ['complaint', 'refund_request'] } },
  ];
  let compared = 0;
  for (const q of [...MATRIX, ...extra]) {
    const got = await api(tenant, q);
    const want = reference(events, tenant, q);
    expect(differences(got, want), JSON.stringify(q)).toEqual([]);
    compared += want.reduce((n, s) => n + s.points.length * kpiIdsAt(q.granularity).length, 0);
  }
  return compared;
}

describe('pipeline: simulator → ingest → Kafka → aggregator → ClickHouse → /v1/kpis', () => {
  it('equals the reference for every KPI, window, grain and group, delivered in order', async () => {
    const tenant = `inorder-${run}`;
    const events = generateEvents({ intraday: FLAT_DAY, seed: 'pipeline-1', tenantId: tenant, start, durationMs: 2 * HOUR, arrivalsPerHour: 1500, drain: true })
      .filter((e) => e.occurred_at < now);
    expect(events.length).toBeGreaterThan(10_000);
    await sendAll(events, tenant);
    const values = await expectMatchesReference(tenant, events);
    console.log(`[pipeline] in order: ${events.length} events, ${MATRIX.length + 7} queries, ${values} KPI values equal to the reference`);
  }, 240_000);

  it('equals the reference when events arrive shuffled and late, and dead-letters what cannot count', async () => {
    const tenant = `shuffled-${run}`;
    const events = generateEvents({ intraday: FLAT_DAY, seed: 'pipeline-2', tenantId: tenant, start, durationMs: 2 * HOUR, arrivalsPerHour: 1500, drain: true })
      .filter((e) => e.occurred_at < now);
    // the newest hour first, shuffled; the older events after it, shuffled: up to two hours late
    const cut = start + HOUR;
    const recent = seededShuffle(events.filter((e) => e.occurred_at >= cut), 7);
    const older = seededShuffle(events.filter((e) => e.occurred_at < cut), 8);
    await sendAll(recent, tenant, 997);
    await new Promise((r) => setTimeout(r, 1000));
    await sendAll(older, tenant, 1203);

    // what must not count: beyond the lateness horizon, semantically invalid, undecodable
    const tooLate = makeEvent({ event_id: `late-${run}`, tenant_id: tenant, contact_id: 'x', type: 'queued', occurred_at: now - 8 * 24 * HOUR, channel: 'voice', direction: 'inbound', source: 'api', queue_id: 'billing' });
    const invalid = makeEvent({ event_id: `invalid-${run}`, tenant_id: tenant, contact_id: 'y', type: 'answered', occurred_at: start + 60_000, channel: 'voice', direction: 'inbound', source: 'api', queue_id: 'billing' });
    const direct = new EventPublisher(kafka, log, `${prefix}contact-events.v1`);
    await direct.start();
    await direct.publish([tooLate, invalid]);
    await direct.stop();
    const raw = kafka.producer();
    await raw.connect();
    await raw.send({ topic: `${prefix}contact-events.v1`, messages: [{ key: `${tenant}/z`, value: Buffer.from('{"not":"avro"}') }] });
    await raw.disconnect();

    const values = await expectMatchesReference(tenant, events);
    const letters = await readDeadLetters(kafka, `${prefix}contact-events.dlq.v1`, 3);
    const reasons = letters.map((l) => l.reason).sort();
    expect(reasons).toEqual([
      expect.stringMatching(/^invalid: wait_ms required on answered events/),
      expect.stringMatching(/^late: occurred_at .* older than the 168 h lateness horizon/),
      expect.stringMatching(/^undecodable: neither Avro single-object \(C3 01\) nor Confluent wire format/),
    ]);
    expect(letters.every((l) => l.sourceTopic === `${prefix}contact-events.v1` && l.offset !== undefined)).toBe(true);
    console.log(`[pipeline] shuffled+late: ${events.length} events, ${values} KPI values equal to the reference; ${letters.length} dead letters with reasons`);
  }, 240_000);
});
