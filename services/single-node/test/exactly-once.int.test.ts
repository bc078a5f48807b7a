import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ContactEvent } from '@switchboard/events';
import { createKafka } from '@switchboard/kafka';
import { kpiIdsAt, kpiOptionsSchema, referenceSeries, type Dimension, type Granularity, type Series } from '@switchboard/kpi';
import { generateEvents } from '@switchboard/simulator';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';
import { differences, seededShuffle } from './helpers';

// Redelivery and replay through the real pipeline: whatever is sent twice, or re-read from an
// earlier offset, counts once.

const log = pino({ level: 'silent' });
const run = randomUUID().slice(0, 8);
const HOUR = 3_600_000;
// a flat day, so the volume does not depend on the hour the test runs at
const FLAT_DAY = new Array<number>(24).fill(1);
const now = Date.now();
const start = Math.floor((now - 3 * HOUR) / 60_000) * 60_000;
const span = { from: start, to: start + 3 * HOUR };
const state = mkdtempSync(join(tmpdir(), 'sb-eo-'));
const env = singleNodeEnvSchema.parse({
  KAFKA_BROKERS: process.env.KAFKA_BROKERS,
  KAFKA_TOPIC_PREFIX: `eo-${run}-`,
  KAFKA_EVENT_PARTITIONS: '3',
  AGGREGATOR_GROUP_ID: `eo-${run}`,
  AGGREGATOR_FLUSH_MS: '200',
  PORT: '0',
  SWITCHBOARD_STATE: state,
});
let node: SingleNode | undefined;
afterAll(async () => {
  await node?.stop();
  rmSync(state, { recursive: true, force: true });
});

async function post(url: string, events: ContactEvent[], tenant: string, ndjson: boolean) {
  const r = await fetch(`${url}/v1/events`, {
    method: 'POST',
    body: ndjson ? events.map((e) => JSON.stringify(e)).join('\n') : JSON.stringify(events),
    headers: { 'content-type': ndjson ? 'application/x-ndjson' : 'application/json', 'x-tenant-id': tenant },
  });
  expect(r.status).toBe(202);
}

async function api(url: string, tenant: string, granularity: Granularity, groupBy: Dimension[]): Promise<Series[]> {
  const p = new URLSearchParams({ metrics: kpiIdsAt(granularity).join(','), from: new Date(span.from).toISOString(), to: new Date(span.to).toISOString(), granularity });
  if (groupBy.length) p.set('group_by', groupBy.join(','));
  const r = await fetch(`${url}/v1/kpis?${p}`, { headers: { 'x-tenant-id': tenant } });
  return ((await r.json()) as { series: Series[] }).series;
}
const reference = (events: ContactEvent[], tenant: string, granularity: Granularity, groupBy: Dimension[]) =>
  referenceSeries(events, { tenant, ...span, granularity, metrics: kpiIdsAt(granularity), groupBy, filters: {}, options: kpiOptionsSchema.parse({}) });

async function waitForCounted(n: SingleNode, expected: number) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const text = await (await fetch(`${n.http.url}/metrics`)).text();
    let seen = 0;
    for (const l of text.split('\n')) if (l.startsWith('switchboard_aggregator_events_total{')) seen += Number(l.split(' ').pop());
    if (seen >= expected) return;
    if (Date.now() > deadline) throw new Error(`aggregator saw ${seen} of ${expected} records`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const SHAPES: [Granularity, Dimension[]][] = [['1m', []], ['15m', ['queue_id']], ['1h', ['agent_id']], ['1d', ['channel']]];

describe('exactly once through the pipeline', () => {
  const tenant = `eo-${run}`;
  const events = generateEvents({ intraday: FLAT_DAY, seed: `eo-${run}`, tenantId: tenant, start, durationMs: 2 * HOUR, arrivalsPerHour: 1200, drain: true, queueCount: 4 })
    .filter((e) => e.occurred_at < now);

  it('counts events sent three times, in different orders and batch shapes, once', async () => {
    node = await startSingleNode(env, log);
    const url = node.http.url;
    const deliveries = [events, seededShuffle(events, 11), seededShuffle(events, 12).reverse()];
    const chunks = [1000, 377, 2500];
    let sent = 0;
    for (const [d, list] of deliveries.entries()) {
      for (let i = 0; i < list.length; i += chunks[d]!) await post(url, list.slice(i, i + chunks[d]!), tenant, (i / chunks[d]!) % 2 === 0);
      sent += list.length;
    }
    await waitForCounted(node, sent);
    for (const [g, groupBy] of SHAPES) expect(differences(await api(url, tenant, g, groupBy), reference(events, tenant, g, groupBy))).toEqual([]);
    const text = await (await fetch(`${url}/metrics`)).text();
    const dup = Number(/switchboard_aggregator_events_total\{outcome="duplicate"\} (\d+)/.exec(text)?.[1] ?? 0);
    expect(dup).toBe(2 * events.length);
    console.log(`[exactly-once] redelivery: ${events.length} events sent 3× (${sent} records), ${dup} dropped as duplicates, KPIs equal to the reference`);
  });

  it('counts nothing twice when the partitions are replayed from offset 0', async () => {
    await node!.stop();
    node = undefined;
    const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'eo-reset' }, log);
    const admin = kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: env.AGGREGATOR_GROUP_ID, topic: `${env.KAFKA_TOPIC_PREFIX}contact-events.v1`, earliest: true });
    const ends = await admin.fetchTopicOffsets(`${env.KAFKA_TOPIC_PREFIX}contact-events.v1`);
    await admin.disconnect();
    const records = ends.reduce((n, p) => n + Number(p.high), 0);
    node = await startSingleNode(env, log);
    await waitForCounted(node, records);
    for (const [g, groupBy] of SHAPES) expect(differences(await api(node.http.url, tenant, g, groupBy), reference(events, tenant, g, groupBy))).toEqual([]);
    console.log(`[exactly-once] replay: ${records} records re-read from offset 0, KPIs unchanged`);
  });
});
