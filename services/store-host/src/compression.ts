import { compressSync, uncompressSync } from 'lz4-napi';
import { CHECKSUM_DOESNT_MATCH, UNKNOWN_COMPRESSION_METHOD, CANNOT_DECOMPRESS, clickHouseError } from './errors';

/**
 * ClickHouse's own compressed block format, as a server sends it for `compress=1` and reads it
 * for `decompress=1` (the ClickHouse JDBC driver asks for it by default): a sequence of blocks,
 * each
 *
 *   16 bytes  CityHash128 (CityHash 1.0.2) of the 9-byte header and the compressed data
 *    1 byte   method: 0x82 LZ4, 0x02 none (0x90 ZSTD is not supported here)
 *    4 bytes  compressed size, header included (little endian)
 *    4 bytes  decompressed size (little endian)
 *             the compressed data (an LZ4 block)
 */

const LZ4 = 0x82;
const NONE = 0x02;
const HEADER = 9;
const CHECKSUM = 16;
/** ClickHouse's own block size for compressed output (DBMS_DEFAULT_BUFFER_SIZE) */
const BLOCK = 1024 * 1024;

export function compressBlocks(data: Uint8Array): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length || (at === 0 && out.length === 0 && data.length > 0); at += BLOCK) {
    const chunk = Buffer.from(data.buffer, data.byteOffset + at, Math.min(BLOCK, data.length - at));
    // lz4-napi prefixes the block with its decompressed size (4 bytes LE): the frame header carries it instead
    const lz4 = compressSync(chunk).subarray(4);
    const block = Buffer.alloc(CHECKSUM + HEADER + lz4.length);
    block[CHECKSUM] = LZ4;
    block.writeUInt32LE(HEADER + lz4.length, CHECKSUM + 1);
    block.writeUInt32LE(chunk.length, CHECKSUM + 5);
    lz4.copy(block, CHECKSUM + HEADER);
    cityHash128(block.subarray(CHECKSUM)).copy(block, 0);
    out.push(block);
  }
  return Buffer.concat(out);
}

/** Reads ClickHouse compressed blocks back into the data, checking every checksum. */
export function decompressBlocks(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < CHECKSUM + HEADER) throw clickHouseError(CANNOT_DECOMPRESS, 'Cannot decompress: truncated compressed block header');
    const method = data[at + CHECKSUM]!;
    const size = data.readUInt32LE(at + CHECKSUM + 1);
    const plain = data.readUInt32LE(at + CHECKSUM + 5);
    if (size < HEADER || at + CHECKSUM + size > data.length) throw clickHouseError(CANNOT_DECOMPRESS, `Cannot decompress: compressed block of ${size} bytes runs past the body`);
    const framed = data.subarray(at + CHECKSUM, at + CHECKSUM + size);
    if (!cityHash128(framed).equals(data.subarray(at, at + CHECKSUM))) throw clickHouseError(CHECKSUM_DOESNT_MATCH, 'Checksum doesn\'t match: corrupted data');
    const payload = framed.subarray(HEADER);
    if (method === LZ4) {
      const prefixed = Buffer.alloc(4 + payload.length);
      prefixed.writeUInt32LE(plain, 0);
      payload.copy(prefixed, 4);
      out.push(uncompressSync(prefixed));
    } else if (method === NONE) {
      out.push(Buffer.from(payload));
    } else {
      throw clickHouseError(UNKNOWN_COMPRESSION_METHOD, `Unknown compression method 0x${method.toString(16)} in a compressed block: LZ4 (0x82) and none (0x02) are supported here`);
    }
    at += CHECKSUM + size;
  }
  return Buffer.concat(out);
}

// CityHash 1.0.2, the version ClickHouse pins for these checksums (later versions hash differently).
const M = (1n << 64n) - 1n;
const k0 = 0xc3a5c85c97cb3127n;
const k1 = 0xb492b66fbe98f273n;
const k2 = 0x9ae16a3b2f90404fn;
const k3 = 0xc949d7c7509e6557n;
const kMul = 0x9ddfea08eb382d69n;

const mul = (a: bigint, b: bigint) => (a * b) & M;
const add = (a: bigint, b: bigint) => (a + b) & M;
const rotate = (v: bigint, s: number) => (s === 0 ? v : ((v >> BigInt(s)) | (v << BigInt(64 - s))) & M);
const shiftMix = (v: bigint) => v ^ (v >> 47n);

function hashLen16(u: bigint, v: bigint): bigint {
  let a = mul(u ^ v, kMul);
  a ^= a >> 47n;
  let b = mul(v ^ a, kMul);
  b ^= b >> 47n;
  return mul(b, kMul);
}

function hashLen0to16(s: Buffer, at: number, len: number): bigint {
  if (len > 8) {
    const a = s.readBigUInt64LE(at);
    const b = s.readBigUInt64LE(at + len - 8);
    // RotateByAtLeast1: len is 9..16 here
    return hashLen16(a, rotate(add(b, BigInt(len)), len)) ^ b;
  }
  if (len >= 4) {
    const a = BigInt(s.readUInt32LE(at));
    return hashLen16(add(BigInt(len), a << 3n), BigInt(s.readUInt32LE(at + len - 4)));
  }
  if (len > 0) {
    const a = s[at]!;
    const b = s[at + (len >> 1)]!;
    const c = s[at + len - 1]!;
    const y = BigInt((a + (b << 8)) >>> 0);
    const z = BigInt((len + (c << 2)) >>> 0);
    return mul(shiftMix(mul(y, k2) ^ mul(z, k3)), k2);
  }
  return k2;
}

function weakHashLen32WithSeeds(s: Buffer, at: number, a: bigint, b: bigint): [bigint, bigint] {
  const w = s.readBigUInt64LE(at);
  const x = s.readBigUInt64LE(at + 8);
  const y = s.readBigUInt64LE(at + 16);
  const z = s.readBigUInt64LE(at + 24);
  a = add(a, w);
  b = rotate(add(add(b, a), z), 21);
  const c = a;
  a = add(a, x);
  a = add(a, y);
  b = add(b, rotate(a, 44));
  return [add(a, z), add(b, c)];
}

function cityMurmur(s: Buffer, at: number, len: number, seedLo: bigint, seedHi: bigint): [bigint, bigint] {
  let a = seedLo;
  let b = seedHi;
  let c = 0n;
  let d = 0n;
  let l = len - 16;
  if (l <= 0) {
    a = mul(shiftMix(mul(a, k1)), k1);
    c = add(mul(b, k1), hashLen0to16(s, at, len));
    d = shiftMix(add(a, len >= 8 ? s.readBigUInt64LE(at) : c));
  } else {
    c = hashLen16(add(s.readBigUInt64LE(at + len - 8), k1), a);
    d = hashLen16(add(b, BigInt(len)), add(c, s.readBigUInt64LE(at + len - 16)));
    a = add(a, d);
    do {
      a ^= mul(shiftMix(mul(s.readBigUInt64LE(at), k1)), k1);
      a = mul(a, k1);
      b ^= a;
      c ^= mul(shiftMix(mul(s.readBigUInt64LE(at + 8), k1)), k1);
      c = mul(c, k1);
      d ^= c;
      at += 16;
      l -= 16;
    } while (l > 0);
  }
  a = hashLen16(a, c);
  b = hashLen16(d, b);
  return [a ^ b, hashLen16(b, a)];
}

function cityHash128WithSeed(s: Buffer, at: number, len: number, seedLo: bigint, seedHi: bigint): [bigint, bigint] {
  if (len < 128) return cityMurmur(s, at, len, seedLo, seedHi);
  let x = seedLo;
  let y = seedHi;
  let z = mul(BigInt(len), k1);
  let v0 = add(mul(rotate(y ^ k1, 49), k1), s.readBigUInt64LE(at));
  let v1 = add(mul(rotate(v0, 42), k1), s.readBigUInt64LE(at + 8));
  let w0 = add(mul(rotate(add(y, z), 35), k1), x);
  let w1 = mul(rotate(add(x, s.readBigUInt64LE(at + 88)), 53), k1);
  const round = () => {
    x = mul(rotate(add(add(add(x, y), v0), s.readBigUInt64LE(at + 16)), 37), k1);
    y = mul(rotate(add(add(y, v1), s.readBigUInt64LE(at + 48)), 42), k1);
    x ^= w1;
    y ^= v0;
    z = rotate(z ^ w0, 33);
    [v0, v1] = weakHashLen32WithSeeds(s, at, mul(v1, k1), add(x, w0));
    [w0, w1] = weakHashLen32WithSeeds(s, at + 32, add(z, w1), y);
    [z, x] = [x, z];
    at += 64;
  };
  do {
    round();
    round();
    len -= 128;
  } while (len >= 128);
  y = add(y, add(mul(rotate(w0, 37), k0), z));
  x = add(x, mul(rotate(add(v0, z), 49), k0));
  for (let done = 0; done < len;) {
    done += 32;
    y = add(mul(rotate((y - x) & M, 42), k0), v1);
    w0 = add(w0, s.readBigUInt64LE(at + len - done + 16));
    x = add(mul(rotate(x, 49), k0), w0);
    w0 = add(w0, v0);
    [v0, v1] = weakHashLen32WithSeeds(s, at + len - done, v0, v1);
  }
  x = hashLen16(x, v0);
  y = hashLen16(y, w0);
  return [add(hashLen16(add(x, v1), w1), y), hashLen16(add(x, w1), add(y, v1))];
}

/** CityHash128 (1.0.2) of the bytes, as ClickHouse writes it: low 64 bits, then high, little endian. */
export function cityHash128(data: Buffer): Buffer {
  const len = data.length;
  let lo: bigint;
  let hi: bigint;
  if (len >= 16) [lo, hi] = cityHash128WithSeed(data, 16, len - 16, data.readBigUInt64LE(0) ^ k3, data.readBigUInt64LE(8));
  else if (len >= 8) [lo, hi] = cityHash128WithSeed(data, 0, 0, data.readBigUInt64LE(0) ^ mul(BigInt(len), k0), data.readBigUInt64LE(len - 8) ^ k1);
  else [lo, hi] = cityHash128WithSeed(data, 0, len, k0, k1);
  const out = Buffer.alloc(16);
  out.writeBigUInt64LE(lo, 0);
  out.writeBigUInt64LE(hi, 8);
  return out;
}
