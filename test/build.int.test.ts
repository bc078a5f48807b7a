import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/gen-docs';

// What the Docker image runs: the services compiled by `npm run build` (scripts/build.mjs) into
// dist/*.mjs, started with plain node — no TypeScript at run time. The single node takes an
// event and counts it; the store host answers ClickHouse's ping and a query.

const state = mkdtempSync(join(tmpdir(), 'sb-build-'));
const children: ChildProcess[] = [];

/** Starts a bundle and resolves with the first stdout line matching `ready`. */
function startBundle(name: string, env: Record<string, string>, ready: RegExp): Promise<RegExpMatchArray> {
  const child = spawn(process.execPath, ['--enable-source-maps', join(ROOT, 'dist', `${name}.mjs`)], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${out.slice(-2000)}`)), 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = out.match(ready);
      if (m) { clearTimeout(timer); resolve(m); }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited ${code}:\n${out.slice(-2000)}`)); });
  });
}

beforeAll(async () => {
  const { buildServices } = await import('../scripts/build.mjs');
  await buildServices(['single-node', 'store-host']);
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  rmSync(state, { recursive: true, force: true });
});

describe('the compiled services (npm run build)', () => {
  it('single node: starts from dist/single-node.mjs, takes an event and counts it', async () => {
    const run = randomUUID().slice(0, 8);
    const m = await startBundle('single-node', {
      KAFKA_BROKERS: process.env.KAFKA_BROKERS!, KAFKA_TOPIC_PREFIX: `build-${run}-`, AGGREGATOR_GROUP_ID: `build-${run}`, AGGREGATOR_FLUSH_MS: '200',
      PORT: '0', SWITCHBOARD_STATE: join(state, 'node'), SIMULATOR_EPS: '0', LIVE_TABLE: '0', LOG_LEVEL: 'warn',
    }, /API\s+(http:\/\/127\.0\.0\.1:\d+)/);
    const url = m[1]!;
    const now = Date.now();
    const r = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ event_id: `b-${run}`, contact_id: 'c1', type: 'queued', occurred_at: now, channel: 'voice', direction: 'inbound', queue_id: 'q' }]) });
    expect(r.status).toBe(202);
    const hour = (t: number) => new Date(Math.floor(t / 3600_000) * 3600_000).toISOString();
    const deadline = Date.now() + 30_000;
    let offered = 0;
    while (offered < 1 && Date.now() < deadline) {
      const k = (await (await fetch(`${url}/v1/kpis?metrics=offered&granularity=1h&from=${hour(now)}&to=${hour(now + 3600_000)}`)).json()) as { series: { points: { offered: number }[] }[] };
      offered = k.series[0]?.points[0]?.offered ?? 0;
      if (offered < 1) await new Promise((res) => setTimeout(res, 200));
    }
    expect(offered).toBe(1);
  });

  it('store host: starts from dist/store-host.mjs and answers as ClickHouse', async () => {
    const m = await startBundle('store-host', { PORT: '0', SWITCHBOARD_STATE: join(state, 'host'), LOG_LEVEL: 'info' }, /"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
    const url = m[1]!;
    expect(await (await fetch(`${url}/ping`)).text()).toBe('Ok.\n');
    expect(await (await fetch(`${url}/?query=SELECT%2040%2B2`)).text()).toBe('42\n');
  });
});
