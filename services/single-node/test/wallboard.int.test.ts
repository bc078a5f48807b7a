/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// (the page.evaluate callbacks run in the browser)
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { ContactEventInit } from '@switchboard/events';
import { REPO_ROOT } from '@switchboard/service-kit';
import { launchChromium, type Browser } from '@switchboard/testkit';
import { buildWallboard, loadWallboard } from '@switchboard/wallboard';
import { singleNodeEnvSchema, startSingleNode, type SingleNode } from '../src/node';

// The wallboard in a real browser (Debian's Chromium) against the real pipeline: a fixed set of
// events goes through HTTP ingest → Kafka → aggregator → ClickHouse; once the API shows all of
// it, the page must show exactly what /v1/kpis and /v1/realtime answer (the page exposes the
// "as of" instant of its data), a breached target and a firing alert must turn their tiles
// red, and the screenshots land in .state/test-output/wallboard/ (docs/wallboard.md).

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const run = randomUUID().slice(0, 8);
const tenant = `wb-${run}`;
const OUT = join(REPO_ROOT, '.state', 'test-output', 'wallboard');
const MIN = 60_000;
const now = Date.now();

// A zone whose day began more than an hour ago, so the events below (the last 12 minutes) all
// fall in its "today"; a non-UTC one, so the page's local day is exercised.
const zoneOffset = (tz: string, t: number) => {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(t)).map((x) => [x.type, x.value]));
  return Date.UTC(+p.year!, +p.month! - 1, +p.day!, +p.hour!, +p.minute!, +p.second!) - Math.floor(t / 1000) * 1000;
};
const TZ = ['Asia/Kolkata', 'America/New_York', 'Pacific/Auckland'].find((tz) => {
  const local = (now + zoneOffset(tz, now)) % 86_400_000;
  return local > 3_600_000 && local < 86_400_000 - 15 * MIN;
})!;

// billing: 10 answered within 5 s                          → SL 100 %, target ≥ 0.8 met (green)
// sales:   2 answered in 5 s, 2 in 25 s, 4 in 60 s, 2 abandoned after 40 s; its SL target asks
//          for a 30 s threshold                               → SL 0.4 (0.2 at the default 20 s), breached (red)
// support: 5 answered, 5 abandoned, 3 still waiting          → no target; abandonment 5/13 > 0.3
//          fires the alert rule (red by the alert)
const events: ContactEventInit[] = [];
let seq = 0;
const base = now - 12 * MIN;
function contact(queue: string, outcome: 'answered' | 'abandoned' | 'waiting', waitS: number, queuedAt: number): void {
  const c = `${queue}-${seq++}`;
  const common = { tenant_id: tenant, contact_id: c, channel: 'voice', direction: 'inbound', source: 'api', queue_id: queue } as const;
  events.push({ ...common, event_id: `${run}-${c}-q`, type: 'queued', occurred_at: queuedAt });
  if (outcome === 'waiting') return;
  const at = queuedAt + waitS * 1000;
  if (outcome === 'abandoned') {
    events.push({ ...common, event_id: `${run}-${c}-a`, type: 'abandoned', occurred_at: at, wait_ms: waitS * 1000 });
    return;
  }
  const agent = `${queue}-agent-${seq % 3}`;
  events.push({ ...common, event_id: `${run}-${c}-ans`, type: 'answered', occurred_at: at, wait_ms: waitS * 1000, agent_id: agent });
  events.push({ ...common, event_id: `${run}-${c}-end`, type: 'contact_ended', occurred_at: at + 90_000, agent_id: agent, talk_ms: 90_000 });
  events.push({ ...common, event_id: `${run}-${c}-wrap`, type: 'wrapup_completed', occurred_at: at + 120_000, agent_id: agent, handle_ms: 120_000 + 1000 * (seq % 7) });
}
for (let i = 0; i < 10; i++) contact('billing', 'answered', 5, base + i * 20_000);
for (const [outcome, wait] of [['answered', 5], ['answered', 5], ['answered', 25], ['answered', 25], ['answered', 60], ['answered', 60], ['answered', 60], ['answered', 60], ['abandoned', 40], ['abandoned', 40]] as const) contact('sales', outcome, wait, base + seq * 15_000);
for (let i = 0; i < 5; i++) contact('support', 'answered', 10, base + i * 30_000);
for (let i = 0; i < 5; i++) contact('support', 'abandoned', 30, base + i * 30_000 + 5_000);
for (let i = 0; i < 3; i++) contact('support', 'waiting', 0, now - (3 - i) * MIN);
const agentStates: [string, string, string][] = [['billing-a1', 'billing', 'available'], ['billing-a2', 'billing', 'busy'], ['sales-a1', 'sales', 'after_call_work'], ['support-a1', 'support', 'away'], ['support-a2', 'support', 'available']];
agentStates.forEach(([agent, queue, state], i) => events.push({
  event_id: `${run}-agent-${i}`, tenant_id: tenant, contact_id: `agent-${agent}`, type: 'agent_state_changed', occurred_at: now - 4 * MIN,
  channel: 'voice', direction: 'inbound', source: 'api', queue_id: queue, agent_id: agent, agent_state: state as 'available',
}));
const OFFERED = { billing: 10, sales: 10, support: 13 };

let node: SingleNode;
let stateDir: string;
let url: string;
let browser: Browser;
const headers = { 'content-type': 'application/json', 'x-tenant-id': tenant };

async function api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
  const r = await fetch(`${url}${path}?${new URLSearchParams(params)}`, { headers });
  const text = await r.text();
  expect(r.status, text).toBe(200);
  return JSON.parse(text) as T;
}
async function put(path: string, body: unknown): Promise<void> {
  const r = await fetch(`${url}${path}`, { method: 'PUT', headers, body: JSON.stringify(body) });
  expect(r.status, await r.clone().text()).toBeLessThan(300);
}

interface Realtime { meta: { at: string }; groups: { group: { queue_id: string | null }; contacts_in_queue: number; longest_wait_ms: number | null; agents: Record<string, number>; agents_logged_in: number }[] }
interface Kpis { series: { group: { queue_id?: string | null }; points: Record<string, number | null | string>[] }[] }
interface Columns { windows: string[]; series: { values: Record<string, (number | null)[]> }[] }
interface Shown { asOf: string; dayStart: string; dayEnd: string; refreshes: number; tiles: Record<string, { status: string; values: Record<string, number | null>; judgements: Record<string, string>; alerts: number }> }

/** What the page shows, read from its data-* attributes. */
const shown = (): Promise<Shown> =>
  browser.page.evaluate(() => {
    const d = document.documentElement.dataset;
    const tiles: Shown['tiles'] = {};
    for (const t of document.querySelectorAll<HTMLElement>('[data-tiles] .tile')) {
      const values: Record<string, number | null> = {};
      const judgements: Record<string, string> = {};
      for (const s of t.querySelectorAll<HTMLElement>('[data-metric]')) {
        values[s.dataset.metric!] = JSON.parse(s.dataset.value!) as number | null;
        if (s.dataset.judgement) judgements[s.dataset.metric!] = s.dataset.judgement;
      }
      tiles[t.dataset.queue!] = { status: t.dataset.status!, values, judgements, alerts: Number(t.querySelector<HTMLElement>('[data-alert-count]')!.dataset.alertCount) };
    }
    return { asOf: d.asOf!, dayStart: d.dayStart!, dayEnd: d.dayEnd!, refreshes: Number(d.refreshes), tiles };
  });

/** Waits for a refresh that started after this call (the page refreshes every second here). */
async function nextRefresh(): Promise<Shown> {
  const before = (await shown()).refreshes;
  await browser.page.waitForFunction((n) => Number(document.documentElement.dataset.refreshes) >= n + 2, before, { timeout: 20_000 });
  return shown();
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  // `npm test` builds the wallboard before the tests; built here when missing, so the file runs on its own
  if (!loadWallboard()) await buildWallboard();
  stateDir = mkdtempSync(join(tmpdir(), 'sb-wallboard-'));
  node = await startSingleNode(
    singleNodeEnvSchema.parse({
      KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: `wb-${run}-`, KAFKA_EVENT_PARTITIONS: '2',
      AGGREGATOR_GROUP_ID: `wb-${run}`, AGGREGATOR_FLUSH_MS: '100', ALERTER_FRESHNESS_S: '1', PORT: '0', SWITCHBOARD_STATE: stateDir,
    }),
    log,
  );
  url = node.http.url;
  await put('/v1/targets/sl-billing', { kpi: 'service_level', scope: { queue_id: 'billing' }, comparison: '>=', threshold: 0.8 });
  await put('/v1/targets/sl-sales', { kpi: 'service_level', options: { sl_threshold_s: 30 }, scope: { queue_id: 'sales' }, comparison: '>=', threshold: 0.8 });
  await put('/v1/targets/asa', { kpi: 'asa_ms', comparison: '<=', threshold: 60_000 });
  await put('/v1/alert-rules/abandons', { name: 'Abandonment over 30 %', kpi: 'abandonment_rate', each: 'queue_id', comparison: '>', threshold: 0.3, window: '15m' });
  const r = await fetch(`${url}/v1/events`, { method: 'POST', headers, body: JSON.stringify(events) });
  expect(r.status, await r.clone().text()).toBe(202);
  // quiescence: every event counted and in the live state
  const deadline = Date.now() + 60_000;
  for (;;) {
    const day = await api<Kpis>('/v1/kpis', { metrics: 'offered', granularity: '1d', from: new Date(now - 20 * MIN).toISOString(), to: new Date(now + MIN).toISOString(), group_by: 'queue_id' });
    const rt = await api<Realtime>('/v1/realtime');
    const offered = Object.fromEntries(day.series.map((s) => [s.group.queue_id, s.points.reduce((n, p) => n + (p.offered as number), 0)]));
    const agents = rt.groups.reduce((n, g) => n + g.agents_logged_in, 0);
    const waiting = rt.groups.reduce((n, g) => n + g.contacts_in_queue, 0);
    if (offered.billing === OFFERED.billing && offered.sales === OFFERED.sales && offered.support === OFFERED.support && agents === agentStates.length && waiting === 3) break;
    if (Date.now() > deadline) throw new Error(`events not all counted: offered ${JSON.stringify(offered)}, agents ${agents}, waiting ${waiting}`);
    await new Promise((res) => setTimeout(res, 250));
  }
  browser = await launchChromium({ width: 1920, height: 1080 });
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await node?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('wallboard in Chromium against the real pipeline', () => {
  it('shows per queue exactly what /v1/realtime and /v1/kpis answer for the same moment, in the chosen zone', async () => {
    await browser.page.goto(`${url}/?tenant=${tenant}&tz=${encodeURIComponent(TZ)}&refresh=1`);
    await browser.page.waitForFunction(() => document.documentElement.dataset.state === 'ready', null, { timeout: 30_000 });
    const page = await nextRefresh();
    expect(Object.keys(page.tiles).sort()).toEqual(['billing', 'sales', 'support']);

    // "today" is the zone's local day, as /v1/kpis's 1d window with tz starts it
    const probe = await api<Kpis>('/v1/kpis', { metrics: 'offered', granularity: '1d', tz: TZ, from: new Date(now).toISOString(), to: new Date(now + 1).toISOString() });
    expect(page.dayStart).toBe(probe.series[0]!.points[0]!.ts);

    // realtime: the same state; the longest wait is as of the page's instant
    const rt = await api<Realtime>('/v1/realtime', { group_by: 'queue_id' });
    const later = Date.parse(rt.meta.at) - Date.parse(page.asOf);
    expect(later).toBeGreaterThanOrEqual(0);
    for (const g of rt.groups) {
      const tile = page.tiles[g.group.queue_id ?? '']!;
      expect(tile, `tile of ${g.group.queue_id}`).toBeDefined();
      expect(tile.values.contacts_in_queue).toBe(g.contacts_in_queue);
      expect(tile.values.longest_wait_ms).toBe(g.longest_wait_ms === null ? null : g.longest_wait_ms - later);
      expect(tile.values.agents_logged_in).toBe(g.agents_logged_in);
      for (const s of ['available', 'busy', 'after_call_work', 'away']) expect(tile.values[`agents.${s}`], s).toBe(g.agents[s] ?? 0);
    }
    expect(page.tiles.support!.values.contacts_in_queue).toBe(3);
    expect(page.tiles.support!.values.longest_wait_ms).toBeGreaterThan(2.5 * MIN);

    // today's KPIs: /v1/kpis over the page's day, in its zone; sales with its target's options
    const range = { granularity: '1d', tz: TZ, from: page.dayStart, to: page.dayEnd, group_by: 'queue_id' };
    const day = await api<Kpis>('/v1/kpis', { ...range, metrics: 'offered,answered,abandoned,abandonment_rate,service_level,asa_ms,aht_ms' });
    const sales30 = await api<Kpis>('/v1/kpis', { ...range, metrics: 'service_level', sl_threshold_s: '30', 'filter.queue_id': 'sales' });
    for (const s of day.series) {
      const q = s.group.queue_id!;
      const p = s.points[0]!;
      const expected: Record<string, unknown> = { ...p, ...(q === 'sales' ? { service_level: sales30.series[0]!.points[0]!.service_level } : {}) };
      for (const k of ['offered', 'answered', 'abandoned', 'abandonment_rate', 'service_level', 'asa_ms', 'aht_ms']) expect(page.tiles[q]!.values[k], `${q} ${k}`).toBe(expected[k]);
    }
    expect(page.tiles.billing!.values.offered).toBe(OFFERED.billing);
    expect(page.tiles.sales!.values.service_level).toBe(0.4); // 30 s threshold: 4 of 10
    expect(day.series.find((s) => s.group.queue_id === 'sales')!.points[0]!.service_level).toBe(0.2); // the default 20 s

    // the day's trend per 15 minutes (all queues), as /v1/kpis gives it
    const trend = await api<Columns>('/v1/kpis', { granularity: '15m', tz: TZ, from: page.dayStart, to: page.dayEnd, metrics: 'offered,service_level,asa_ms,aht_ms', format: 'columns' });
    for (const kpi of ['offered', 'service_level', 'asa_ms', 'aht_ms']) {
      const values = await browser.page.getAttribute(`[data-chart="${kpi}"]`, 'data-values');
      expect(JSON.parse(values!), kpi).toEqual(trend.series[0]!.values[kpi]);
    }
    expect(trend.series[0]!.values.offered!.reduce((n, v) => n! + v!, 0)).toBe(33);
  });

  it('turns a tile red when its target is breached, green when met', async () => {
    const page = await shown();
    expect(page.tiles.sales!.judgements.service_level).toBe('breached');
    expect(page.tiles.sales!.status).toBe('breach');
    expect(page.tiles.billing!.judgements.service_level).toBe('met');
    expect(page.tiles.billing!.judgements.asa_ms).toBe('met'); // the tenant-wide ASA target
    expect(page.tiles.billing!.status).toBe('ok');
    const colour = (q: string) => browser.page.$eval(`.tile[data-queue="${q}"]`, (e) => getComputedStyle(e).borderTopColor);
    expect(await colour('sales')).toBe('rgb(220, 38, 38)');
    expect(await colour('billing')).toBe('rgb(22, 163, 74)');
    expect(await browser.page.textContent('.tile[data-queue="sales"] [data-metric="service_level"] .t')).toBe('target ≥ 80%');
    await browser.page.screenshot({ path: join(OUT, 'targets-1920x1080.png'), fullPage: true });
  });

  it('turns the tile of a queue with a firing alert red and lists the alert', async () => {
    // the alerter evaluates every closed minute (ALERTER_FRESHNESS_S=1 after it closes)
    const deadline = Date.now() + 100_000;
    let firing: { alert_id: string; scope: { queue_id?: string } }[] = [];
    while (firing.length === 0) {
      if (Date.now() > deadline) throw new Error('the abandonment rule did not fire within 100 s');
      await new Promise((res) => setTimeout(res, 1000));
      firing = (await api<{ alerts: { alert_id: string; state: string; scope: { queue_id?: string } }[] }>('/v1/alerts', { state: 'active' })).alerts.filter((a) => a.state === 'firing');
    }
    expect(firing.map((a) => a.scope.queue_id)).toEqual(['support']);
    const page = await nextRefresh();
    expect(page.tiles.support!.status).toBe('breach');
    expect(page.tiles.support!.alerts).toBe(1);
    expect(page.tiles.support!.judgements.service_level).toBe('none'); // red by the alert alone
    const item = browser.page.locator(`[data-alerts] li[data-alert-id="${firing[0]!.alert_id}"]`);
    expect(await item.getAttribute('data-state')).toBe('firing');
    expect(await item.getAttribute('data-queue')).toBe('support');
    expect(await item.textContent()).toContain('Abandonment over 30 %');
    await browser.page.screenshot({ path: join(OUT, 'wallboard-1920x1080.png'), fullPage: true });
    await browser.page.setViewportSize({ width: 1280, height: 800 });
    await browser.page.screenshot({ path: join(OUT, 'wallboard-1280x800.png'), fullPage: true });
    await browser.page.setViewportSize({ width: 1920, height: 1080 });
  });

  it('filters to one queue with the selector: its tile, its trends (with its target options), kept in the address', async () => {
    await browser.page.selectOption('[data-control="queue"]', 'sales');
    await browser.page.waitForFunction(() => document.documentElement.dataset.queue === 'sales', null, { timeout: 10_000 });
    const page = await nextRefresh();
    expect(Object.keys(page.tiles)).toEqual(['sales']);
    expect(new URL(browser.page.url()).searchParams.get('queue')).toBe('sales');
    const trend = await api<Columns>('/v1/kpis', { granularity: '15m', tz: TZ, from: page.dayStart, to: page.dayEnd, metrics: 'offered,service_level,asa_ms,aht_ms', format: 'columns', 'filter.queue_id': 'sales', sl_threshold_s: '30' });
    for (const kpi of ['offered', 'service_level', 'asa_ms', 'aht_ms']) {
      expect(JSON.parse((await browser.page.getAttribute(`[data-chart="${kpi}"]`, 'data-values'))!), kpi).toEqual(trend.series[0]!.values[kpi]);
    }
    await browser.page.screenshot({ path: join(OUT, 'queue-sales-1920x1080.png'), fullPage: true });
    // nothing went wrong in the page meanwhile
    expect(browser.errors).toEqual([]);
  });
});
