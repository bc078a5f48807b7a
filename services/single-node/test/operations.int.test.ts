import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from '@switchboard/service-kit';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';

// What an operator reads of a running node (docs/operations.md), on the real broker and store:
// a fresh start logs no kafkajs ERROR lines; HTTP requests are counted by route template and
// status and written to the access log; a dead letter is counted by reason and logged once;
// freshness follows the newest event written; every metric deploy/prometheus/rules.yml names
// is on /metrics, which promtool parses.

type Line = Record<string, unknown> & { level: number; msg: string };
const lines: Line[] = [];
const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Line); cb(); } }));
const run = randomUUID().slice(0, 8);
const tenant = `ops-${run}`;
const state = mkdtempSync(join(tmpdir(), 'sb-ops-'));
let node: SingleNode;

beforeAll(async () => {
  node = await startSingleNode(singleNodeEnvSchema.parse({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: `ops-${run}-`, KAFKA_EVENT_PARTITIONS: '2', AGGREGATOR_GROUP_ID: `ops-${run}`,
    AGGREGATOR_FLUSH_MS: '100', AGGREGATOR_TRICKLE_EVENTS: '0', MAX_FUTURE_SKEW_S: '10', PORT: '0', SWITCHBOARD_STATE: state, ACCESS_LOG_SAMPLE_RATE: '1',
  }), log);
  // the consumer joins its group in the background: wait until the node says it is ready
  for (const deadline = Date.now() + 60_000; (await fetch(`${node.http.url}/readyz`)).status !== 200; ) {
    if (Date.now() > deadline) throw new Error('node not ready within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
});
afterAll(async () => {
  await node?.stop();
  rmSync(state, { recursive: true, force: true });
});

/** name{labels} → value of every sample on /metrics */
async function scrape(): Promise<{ text: string; samples: { name: string; labels: Record<string, string>; value: number }[] }> {
  const text = await (await fetch(`${node.http.url}/metrics`)).text();
  const samples = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { text, samples };
}
async function value(name: string, labels: Record<string, string> = {}): Promise<number> {
  const { samples } = await scrape();
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hits.reduce((n, s) => n + s.value, 0);
}
async function until(what: string, ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) if (await ok()) return;
  throw new Error(`timed out waiting for ${what}`);
}
const post = (events: object[]) => fetch(`${node.http.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant-id': tenant }, body: JSON.stringify(events) });

describe('operating a node', () => {
  it('starts on new topics and a new consumer group without kafkajs ERROR or WARN lines', () => {
    const noisy = lines.filter((l) => l.component === 'kafkajs' && l.level >= 40);
    expect(noisy.map((l) => `${l.msg} ${String(l.error ?? '')}`)).toEqual([]);
  });

  it('counts HTTP requests by route template and status, and logs each one', async () => {
    const before = await value('switchboard_http_requests_total', { route: '/v1/alert-rules/:id', status: '404' });
    const badKpis = await value('switchboard_http_requests_total', { route: '/v1/kpis', status: '400' });
    const mark = lines.length;
    expect((await fetch(`${node.http.url}/v1/alert-rules/no-such-${run}`, { headers: { 'x-tenant-id': tenant } })).status).toBe(404);
    expect((await fetch(`${node.http.url}/v1/kpis?metrics=offered`, { headers: { 'x-tenant-id': tenant } })).status).toBe(400);
    expect(await value('switchboard_http_requests_total', { method: 'GET', route: '/v1/alert-rules/:id', status: '404' })).toBe(before + 1);
    expect(await value('switchboard_http_requests_total', { method: 'GET', route: '/v1/kpis', status: '400' })).toBe(badKpis + 1);
    expect(await value('switchboard_http_request_duration_seconds_count', { method: 'GET', route: '/v1/alert-rules/:id' })).toBeGreaterThanOrEqual(1);
    const { text } = await scrape();
    expect(text, 'no raw URL in any label').not.toContain(`no-such-${run}`);
    const access = lines.slice(mark).filter((l) => l.component === 'access');
    expect(access.slice(0, 2).map((l) => [l.method, l.route, l.status])).toEqual([['GET', '/v1/alert-rules/:id', 404], ['GET', '/v1/kpis', 400]]);
    expect(typeof access[0]!.ms).toBe('number');
  });

  it('counts a dead letter by source and reason and logs it once with the full reason', async () => {
    const before = await value('switchboard_dlq_records_total', { source: 'aggregator', reason: 'future' });
    const at = Date.now() + 90_000; // within ingest's skew allowance, past this aggregator's 10 s: dead-lettered as future
    expect((await post([{ event_id: `dlq-${run}`, contact_id: 'c-dlq', type: 'queued', occurred_at: at, channel: 'chat', direction: 'inbound', queue_id: 'q' }])).status).toBe(202);
    await until('the dead letter to be counted', async () => (await value('switchboard_dlq_records_total', { source: 'aggregator', reason: 'future' })) === before + 1);
    const letters = lines.filter((l) => l.msg === 'dead letter' && l.key === `${tenant}/c-dlq`);
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ level: 40, source: 'aggregator', reason: 'future', source_topic: `ops-${run}-contact-events.v1` });
    expect(String(letters[0]!.detail)).toMatch(/^future: occurred_at .* is ahead of the aggregator clock/);
    expect(await value('switchboard_aggregator_events_total', { outcome: 'dead_lettered' })).toBeGreaterThanOrEqual(1);
  });

  it('reports freshness: the newest event written, as seconds behind now', async () => {
    const at = Date.now() - 20_000;
    expect((await post([{ event_id: `fresh-${run}`, contact_id: 'c-fresh', type: 'queued', occurred_at: at, channel: 'voice', direction: 'inbound', queue_id: 'q' }])).status).toBe(202);
    await until('the event to be written', async () => (await value('switchboard_aggregator_newest_event_timestamp_seconds')) === at / 1000);
    const freshness = await value('switchboard_aggregator_freshness_seconds');
    expect(freshness).toBeGreaterThanOrEqual(20);
    expect(freshness).toBeLessThan(50);
    // written and committed: nothing waits on the node's partitions
    await until('the lag to drain', async () => (await scrape()).samples.filter((s) => s.name === 'switchboard_kafka_consumer_lag' && s.labels.group === `ops-${run}`).every((s) => s.value === 0));
    const lag = (await scrape()).samples.filter((s) => s.name === 'switchboard_kafka_consumer_lag' && s.labels.group === `ops-${run}`);
    expect(lag.map((s) => [s.labels.topic, s.labels.partition]).sort()).toEqual([[`ops-${run}-contact-events.v1`, '0'], [`ops-${run}-contact-events.v1`, '1']]);
  });

  it("reports the store's parts and its own memory accounting, the embedded engine's share of this process", async () => {
    const { samples } = await scrape();
    const engine = samples.find((s) => s.name === 'switchboard_store_memory_bytes' && s.labels.of === 'engine');
    // a migrated store with parts holds some memory, and never more than the whole process
    expect(engine?.value).toBeGreaterThan(0);
    expect(engine!.value).toBeLessThanOrEqual(await value('process_resident_memory_bytes'));
    expect(samples.some((s) => s.name === 'switchboard_store_memory_bytes' && s.labels.of === 'merges' && s.value >= 0)).toBe(true);
    expect(await value('switchboard_store_merges_running')).toBeGreaterThanOrEqual(0);
    expect(await value('switchboard_store_parts_active', { table: 'schema_migrations' })).toBeGreaterThan(0);
  });

  it('exposes every metric deploy/prometheus/rules.yml names, in text promtool parses', async () => {
    const { text } = await scrape();
    // the names /metrics declares, with the series names of histograms and summaries
    const exposed = new Set<string>();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      exposed.add(m[1]!);
      if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exposed.add(m[1]! + s);
      if (m[2] === 'summary') for (const s of ['_sum', '_count']) exposed.add(m[1]! + s);
    }
    const rules = parseYaml(readFileSync(join(REPO_ROOT, 'deploy/prometheus/rules.yml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const named = new Map<string, string[]>();
    for (const r of rules.groups.flatMap((g) => g.rules)) {
      // every metric a Switchboard process exposes is switchboard_*, or Node's process_* / nodejs_*;
      // `up` is Prometheus's own
      for (const m of r.expr.matchAll(/\b((?:switchboard|process|nodejs)_[a-z0-9_]+)\b/g)) named.set(m[1]!, [...(named.get(m[1]!) ?? []), r.alert]);
    }
    expect(named.size).toBeGreaterThan(8);
    const missing = [...named].filter(([name]) => !exposed.has(name)).map(([name, alerts]) => `${name} (${alerts.join(', ')})`);
    expect(missing, 'metrics the alert rules read that no longer exist').toEqual([]);
    // and every metric of Switchboard's own is documented for operators
    const doc = readFileSync(join(REPO_ROOT, 'docs/operations.md'), 'utf8');
    const undocumented = [...text.matchAll(/^# TYPE (switchboard_\S+) /gm)].map((m) => m[1]!).filter((name) => !doc.includes(`\`${name}\``));
    expect(undocumented, 'metrics on /metrics without a row in docs/operations.md').toEqual([]);

    // promtool parses the exposition and lints it: Switchboard's own metrics lint clean; the only
    // findings allowed are prom-client's standard nodejs_active_*_total gauges (names every Node
    // dashboard uses); a parse error fails
    let out = '';
    try {
      out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      const e = err as { code?: string; stdout?: string; stderr?: string };
      if (e.code === 'ENOENT') throw new Error('promtool not found: `apt-get install -y prometheus` (npm test installs it)');
      out = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
    const findings = out.split('\n').filter((l) => l.trim() && !/^nodejs_active_[a-z]+_total non-counter metrics should not have "_total" suffix$/.test(l));
    expect(findings, 'promtool check metrics').toEqual([]);
  });
});
