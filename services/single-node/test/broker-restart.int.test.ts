import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ContactEvent } from '@switchboard/events';
import { KPI_IDS, kpiOptionsSchema, referenceSeries, type Series } from '@switchboard/kpi';
import { REPO_ROOT } from '@switchboard/service-kit';
import { generateEvents } from '@switchboard/simulator';
import { differences } from '@switchboard/testkit';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';

// A broker of its own (other ports, other state dir) so restarting it disturbs no other test.
const run = randomUUID().slice(0, 8);
const state = mkdtempSync(join(tmpdir(), 'sb-brk-'));
const PORT = 19092 + Math.floor(Math.random() * 500) * 2;
const brokerEnv = { ...process.env, SWITCHBOARD_STATE: state, KAFKA_PORT: String(PORT), KAFKA_CONTROLLER_PORT: String(PORT + 1) };
const broker = (cmd: string) => promisify(execFile)('bash', [join(REPO_ROOT, 'deploy/kafka/broker.sh'), cmd], { env: brokerEnv, timeout: 180_000 });
const log = pino({ level: 'silent' });
const HOUR = 3_600_000;
// a flat day, so the volume does not depend on the hour the test runs at
const FLAT_DAY = new Array<number>(24).fill(1);
let node: SingleNode | undefined;

beforeAll(async () => {
  // reuse the jars the shared broker already fetched
  const lib = join(REPO_ROOT, '.state/kafka/lib-3.9.1');
  if (existsSync(lib)) {
    mkdirSync(join(state, 'kafka'), { recursive: true });
    cpSync(lib, join(state, 'kafka/lib-3.9.1'), { recursive: true });
  }
  await broker('start');
}, 240_000);
afterAll(async () => {
  await node?.stop();
  await broker('stop').catch(() => undefined);
  rmSync(state, { recursive: true, force: true });
});

describe('Kafka broker down for 12 s mid-stream', () => {
  it('loses nothing acknowledged: clients retry on 503, KPIs equal the reference', async () => {
    const tenant = `brk-${run}`;
    node = await startSingleNode(
      singleNodeEnvSchema.parse({
        KAFKA_BROKERS: `127.0.0.1:${PORT}`, KAFKA_EVENT_PARTITIONS: '3', AGGREGATOR_GROUP_ID: `brk-${run}`,
        AGGREGATOR_FLUSH_MS: '200', AGGREGATOR_SESSION_TIMEOUT_MS: '6000', PORT: '0', SWITCHBOARD_STATE: join(state, 'node'),
      }),
      log,
    );
    const url = node.http.url;
    const now = Date.now();
    const start = Math.floor((now - 3 * HOUR) / 60_000) * 60_000;
    const events: ContactEvent[] = generateEvents({ intraday: FLAT_DAY, seed: `brk-${run}`, tenantId: tenant, start, durationMs: 2 * HOUR, arrivalsPerHour: 800, drain: true, queueCount: 3 })
      .filter((e) => e.occurred_at < now);
    const chunks: ContactEvent[][] = [];
    for (let i = 0; i < events.length; i += 200) chunks.push(events.slice(i, i + 200));

    let unavailable = 0;
    let restarted = false;
    // a client that does what a 503 asks: wait and send the same request again
    const send = async (chunk: ContactEvent[]) => {
      for (let attempt = 0; attempt < 120; attempt++) {
        const r = await fetch(`${url}/v1/events`, { method: 'POST', body: JSON.stringify(chunk), headers: { 'content-type': 'application/json', 'x-tenant-id': tenant } }).catch(() => null);
        if (r?.status === 202) return;
        if (r && r.status !== 503) throw new Error(`unexpected ${r.status}: ${await r.text()}`);
        unavailable++;
        await new Promise((res) => setTimeout(res, 500));
      }
      throw new Error('gave up after 120 attempts');
    };
    // down for longer than the producer's own retries last, so clients do see 503s
    const restart = (async () => {
      await new Promise((res) => setTimeout(res, 1500));
      await broker('stop');
      await new Promise((res) => setTimeout(res, 12_000));
      await broker('start');
      restarted = true;
    })();
    for (const c of chunks) {
      await send(c);
      await new Promise((res) => setTimeout(res, 150));
    }
    await restart;
    expect(restarted).toBe(true);
    expect(unavailable).toBeGreaterThan(0);

    const span = { from: start, to: start + 3 * HOUR };
    const q = new URLSearchParams({ metrics: KPI_IDS.join(','), from: new Date(span.from).toISOString(), to: new Date(span.to).toISOString(), granularity: '15m', group_by: 'queue_id' });
    const want = referenceSeries(events, { tenant, ...span, granularity: '15m', metrics: KPI_IDS, groupBy: ['queue_id'], filters: {}, options: kpiOptionsSchema.parse({}) });
    let diff: string[] = [];
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
      const r = await fetch(`${url}/v1/kpis?${q}`, { headers: { 'x-tenant-id': tenant } });
      diff = differences(((await r.json()) as { series: Series[] }).series, want);
      if (diff.length === 0) break;
      await new Promise((res) => setTimeout(res, 500));
    }
    expect(diff).toEqual([]);
    console.log(`[faults] broker restart: ${events.length} events in ${chunks.length} requests, ${unavailable} answers were 503 (Retry-After) and the client resent the request, lost 0, duplicates 0`);
  }, 300_000);
});
