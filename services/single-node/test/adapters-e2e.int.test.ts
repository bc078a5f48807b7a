import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { backfill } from '@switchboard/backfill';
import type { ContactEvent } from '@switchboard/events';
import { DeadLetterPublisher, EventPublisher, createKafka } from '@switchboard/kafka';
import { KPI_IDS, kpiOptionsSchema, referenceSeries, type Dimension, type Granularity, type Series } from '@switchboard/kpi';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';
import { differences } from './helpers';

// Each vendor adapter's sample day of traffic, loaded by the backfill through the real broker
// into the aggregator and embedded ClickHouse, read back from /v1/kpis: every KPI at every
// grain and group below equals the reference implementation over the same normalized events.
// Each day is loaded twice (idempotent backfill). The sample days are fixed dates in the past,
// so the lateness horizon is widened for them.

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const run = randomUUID().slice(0, 8);
const DAY = 86_400_000;
const fixtures = fileURLToPath(new URL('../../../packages/adapters/test/fixtures/', import.meta.url));

interface SampleDay {
  vendor: string;
  files: { format: string; path: string }[];
  options?: Record<string, unknown>;
}
const SAMPLE_DAYS: SampleDay[] = [
  { vendor: 'amazon-connect', files: [{ format: 'amazon-connect', path: 'amazon-connect/sample-day.jsonl' }, { format: 'amazon-connect', path: 'amazon-connect/sample-day-agents.jsonl' }] },
  { vendor: 'twilio', files: [{ format: 'twilio-event-streams', path: 'twilio/sample-day.jsonl' }] },
  { vendor: 'genesys', files: [{ format: 'genesys-conversation', path: 'genesys/sample-day.jsonl' }] },
  {
    vendor: 'zendesk',
    files: [{ format: 'zendesk-ticket-audit', path: 'zendesk/sample-day.jsonl' }, { format: 'zendesk-satisfaction-rating', path: 'zendesk/sample-day-ratings.jsonl' }],
    options: { topicField: '360000111', groups: { '360001': 'billing', '360002': 'technical', '360003': 'sales', '360004': 'tier2' } },
  },
];

interface Q { granularity: Granularity; groupBy: Dimension[] }
const QUERIES: Q[] = [
  { granularity: '1h', groupBy: [] },
  { granularity: '15m', groupBy: ['queue_id'] },
  { granularity: '1d', groupBy: ['agent_id'] },
  { granularity: '1h', groupBy: ['channel', 'direction'] },
  { granularity: '1d', groupBy: ['team_id', 'topic'] },
];

let node: SingleNode;
let stateDir: string;
let publisher: EventPublisher;
let dlq: DeadLetterPublisher;
let published = 0;

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'sb-adapters-'));
  const env = singleNodeEnvSchema.parse({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS,
    KAFKA_TOPIC_PREFIX: `adapters-${run}-`,
    KAFKA_EVENT_PARTITIONS: '3',
    AGGREGATOR_GROUP_ID: `adapters-${run}`,
    AGGREGATOR_FLUSH_MS: '100',
    // the fixtures' days are in the past; three years covers them for a long while
    LATE_HORIZON_HOURS: String(3 * 365 * 24),
    PORT: '0',
    SWITCHBOARD_STATE: stateDir,
  });
  node = await startSingleNode(env, log);
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'adapters-e2e' }, log);
  publisher = new EventPublisher(kafka, log, `adapters-${run}-contact-events.v1`);
  dlq = new DeadLetterPublisher(kafka, `adapters-${run}-contact-events.dlq.v1`);
  await publisher.start();
  await dlq.start();
});

afterAll(async () => {
  await publisher?.stop();
  await dlq?.stop();
  await node?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

async function consumedAtLeast(n: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await (await fetch(`${node.http.url}/metrics`)).text();
    const total = text.split('\n').filter((l) => l.startsWith('switchboard_aggregator_events_total{')).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    if (total >= n) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function api(tenant: string, span: { from: number; to: number }, q: Q): Promise<Series[]> {
  const params = new URLSearchParams({ metrics: KPI_IDS.join(','), from: new Date(span.from).toISOString(), to: new Date(span.to).toISOString(), granularity: q.granularity });
  if (q.groupBy.length) params.set('group_by', q.groupBy.join(','));
  const r = await fetch(`${node.http.url}/v1/kpis?${params}`, { headers: { 'x-tenant-id': tenant } });
  const body = (await r.json()) as { series: Series[] };
  expect(r.status, JSON.stringify(body)).toBe(200);
  return body.series;
}

/** The pipeline counts an event_id once (the first delivery); so does the reference input. */
function firstOfEachId(events: ContactEvent[]): ContactEvent[] {
  const seen = new Set<string>();
  return events.filter((e) => !seen.has(e.event_id) && seen.add(e.event_id));
}

describe('each adapter’s sample day through backfill → Kafka → aggregator → ClickHouse → /v1/kpis', () => {
  for (const day of SAMPLE_DAYS) {
    it(`${day.vendor}: every KPI equals the reference over the same normalized events`, async () => {
      const tenant = `adapters-${run}-${day.vendor}`;
      const sent: ContactEvent[] = [];
      let rejected = 0;
      // loaded twice: the second run re-sends every record with the same ids, as a backfill
      // run again (or a live feed overlapping it) would, and must change nothing
      for (const f of [...day.files, ...day.files]) {
        const report = await backfill(
          { paths: [join(fixtures, f.path)], format: f.format, tenant, rate: 0, checkpoints: null, ...(day.options ? { adapterOptions: day.options } : {}) },
          { publish: async (e) => { await publisher.publish(e); sent.push(...e); }, deadLetter: (l) => dlq.publishRaw(l) },
        );
        rejected += report.rejected;
        expect(report.problems).toEqual([]);
      }
      expect(rejected).toBe(0);
      published += sent.length;
      const events = firstOfEachId(sent);
      const times = events.map((e) => e.occurred_at);
      const span = { from: Math.floor(Math.min(...times) / DAY) * DAY, to: Math.floor(Math.max(...times) / DAY) * DAY + DAY };
      const reference = (q: Q) => referenceSeries(events, { tenant, ...span, granularity: q.granularity, metrics: KPI_IDS, groupBy: q.groupBy, filters: {}, options: kpiOptionsSchema.parse({}) });

      const caughtUp = await consumedAtLeast(published, 60_000);
      const deadline = Date.now() + (caughtUp ? 5_000 : 30_000);
      let diff: string[] = [];
      for (;;) {
        diff = differences(await api(tenant, span, QUERIES[0]!), reference(QUERIES[0]!));
        if (diff.length === 0 || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(diff).toEqual([]);
      let values = 0;
      for (const q of QUERIES.slice(1)) {
        const want = reference(q);
        expect(differences(await api(tenant, span, q), want), JSON.stringify(q)).toEqual([]);
        values += want.reduce((n, s) => n + s.points.length * KPI_IDS.length, 0);
      }
      const byType = new Map<string, number>();
      for (const e of events) byType.set(e.type, (byType.get(e.type) ?? 0) + 1);
      console.log(`[adapters-e2e] ${day.vendor}: ${sent.length} events sent (each twice), ${events.length} distinct (${[...byType].map(([t, n]) => `${t} ${n}`).join(', ')}), ${values} KPI values equal to the reference`);
    }, 180_000);
  }
});
