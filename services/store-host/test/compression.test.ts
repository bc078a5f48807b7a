import { describe, expect, it } from 'vitest';
import { cityHash128, compressBlocks, decompressBlocks } from '../src/compression';
import { pickEncoding } from '../src/bi';
import { isMultiStatement, parseRequest, reachesOutside } from '../src/protocol';

// The pieces of the BI listener (docs/bi.md) that are pure: ClickHouse's compressed block
// format, the choice of HTTP encoding, and what the protocol refuses or accepts.

/** bytes (i * 31 + 7) & 0xff, i < n: the inputs the reference values below were computed for */
const input = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff));
const hex = (b: Buffer) => `${b.readBigUInt64LE(0).toString(16)} ${b.readBigUInt64LE(8).toString(16)}`;

describe('CityHash128 (1.0.2), the checksum of ClickHouse compressed blocks', () => {
  // Computed by the ClickHouse JDBC driver's own implementation (com.clickhouse.data.ClickHouseCityHash
  // in clickhouse-jdbc 0.9.6), covering every code path: < 8, 8..15, 16..127 (CityMurmur), ≥ 128 with tails.
  const reference: Array<[number, string]> = [
    [0, '3df09dfc64c09a2b 3cb540c392e51e29'],
    [8, 'f5a4ca47208136a0 3dd4575b3d46e5ab'],
    [16, '3f3a3275564b7f48 b48a2a7a16bac60b'],
    [33, '4e495b057af3b520 abae1d24f18410b5'],
    [128, 'ba863c0c70f32346 24b156fc6f3c170a'],
    [200, '67b5c9a4f885f24b b4a0f54a58082487'],
    [300, 'ad7d1f77d7e62c5 702d3372375ccf2'],
    [4096, '1bd11ecfd108678f 723d5024904233bb'],
  ];
  it.each(reference)('of %i bytes equals the JDBC driver\'s', (n, expected) => {
    expect(hex(cityHash128(input(n)))).toBe(expected);
  });
});

describe('compressed blocks (compress=1 / decompress=1)', () => {
  it('round-trip, in 1 MiB blocks, smaller than the data when it repeats', () => {
    const data = Buffer.concat(Array.from({ length: 30_000 }, (_, i) => Buffer.from(`row ${i % 100}\tqueue-${i % 7}\n`)));
    const packed = compressBlocks(data);
    expect(packed.length).toBeLessThan(data.length / 2);
    expect(packed[16]).toBe(0x82);
    expect(decompressBlocks(packed).equals(data)).toBe(true);
    const big = Buffer.alloc(2.5 * 1024 * 1024, 7);
    expect(decompressBlocks(compressBlocks(big)).equals(big)).toBe(true);
  });

  it('refuses a block whose checksum does not match, naming the problem as ClickHouse does', () => {
    const packed = compressBlocks(Buffer.from('SELECT 1'));
    packed[packed.length - 1] = packed[packed.length - 1]! ^ 0xff;
    expect(() => decompressBlocks(packed)).toThrow(/Checksum doesn't match/);
    expect(() => decompressBlocks(Buffer.alloc(10))).toThrow(/truncated/);
  });
});

describe('HTTP compression (enable_http_compression=1)', () => {
  it('follows the client\'s preference among gzip, br and deflate; zstd alone gets no encoding', () => {
    expect(pickEncoding('gzip, deflate, br')).toBe('gzip');
    expect(pickEncoding('zstd, br;q=0.9, gzip;q=0.5')).toBe('br');
    expect(pickEncoding('deflate')).toBe('deflate');
    expect(pickEncoding('zstd')).toBeUndefined();
    expect(pickEncoding(undefined)).toBeUndefined();
    expect(pickEncoding('gzip;q=0')).toBeUndefined();
  });
});

describe('the protocol in BI mode', () => {
  const bi = { ignoreSessions: true, compression: true, refuseParams: 'no bound parameters here' };
  const parse = (query: string, options = bi) => parseRequest('POST', new URL(`http://x/?${query}`), {}, Buffer.from('SELECT 1'), options);

  it('accepts sessions and compression parameters without passing them to the engine as settings', () => {
    const { statement } = parse('session_id=s1&session_timeout=60&session_check=0&compress=1&decompress=1&enable_http_compression=1&client_protocol_version=54460&max_block_size=100');
    expect(statement.settings).toEqual([['max_block_size', '100']]);
  });

  it('the store host itself still refuses them by name', () => {
    expect(() => parse('session_id=s1', {} as typeof bi)).toThrow(/sessions/);
    expect(() => parse('compress=1', {} as typeof bi)).toThrow(/compress=1/);
  });

  it('refuses bound parameters with the reason given', () => {
    expect(() => parse('param_x=1')).toThrow(/no bound parameters here \(URL parameter param_x\)/);
  });

  it('sees functions that reach outside and more than one statement, outside literals and comments', () => {
    expect(reachesOutside("INSERT INTO FUNCTION url('http://x', CSV) SELECT 1")).toBe('url');
    expect(reachesOutside('SELECT * FROM `remote`(\'h\', db.t)')).toBe('remote');
    expect(reachesOutside("SELECT 'url(' AS s -- file(\n")).toBeUndefined();
    expect(isMultiStatement('SELECT 1; DROP TABLE t')).toBe(true);
    expect(isMultiStatement('SELECT 1;')).toBe(false);
    expect(isMultiStatement("SELECT ';x' /* ; y */")).toBe(false);
  });
});
