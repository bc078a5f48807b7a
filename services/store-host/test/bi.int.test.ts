import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BiListener } from '../src/bi';
import { compressBlocks, decompressBlocks } from '../src/compression';

// The BI listener (docs/bi.md) on an engine of its own: ClickHouse's compressed blocks both
// ways over real HTTP (the single node's test drives it with the JDBC driver and
// @clickhouse/client), and the queue bound.

const dir = mkdtempSync(join(tmpdir(), 'sb-bi-listener-'));
const listener = new BiListener({ host: '127.0.0.1', port: 0, user: 'bi', password: 'secret-password', dataDir: dir, maxRunning: 1, maxQueued: 0, maxExecutionTimeS: 5, maxResultBytes: 1 << 20 }, pino({ level: 'silent' }));
const auth = { authorization: `Basic ${Buffer.from('bi:secret-password').toString('base64')}` };

beforeAll(() => listener.start());
afterAll(async () => {
  await listener.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('BI listener: compressed blocks', () => {
  it('reads a request body in compressed blocks (decompress=1) and answers in them (compress=1)', async () => {
    const body = compressBlocks(Buffer.from('SELECT number * 2 AS n FROM numbers(5) FORMAT TabSeparated'));
    const r = await fetch(`${listener.url}/?decompress=1&compress=1`, { method: 'POST', body, headers: auth });
    expect(r.status).toBe(200);
    const raw = Buffer.from(await r.arrayBuffer());
    expect(raw[16]).toBe(0x82);
    expect(decompressBlocks(raw).toString()).toBe('0\n2\n4\n6\n8\n');
  });

  it('refuses a body whose checksum does not match, and a result over max_result_bytes', async () => {
    const body = compressBlocks(Buffer.from('SELECT 1'));
    body[0] = body[0]! ^ 1;
    const r = await fetch(`${listener.url}/?decompress=1`, { method: 'POST', body, headers: auth });
    expect(r.status).toBe(500);
    expect(r.headers.get('x-clickhouse-exception-code')).toBe('40');
    expect(await r.text()).toMatch(/Checksum doesn't match.*\(CHECKSUM_DOESNT_MATCH\)/);
    const big = await fetch(`${listener.url}/`, { method: 'POST', body: 'SELECT repeat(\'x\', 100) FROM numbers(300000)', headers: auth });
    const text = await big.text();
    expect(text.length).toBeLessThan(1000);
    expect(text).toMatch(/Code: 396\..*\(TOO_MANY_ROWS_OR_BYTES\)/);
  });

  it('refuses statements beyond BI_MAX_RUNNING + BI_MAX_QUEUED at once', async () => {
    const slow = fetch(`${listener.url}/`, { method: 'POST', body: 'SELECT sleep(1)', headers: auth });
    await new Promise((r) => setTimeout(r, 200));
    const second = fetch(`${listener.url}/`, { method: 'POST', body: 'SELECT 1', headers: auth });
    const [a, b] = await Promise.all([slow, second]);
    expect(a.status).toBe(200);
    expect(b.status).toBe(503);
    expect(await b.text()).toMatch(/TOO_MANY_SIMULTANEOUS_QUERIES/);
  });
});
