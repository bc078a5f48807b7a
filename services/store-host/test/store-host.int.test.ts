import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseError, ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Registry } from 'prom-client';
import { REPO_ROOT } from '@switchboard/service-kit';
import { OpenApiChecker } from '@switchboard/testkit';
import { RowBinary, loadMigrations, migrate, openStore, tokenedInsert, type Store } from '@switchboard/warehouse';
import { StoreHost } from '../src/store-host';
import { storeHostEnvSchema } from '../src/config';

// @clickhouse/client over HTTP against the store host, as every service uses it with
// CLICKHOUSE_URL: each statement runs in the embedded engine behind it.

let dir: string;
let host: StoreHost;
let store: Store;
let client: ClickHouseClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-store-host-'));
  host = new StoreHost({
    config: { host: '127.0.0.1', port: 0, dataDir: join(dir, 'chdb'), maxRunning: 4, maxBodyBytes: 8 * 1024 * 1024, user: 'default', password: '' },
    log: pino({ level: 'silent' }),
    metrics: new Registry(),
  });
  await host.start();
  // the services' own client factory, as with CLICKHOUSE_URL
  store = await openStore({ kind: 'server', url: host.url });
  client = store.client;
});
afterAll(async () => {
  await store?.close();
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const rows = async <T>(query: string, query_params?: Record<string, unknown>, clickhouse_settings?: Record<string, string>) =>
  (await client.query({ query, query_params, clickhouse_settings, format: 'JSONEachRow' })).json<T>();

async function failure(p: Promise<unknown>): Promise<ClickHouseError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ClickHouseError);
  return err as ClickHouseError;
}

describe('store host: ClickHouse over HTTP in front of the embedded engine', () => {
  it('answers ping (both forms), healthz and readyz', async () => {
    expect(await client.ping()).toEqual({ success: true });
    expect(await client.ping({ select: true })).toEqual({ success: true });
    expect((await fetch(`${host.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${host.url}/readyz`)).json()).toEqual({ status: 'ready' });
    const [v] = await rows<{ v: string }>('SELECT version() AS v');
    expect(v!.v).toMatch(/^26\./);
  });

  it('serves its routes as its OpenAPI document says (docs/openapi.json, tag store-host)', async () => {
    const doc = (await (await fetch(`${host.url}/v1/openapi.json`)).json()) as Record<string, unknown>;
    const checker = new OpenApiChecker(doc);
    const problems: string[] = [];
    for (const [method, path, status] of [
      ['GET', '/ping', 200], ['GET', '/?query=SELECT%201', 200], ['POST', '/?default_format=JSONEachRow', 200], ['GET', '/?query=SELECT%201%20%2B', 400], ['GET', '/?query=SELECT%20*%20FROM%20nowhere', 404],
      ['GET', '/?query=SELECT%201&user=default&password=wrong', 403], ['GET', '/healthz', 200], ['GET', '/readyz', 200], ['GET', '/metrics', 200], ['GET', '/v1/openapi.json', 200],
    ] as const) {
      const r = await checker.fetch(`${host.url}${path}`, { method, ...(method === 'POST' ? { body: 'SELECT 2 AS two' } : {}) });
      expect(r.status, `${method} ${path}`).toBe(status);
      problems.push(...r.problems);
    }
    expect(problems).toEqual([]);
    expect(host.routes()).toEqual(checker.operations().sort());
  });

  it('runs the migrations through it, once', async () => {
    const applied = await migrate(client);
    expect(applied).toEqual(loadMigrations().map((m) => m.version));
    expect(await migrate(client)).toEqual([]);
    const tables = await rows<{ name: string }>(`SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE {p:String} ORDER BY name`, { p: 'kpi_agg_%' });
    expect(tables.map((t) => t.name)).toEqual(['kpi_agg_15m', 'kpi_agg_1d', 'kpi_agg_1h', 'kpi_agg_1h_rows', 'kpi_agg_1h_state_time', 'kpi_agg_1m', 'kpi_agg_1m_rows', 'kpi_agg_1m_state_time', 'kpi_agg_30m', 'kpi_agg_5m']);
  });

  it('binds parameters as a server does: strings with quotes, tabs and backslashes, arrays, numbers, nulls, dates', async () => {
    const s = "it's a \t tab, a \\ backslash,\na newline and ünïcode";
    const [r] = await rows<Record<string, unknown>>(
      `SELECT {s:String} AS s, {a:Array(String)} AS a, {n:Array(UInt32)} AS n, {u:UInt64} AS u, {x:Nullable(String)} AS x,
              {t:DateTime64(3, 'UTC')} AS t, length({s:String}) AS len`,
      { s, a: ["o'neil", 'b,c', '[x]', ''], n: [1, 2, 3], u: '4294967296', x: null, t: new Date('2026-11-22T10:15:03.250Z') },
    );
    expect(r).toEqual({ s, a: ["o'neil", 'b,c', '[x]', ''], n: [1, 2, 3], u: 4294967296, x: null, t: '2026-11-22 10:15:03.250', len: Buffer.byteLength(s) });
  });

  it('keeps each request’s parameters its own when many run at once', async () => {
    const got = await Promise.all(Array.from({ length: 24 }, (_, i) => rows<{ v: string }>('SELECT {v:String} AS v, sleep(0.01)', { v: `value-${i}` })));
    expect(got.map((r) => r[0]!.v)).toEqual(Array.from({ length: 24 }, (_, i) => `value-${i}`));
  });

  it('takes a long URL: a few thousand ids as an Array parameter', async () => {
    const ids = Array.from({ length: 3000 }, (_, i) => `sim:contact-${i}:answered:${'x'.repeat(20)}`);
    const [r] = await rows<{ n: number }>('SELECT length({ids:Array(String)}) AS n', { ids });
    expect(r!.n).toBe(3000);
  });

  it('deduplicates a repeated insert_deduplication_token, and settings never outlive their request', async () => {
    await client.command({ query: 'CREATE TABLE dedup (k UInt32, v String) ENGINE = MergeTree ORDER BY k SETTINGS non_replicated_deduplication_window = 100' });
    const insert = (values: object[], token?: string) =>
      client.insert({ table: 'dedup', values, format: 'JSONEachRow', clickhouse_settings: token ? { insert_deduplication_token: token } : {} });
    await insert([{ k: 1, v: 'a' }, { k: 2, v: 'b' }], 'batch-1');
    await insert([{ k: 1, v: 'a' }, { k: 2, v: 'b' }], 'batch-1'); // a replay: dropped
    await insert([{ k: 3, v: 'c' }], 'batch-2');
    // no token: had the previous request's token stuck to the engine, this block would be dropped as batch-2
    await insert([{ k: 4, v: 'd' }]);
    expect(await rows('SELECT k, v FROM dedup ORDER BY k')).toEqual([{ k: 1, v: 'a' }, { k: 2, v: 'b' }, { k: 3, v: 'c' }, { k: 4, v: 'd' }]);
    // a setting of one request is not seen by the next
    const [one] = await rows<{ t: string }>("SELECT getSetting('max_threads') AS t", undefined, { max_threads: '1' });
    const [next] = await rows<{ t: string }>("SELECT getSetting('max_threads') AS t, getSetting('insert_deduplication_token') AS tok");
    expect(Number(one!.t)).toBe(1);
    expect(Number(next!.t)).not.toBe(1);
    expect(next).toMatchObject({ tok: '' });
  });

  it('takes gzip-compressed inserts, JSONCompactEachRow with a column list, and an empty stream', async () => {
    const gz = createClient({ url: host.url, compression: { request: true } });
    try {
      await gz.insert({ table: 'dedup', values: [[5, 'e'], [6, 'f']], columns: ['k', 'v'], format: 'JSONCompactEachRow' });
    } finally {
      await gz.close();
    }
    const { Readable } = await import('node:stream');
    await client.insert({ table: 'dedup', values: Readable.from([]), format: 'JSONEachRow' });
    expect(await rows('SELECT count() AS n FROM dedup')).toEqual([{ n: 6 }]);
  });

  it('takes RowBinary inserts as one block under their token, bytes that read as empty lines included', async () => {
    await client.command({ query: 'CREATE TABLE IF NOT EXISTS rb_host (s String, n UInt64) ENGINE = MergeTree ORDER BY n SETTINGS non_replicated_deduplication_window = 100' });
    const rb = new RowBinary(16);
    for (let i = 0; i < 100_000; i++) {
      rb.string(i === 0 ? 'a\n\nb' : `s${i}`);
      rb.uint64(i === 0 ? 0x0a0a : i);
    }
    const ins = { table: 'rb_host', columns: ['s', 'n'], binary: { bytes: rb.bytes(), rowCount: 100_000 }, token: 'rb-host' };
    await tokenedInsert(client, ins);
    await tokenedInsert(client, ins);
    const [t] = await rows<{ c: string; parts: string }>("SELECT count() AS c, (SELECT count() FROM system.parts WHERE active AND table = 'rb_host') AS parts FROM rb_host");
    expect(Number(t!.c)).toBe(100_000);
    expect(Number(t!.parts)).toBe(1);
    const [r] = await rows<{ s: string }>('SELECT s FROM rb_host WHERE n = 2570');
    expect(r!.s).toBe('a\n\nb');
  });

  it("uses the client's database", async () => {
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS other' });
    const other = createClient({ url: host.url, database: 'other' });
    try {
      await other.command({ query: 'CREATE TABLE here (x UInt8) ENGINE = Memory' });
      expect(await (await other.query({ query: 'SELECT currentDatabase() AS d', format: 'JSONEachRow' })).json()).toEqual([{ d: 'other' }]);
    } finally {
      await other.close();
    }
    expect(await rows("SELECT database FROM system.tables WHERE name = 'here'")).toEqual([{ database: 'other' }]);
  });

  it('reports errors as a server does: ClickHouseError with the code and type', async () => {
    // the client logs every failed request; these are expected
    const client = createClient({ url: host.url, log: { level: ClickHouseLogLevel.OFF } });
    const unknownTable = await failure(client.query({ query: 'SELECT * FROM nowhere' }));
    expect(unknownTable).toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });
    expect(await failure(client.command({ query: 'SELEC 1' }))).toMatchObject({ code: '62', type: 'SYNTAX_ERROR' });
    expect(await failure(client.query({ query: 'SELECT 1', clickhouse_settings: { no_such_setting: 1 } as Record<string, number> }))).toMatchObject({ code: '115', type: 'UNKNOWN_SETTING' });
    expect(await failure(client.insert({ table: 'dedup', values: [{ k: 'not a number' }], format: 'JSONEachRow' }))).toMatchObject({ type: expect.stringMatching(/^CANNOT_PARSE/) });
    expect(await failure(client.query({ query: 'SELECT {v:UInt8}' }))).toMatchObject({ code: '456', type: 'UNKNOWN_QUERY_PARAMETER' });
    // what the host does not do is refused by name
    expect(await failure(client.query({ query: 'SELECT 1', session_id: 'abc' }))).toMatchObject({ code: '48', type: 'NOT_IMPLEMENTED' });
    const wrongPassword = createClient({ url: host.url, username: 'default', password: 'guess', log: { level: ClickHouseLogLevel.OFF } });
    try {
      expect(await failure(wrongPassword.query({ query: 'SELECT 1' }))).toMatchObject({ code: '516', type: 'AUTHENTICATION_FAILED' });
    } finally {
      await wrongPassword.close();
    }
    const raw = await fetch(`${host.url}/?query=${encodeURIComponent('CREATE TABLE ro (x UInt8) ENGINE = Memory')}`);
    expect(raw.headers.get('x-clickhouse-exception-code')).toBe('164'); // GET is read-only, as on a server
    const play = await fetch(`${host.url}/play`);
    expect(play.status).toBe(404);
    expect(await play.text()).toMatch(/^Code: 48\. DB::Exception: store host: no handler for GET \/play.*\(NOT_IMPLEMENTED\)/);
    await client.close();
  });

  it('refuses functions that reach outside the store, however they are written; names in strings and data pass', async () => {
    const client = createClient({ url: host.url, log: { level: ClickHouseLogLevel.OFF } });
    for (const query of [
      "SELECT * FROM url('http://127.0.0.1:9/', 'CSV', 'x String')",
      "INSERT INTO FUNCTION url('http://10.0.0.1/', 'JSONEachRow', 'x String') SELECT 'x'",
      "SELECT * FROM `s3`('http://169.254.169.254/x', 'CSV')",
      "SELECT file('/etc/passwd')",
      'SELECT * FROM remote(\'127.0.0.1:9000\', system.one)',
      "SELECT * FROM\n  URL /* a comment */ ('http://x/', 'CSV', 'x String')",
      "SELECT * FROM \"mysql\"('h:3306', 'db', 't', 'u', 'p')",
      "SELECT * FROM executable('cat /etc/passwd', 'TSV', 'x String')",
    ]) {
      expect(await failure(client.query({ query })), query).toMatchObject({ code: '497', type: 'ACCESS_DENIED' });
    }
    // the names as data, in strings or in comments are no call
    expect(await rows("SELECT 'url(x)' AS s -- file('y')")).toEqual([{ s: 'url(x)' }]);
    await client.command({ query: 'CREATE TABLE IF NOT EXISTS texts (s String) ENGINE = MergeTree ORDER BY s' });
    await client.insert({ table: 'texts', values: [{ s: "remote('a', b)" }], format: 'JSONEachRow' });
    expect(await rows('SELECT s FROM texts')).toEqual([{ s: "remote('a', b)" }]);
    await client.close();
  });

  it('wants a password before it listens beyond loopback', () => {
    const parse = (env: Record<string, string>) => storeHostEnvSchema.safeParse({ SWITCHBOARD_STATE: dir, ...env });
    expect(parse({ HOST: '127.0.0.1' }).success).toBe(true);
    expect(parse({ HOST: '::1' }).success).toBe(true);
    const open = parse({ HOST: '0.0.0.0' });
    expect(open.success).toBe(false);
    expect(open.error!.issues).toEqual([expect.objectContaining({ path: ['STORE_HOST_PASSWORD'], message: 'required when HOST (0.0.0.0) is not a loopback address' })]);
    expect(parse({ HOST: '0.0.0.0', STORE_HOST_PASSWORD: 's3cret' }).success).toBe(true);
  });

  it('owns its data directory: a second store host on it is refused', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/store-host/src/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PORT: '0', STORE_HOST_DATA_DIR: join(dir, 'chdb'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).not.toBe(0);
    expect(output).toMatch(/Another server instance in same directory is already running/);
  }, 60_000);
});
