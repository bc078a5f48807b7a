import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@switchboard/service-kit';
// Grafana's macro expansion and variable interpolation as the ClickHouse plugin does them (the Grafana dashboards' own test uses it)
import { expandMacros, interpolate, type VariableValue } from '../../../test/grafana-sql';
import { createNodeBi, singleNodeBiEnvSchema, startSingleNode, type NodeBi, type SingleNode } from '../src/node';

// BI tools on the embedded store (docs/bi.md): `npm start`'s read-only ClickHouse HTTP listener,
// queried by the official ClickHouse JDBC driver (the one Metabase and DBeaver ship, on its
// defaults: compress=1, ClickHouse's LZ4 blocks) and by @clickhouse/client (HTTP gzip and a
// session_id, as clickhouse-connect sends), with Grafana-style SQL over the kpi_* views; the
// answers must equal /v1/kpis. Writes, DDL and functions reaching outside are refused.

const exec = promisify(execFile);
const log = pino({ level: 'silent' });
const run = randomUUID().slice(0, 8);
const tenant = `bi-${run}`;
const state = mkdtempSync(join(tmpdir(), 'sb-bi-'));
const here = new URL('./jdbc/', import.meta.url).pathname;
const jars = join(REPO_ROOT, '.state', 'bi-jdbc');
let node: SingleNode;
let bi: NodeBi;
let ch: ClickHouseClient;
/** the refusals are expected: the client would log each as an error */
const QUIET = { level: ClickHouseLogLevel.OFF };

/** The driver's jars from Maven Central (pom.xml next to BiQuery.java), fetched once per pom. */
function ensureJdbcJars(): void {
  const pomHash = createHash('sha256').update(readFileSync(join(here, 'pom.xml'))).digest('hex');
  const marker = join(jars, '.complete');
  if (existsSync(marker) && readFileSync(marker, 'utf8') === pomHash) return;
  const tmp = `${jars}.tmp.${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  execFileSync('mvn', ['-B', '-q', '--no-transfer-progress', '-Dstyle.color=never', '-f', join(here, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  writeFileSync(join(tmp, '.complete'), pomHash);
  rmSync(jars, { recursive: true, force: true });
  mkdirSync(join(REPO_ROOT, '.state'), { recursive: true });
  renameSync(tmp, jars);
}

/** Runs BiQuery.java with the driver: rows per query, or the driver's error. */
async function jdbc(password: string, ...sql: string[]): ReturnType<typeof jdbcWith> {
  return jdbcWith({}, password, ...sql);
}

async function jdbcWith(options: Record<string, string>, password: string, ...sql: string[]): Promise<{ driver: string; results: Array<{ columns: string[]; rows: string[][] } | { error: string }>; connectError?: string }> {
  const url = `jdbc:clickhouse://${bi.listener.url.replace('http://', '')}/default`;
  const env = { ...process.env, BI_JDBC_OPTIONS: Object.entries(options).map(([k, v]) => `${k}=${v}`).join(',') };
  const { stdout } = await exec('java', ['-Duser.timezone=UTC', '-cp', `${jars}/*`, join(here, 'BiQuery.java'), url, bi.config.user, password, ...sql], { timeout: 120_000, env });
  const out: { driver: string; results: Array<{ columns: string[]; rows: string[][] } | { error: string }>; connectError?: string } = { driver: '', results: [] };
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [kind, ...rest] = line.split('\t');
    if (kind === 'driver') out.driver = rest.join(' ');
    else if (kind === 'connect-error') out.connectError = rest.join('\t');
    else if (kind === 'query') out.results.push({ columns: [], rows: [] });
    else if (kind === 'columns') (out.results.at(-1) as { columns: string[] }).columns = rest;
    else if (kind === 'row') (out.results.at(-1) as { rows: string[][] }).rows.push(rest);
    else if (kind === 'error') out.results[out.results.length - 1] = { error: rest.join('\t') };
  }
  return out;
}

// every event at one moment, a few minutes back: one 15-minute and one hourly window
const at = Math.floor((Date.now() - 5 * 60_000) / 60_000) * 60_000;
const QUEUES = { billing: { offered: 7, answered: 5 }, support: { offered: 4, answered: 4 }, sales: { offered: 2, answered: 0 } };
const events = Object.entries(QUEUES).flatMap(([queue, n]) => [
  ...Array.from({ length: n.offered }, (_, i) => ({ event_id: `${run}-${queue}-q${i}`, contact_id: `${run}-${queue}-${i}`, type: 'queued', occurred_at: at, channel: 'voice', direction: 'inbound', queue_id: queue })),
  ...Array.from({ length: n.answered }, (_, i) => ({ event_id: `${run}-${queue}-a${i}`, contact_id: `${run}-${queue}-${i}`, type: 'answered', occurred_at: at, channel: 'voice', direction: 'inbound', queue_id: queue, agent_id: 'a1', team_id: 't1', wait_ms: i % 2 ? 30_000 : 4_000 })),
]);

interface Point { ts: string; offered: number; answered: number; service_level: number | null }
async function kpis(granularity: string): Promise<Array<{ group: { queue_id: string }; points: Point[] }>> {
  const params = new URLSearchParams({ metrics: 'offered,answered,service_level', from: new Date(at - 86_400_000).toISOString(), to: new Date(at + 3_600_000).toISOString(), granularity, group_by: 'queue_id' });
  const r = await fetch(`${node.http.url}/v1/kpis?${params}`, { headers: { 'x-tenant-id': tenant } });
  expect(r.status).toBe(200);
  return ((await r.json()) as { series: Array<{ group: { queue_id: string }; points: Point[] }> }).series;
}

const GRAFANA_SQL = `SELECT toStartOfInterval(bucket, INTERVAL 15 minute) AS t, queue_id, sum(offered) AS offered, sum(answered) AS answered
FROM kpi_15m
WHERE tenant_id = '${tenant}' AND bucket >= now() - INTERVAL 1 DAY
GROUP BY t, queue_id
ORDER BY t, queue_id`;

beforeAll(async () => {
  ensureJdbcJars();
  const env = singleNodeBiEnvSchema.parse({
    KAFKA_BROKERS: process.env.KAFKA_BROKERS, KAFKA_TOPIC_PREFIX: `bi-${run}-`, KAFKA_EVENT_PARTITIONS: '1',
    AGGREGATOR_GROUP_ID: `bi-${run}`, ALERTER_GROUP_ID: `bi-alerter-${run}`, AGGREGATOR_FLUSH_MS: '100', PORT: '0', SWITCHBOARD_STATE: state,
    BI_PORT: '0', BI_MAX_EXECUTION_TIME_S: '2',
  });
  bi = createNodeBi(env, log)!;
  node = await startSingleNode(env, log, [bi.component]);
  ch = createClient({ url: bi.listener.url, username: bi.config.user, password: bi.config.password, session_id: `grafana-${run}`, log: QUIET });
  const r = await fetch(`${node.http.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-tenant-id': tenant }, body: JSON.stringify(events) });
  expect(r.status).toBe(202);
  // the pipeline has written them once /v1/kpis counts them all
  const total = Object.values(QUEUES).reduce((n, q) => n + q.offered + q.answered, 0);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const counted = (await kpis('1h')).flatMap((s) => s.points).reduce((n, p) => n + p.offered + p.answered, 0);
    if (counted === total) break;
    if (Date.now() > deadline) throw new Error(`pipeline counted ${counted} of ${total}`);
    await new Promise((res) => setTimeout(res, 250));
  }
});
afterAll(async () => {
  await ch?.close();
  await node?.stop();
  rmSync(state, { recursive: true, force: true });
});

describe('BI listener of npm start (ClickHouse HTTP, read-only)', () => {
  it('listens on loopback with a generated password kept in the state directory', () => {
    expect(bi.listener.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(bi.config.passwordFile).toBe(join(state, 'bi-password'));
    expect(readFileSync(bi.config.passwordFile!, 'utf8').trim()).toBe(bi.config.password);
    expect(statSync(bi.config.passwordFile!).mode & 0o077).toBe(0);
    expect(bi.config.password.length).toBeGreaterThanOrEqual(20);
  });

  it('the ClickHouse JDBC driver, on its defaults (compress=1), reads kpi_15m as /v1/kpis counts it', async () => {
    const before = bi.listener.stats.compressedBlocks;
    const out = await jdbc(bi.config.password, GRAFANA_SQL, 'SHOW TABLES LIKE \'kpi_%\'', 'DESCRIBE TABLE kpi_15m', "EXISTS TABLE kpi_1h");
    expect(out.connectError).toBeUndefined();
    expect(out.driver).toMatch(/ClickHouse JDBC Driver 0\.9\.\d/);
    const [grafana, tables, describe, exists] = out.results as Array<{ columns: string[]; rows: string[][] }>;
    expect(grafana!.columns).toEqual(["t:DateTime('UTC')", 'queue_id:LowCardinality(String)', 'offered:UInt64', 'answered:UInt64']);
    const expected = (await kpis('15m')).flatMap((s) => s.points.filter((p) => p.offered + p.answered > 0).map((p) => [p.ts.replace('T', ' ').replace('.000Z', ''), s.group.queue_id, String(p.offered), String(p.answered)]))
      .sort((a, b) => (a[0]! + a[1]!).localeCompare(b[0]! + b[1]!));
    expect(grafana!.rows).toEqual(expected);
    expect(grafana!.rows.map((r) => r[1])).toEqual(['billing', 'sales', 'support']);
    expect(tables!.rows.map((r) => r[0])).toEqual(expect.arrayContaining(['kpi_1m', 'kpi_15m', 'kpi_1h', 'kpi_1d']));
    expect(describe!.rows.map((r) => r[0])).toEqual(expect.arrayContaining(['tenant_id', 'bucket', 'queue_id', 'offered', 'service_level']));
    expect(exists!.rows).toEqual([['1']]);
    // every answer went back in ClickHouse's compressed blocks: the driver asked for them
    expect(bi.listener.stats.compressedBlocks - before).toBeGreaterThanOrEqual(4);
  });

  it('the JDBC driver gets ClickHouse-style errors for writes, DDL, outside functions and a wrong password', async () => {
    const out = await jdbc(bi.config.password,
      "INSERT INTO FUNCTION url('http://127.0.0.1:9/x', CSV, 'a UInt8') SELECT 1",
      'DROP TABLE kpi_15m',
      "SELECT * FROM file('/etc/passwd', LineAsString)",
      'SELECT count() FROM kpi_15m');
    const errors = out.results.map((r) => ('error' in r ? r.error : 'rows'));
    expect(errors[0]).toMatch(/Code: 497\. DB::Exception: .*url\(…\) reads or writes outside the store.*\(ACCESS_DENIED\)/);
    expect(errors[1]).toMatch(/Code: 164\. DB::Exception: .*readonly mode.*\(READONLY\)/);
    expect(errors[2]).toMatch(/file\(…\).*\(ACCESS_DENIED\)/);
    expect(errors[3]).toBe('rows');
    const wrong = await jdbc(`${bi.config.password}x`, 'SELECT 1');
    expect(wrong.connectError).toMatch(/Code: 516\. DB::Exception: .*Authentication failed.*\(AUTHENTICATION_FAILED\)/);
  });

  it('@clickhouse/client with a session_id, on its defaults and with compression both ways, reads the hourly service level as /v1/kpis', async () => {
    // its defaults: no response compression (since 1.0), the session_id of createClient
    const plain = await ch.query({ query: 'SELECT 1', format: 'JSONEachRow' });
    expect(plain.response_headers['content-encoding']).toBeUndefined();
    expect(await plain.json()).toEqual([{ 1: 1 }]);
    const gz = createClient({ url: bi.listener.url, username: bi.config.user, password: bi.config.password, session_id: `superset-${run}`, compression: { response: true, request: true }, log: QUIET });
    const rs = await gz.query({
      query: `SELECT queue_id, sum(offered) AS offered, sum(answered_within_20s) / sum(sl_denominator) AS service_level
              FROM kpi_1h WHERE tenant_id = '${tenant}' AND $__timeFilter GROUP BY queue_id ORDER BY queue_id`.replace('$__timeFilter', 'bucket >= now() - INTERVAL 1 DAY'),
      format: 'JSONEachRow',
    });
    expect(rs.response_headers['content-encoding']).toBe('gzip');
    expect(rs.response_headers['x-clickhouse-format']).toBe('JSONEachRow');
    expect(rs.response_headers['x-clickhouse-server-display-name']).toBe('switchboard-bi');
    expect(rs.response_headers['x-clickhouse-timezone']).toBeTruthy();
    expect(JSON.parse(String(rs.response_headers['x-clickhouse-summary'])).read_rows).toMatch(/^\d+$/);
    const rows = await rs.json<{ queue_id: string; offered: string; service_level: number | null }>();
    await gz.close();
    const api = Object.fromEntries((await kpis('1h')).map((s) => [s.group.queue_id, s.points.find((p) => p.offered > 0)!]));
    expect(rows.map((r) => r.queue_id)).toEqual(['billing', 'sales', 'support']);
    for (const r of rows) {
      expect(Number(r.offered)).toBe(api[r.queue_id]!.offered);
      if (api[r.queue_id]!.service_level === null) expect(r.service_level).toBeNull();
      else expect(r.service_level).toBeCloseTo(api[r.queue_id]!.service_level!, 12);
    }
  });

  it('formats drivers ask for: RowBinaryWithNamesAndTypes, TabSeparatedWithNamesAndTypes, JSON, JSONCompact, Native', async () => {
    for (const format of ['RowBinaryWithNamesAndTypes', 'TabSeparatedWithNamesAndTypes', 'JSON', 'JSONCompact', 'Native']) {
      const r = await fetch(`${bi.listener.url}/?default_format=${format}`, { method: 'POST', body: `SELECT queue_id, sum(offered) AS offered FROM kpi_15m WHERE tenant_id = '${tenant}' GROUP BY queue_id ORDER BY queue_id`, headers: { authorization: `Basic ${Buffer.from(`${bi.config.user}:${bi.config.password}`).toString('base64')}` } });
      expect(r.status, format).toBe(200);
      expect(r.headers.get('x-clickhouse-format')).toBe(format);
      const body = Buffer.from(await r.arrayBuffer());
      if (format.startsWith('JSON')) expect(JSON.parse(body.toString()).rows).toBe(3);
      else expect(body.includes(Buffer.from('billing')) && body.includes(Buffer.from('support'))).toBe(true);
    }
  });

  it('accepts sessions and serves gzip (enable_http_compression=1), nothing for zstd alone', async () => {
    const auth = { 'x-clickhouse-user': bi.config.user, 'x-clickhouse-key': bi.config.password };
    const r = await fetch(`${bi.listener.url}/?session_id=s-${run}&session_check=0&session_timeout=60`, { method: 'POST', body: 'SELECT 13', headers: auth });
    expect(await r.text()).toBe('13\n');
    const g = await fetch(`${bi.listener.url}/?enable_http_compression=1&query=${encodeURIComponent('SELECT 1')}`, { headers: { ...auth, 'accept-encoding': 'gzip' } });
    expect(g.headers.get('content-encoding')).toBe('gzip');
    expect(await g.text()).toBe('1\n'); // fetch undoes the gzip itself
    const raw = await fetch(`${bi.listener.url}/?enable_http_compression=1&query=${encodeURIComponent('SELECT 1')}`, { headers: { ...auth, 'accept-encoding': 'zstd' } });
    expect(raw.headers.get('content-encoding')).toBeNull();
  });

  it('refuses writes, DDL, bound parameters and url()/file()/remote() through @clickhouse/client with ClickHouse errors', async () => {
    const refused = async (query: string) => {
      try {
        await ch.command({ query });
        return 'ran';
      } catch (err) {
        return `${(err as { code?: string }).code} ${(err as Error).message}`;
      }
    };
    expect(await refused('CREATE TABLE bi_x (a UInt8) ENGINE = Memory')).toMatch(/^164 .*readonly mode/);
    expect(await refused('INSERT INTO kpi_agg_1m SELECT * FROM kpi_agg_1m LIMIT 1')).toMatch(/^164 /);
    expect(await refused('ALTER TABLE kpi_agg_1m DELETE WHERE 1')).toMatch(/^164 /);
    expect(await refused("SELECT * FROM url('http://127.0.0.1:9/', CSV, 'a String')")).toMatch(/^497 .*url\(…\)/);
    expect(await refused("SELECT * FROM remote('127.0.0.1:9000', system.one)")).toMatch(/^497 .*remote\(…\)/);
    expect(await refused("SELECT file('/etc/hostname')")).toMatch(/^497 .*file\(…\)/);
    expect(await refused('SELECT 1; DROP TABLE kpi_agg_1m')).toMatch(/^62 .*Multi-statements/);
    expect(await refused('SELECT 1 SETTINGS readonly = 0')).toMatch(/^164 /);
    expect(await refused('SELECT sum(number) FROM numbers(100000000000)')).toMatch(/^159 .*Timeout exceeded/);
    await expect(ch.query({ query: 'SELECT {x:UInt8}', query_params: { x: 1 } })).rejects.toThrow(/bound parameters are not supported/);
    const wrong = createClient({ url: bi.listener.url, username: bi.config.user, password: 'nope', log: QUIET });
    await expect(wrong.query({ query: 'SELECT 1' })).rejects.toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' });
    await wrong.close();
    // the store is untouched
    const count = await (await ch.query({ query: `SELECT sum(offered) AS n FROM kpi_15m WHERE tenant_id = '${tenant}'`, format: 'JSONEachRow' })).json<{ n: string }>();
    expect(count.map((r) => Number(r.n))).toEqual([13]);
  });

  it('runs every panel and variable of the provisioned Grafana dashboards (deploy/grafana), macros expanded', async () => {
    const dir = join(REPO_ROOT, 'deploy', 'grafana', 'dashboards');
    interface Target { rawSql: string }
    interface Panel { title: string; targets?: Target[]; panels?: Panel[] }
    const range = { from: at - 86_400_000, to: at + 3_600_000, intervalMs: 900_000 };
    let statements = 0;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const board = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { panels: Panel[]; templating: { list: Array<{ name: string; query: string; multi: boolean }> } };
      const values: Record<string, VariableValue> = {};
      for (const v of board.templating.list) {
        const rows = await (await ch.query({ query: expandMacros(interpolate(v.query, values), range), format: 'JSONEachRow' })).json<Record<string, unknown>>();
        const options = rows.map((r) => String(Object.values(r)[0]));
        values[v.name] = v.name === 'tenant' ? tenant : v.multi ? options : options[0] ?? '';
        statements++;
      }
      for (const panel of board.panels.flatMap((p) => [p, ...(p.panels ?? [])])) {
        for (const t of panel.targets ?? []) {
          const sql = expandMacros(interpolate(t.rawSql, values), range);
          await expect(ch.query({ query: sql, format: 'JSONEachRow' }).then((r) => r.json()), `${file}: ${panel.title}`).resolves.toBeInstanceOf(Array);
          statements++;
        }
      }
      if (file.startsWith('queue')) expect(values.queue).toEqual(['billing', 'sales', 'support']);
    }
    expect(statements).toBeGreaterThan(10);
  });

  it('is off with BI_ENABLED=0 and when the store is a ClickHouse server', () => {
    const base = { KAFKA_BROKERS: 'x:1', SWITCHBOARD_STATE: state };
    const schema = singleNodeBiEnvSchema;
    expect(createNodeBi(schema.parse({ ...base, BI_ENABLED: '0' }), log)).toBeNull();
    expect(createNodeBi(schema.parse({ ...base, CLICKHOUSE_URL: 'http://127.0.0.1:8123' }), log)).toBeNull();
  });
});
