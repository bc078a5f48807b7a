import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { readDlq, replayDlq } from '@switchboard/backfill';
import { CONTENT_TYPES } from '@switchboard/events';
import { createKafka, topicNames } from '@switchboard/kafka';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';

const log = pino({ level: 'silent' });
const run = randomUUID().slice(0, 8);
const state = mkdtempSync(join(tmpdir(), 'sb-dlq-'));
const base = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: `dlq-${run}-`, KAFKA_EVENT_PARTITIONS: '2',
  AGGREGATOR_GROUP_ID: `dlq-${run}`, AGGREGATOR_FLUSH_MS: '100', PORT: '0', SWITCHBOARD_STATE: state,
};
const topics = topicNames(`dlq-${run}-`);
let node: SingleNode | undefined;
afterAll(async () => {
  await node?.stop();
  rmSync(state, { recursive: true, force: true });
});

async function offered(url: string, at: number): Promise<number> {
  const h = Math.floor(at / 3600_000) * 3600_000;
  const r = await fetch(`${url}/v1/kpis?metrics=offered&granularity=1h&from=${new Date(h).toISOString()}&to=${new Date(h + 3600_000).toISOString()}`, { headers: { 'x-tenant-id': run } });
  return ((await r.json()) as { series: { points: { offered: number }[] }[] }).series[0]!.points[0]!.offered;
}

describe('dead-letter inspection and replay', () => {
  it('replays a dead-lettered event after the fix, once however often the replay runs', async () => {
    const kafka = createKafka({ brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','), clientId: 'dlq-test' }, log);
    // a misconfigured aggregator (no clock skew allowed) dead-letters an event 90 s ahead of it
    node = await startSingleNode(singleNodeEnvSchema.parse({ ...base, MAX_FUTURE_SKEW_S: '0' }), log);
    const at = Date.now() + 90_000;
    const r = await fetch(`${node.http.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant-id': run },
      body: JSON.stringify([{ event_id: `dlq-${run}`, contact_id: 'c1', type: 'queued', occurred_at: at, channel: 'chat', direction: 'inbound', queue_id: 'q' }]),
    });
    expect(r.status).toBe(202);
    let letters = await readDlq(kafka, topics);
    for (const deadline = Date.now() + 30_000; letters.length === 0 && Date.now() < deadline; letters = await readDlq(kafka, topics)) await new Promise((res) => setTimeout(res, 300));
    expect(letters).toHaveLength(1);
    expect(letters[0]!.reason).toMatch(/^future: occurred_at .* ahead of the aggregator clock/);
    expect(letters[0]!.key).toBe(`${run}/c1`);
    // the letter says what it holds: the Avro record ingest wrote, its header kept
    expect(letters[0]!.message.headers?.['content-type']?.toString()).toBe(CONTENT_TYPES.singleObject);
    expect(await offered(node.http.url, at)).toBe(0);

    // the fix: the default skew; then the replay, twice
    await node.stop();
    node = await startSingleNode(singleNodeEnvSchema.parse(base), log);
    expect(await replayDlq(kafka, topics, letters, (l) => l.reason.startsWith('future'))).toBe(1);
    expect(await replayDlq(kafka, topics, letters, (l) => l.reason.startsWith('future'))).toBe(1);
    for (const deadline = Date.now() + 30_000; (await offered(node.http.url, at)) === 0 && Date.now() < deadline; ) await new Promise((res) => setTimeout(res, 200));
    await new Promise((res) => setTimeout(res, 1500));
    expect(await offered(node.http.url, at)).toBe(1);
  });
});
