import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// Our patch to kafkajs (patches/kafkajs@2.2.4.patch) writes varints in place and encodes a
// varlong with plain numbers where its zigzag value stays below 2^53, the Long arithmetic
// otherwise; encoders take their buffers from Node's pool. A wrong byte here is a record the
// broker refuses or a timestamp off on every consumer, so each path is checked against BigInt.
const require = createRequire(import.meta.url);
const kafkajsRoot = require.resolve('kafkajs').replace(/index\.js$/, '');
type Enc = { writeVarLong(v: unknown): Enc; writeVarInt(v: number): Enc; writeUVarInt(v: number): Enc; writeInt8(v: number): Enc; buffer: Buffer };
const Encoder = require(`${kafkajsRoot}src/protocol/encoder`) as { new (size?: number): Enc; sizeOfVarLong(v: unknown): number; sizeOfVarInt(v: number): number };
const Decoder = require(`${kafkajsRoot}src/protocol/decoder`) as new (b: Buffer) => { readVarLong(): { toString(): string }; readVarInt(): number };
const Long = require(`${kafkajsRoot}src/utils/long`) as { fromString(s: string): unknown };
const { RecordBatch } = require(`${kafkajsRoot}src/protocol/recordBatch/v0`) as { RecordBatch: (args: Record<string, unknown>) => Promise<{ buffer: Buffer }> };
const Record = require(`${kafkajsRoot}src/protocol/recordBatch/record/v0`) as (args: Record<string, unknown>) => unknown;
const decodeBatch = require(`${kafkajsRoot}src/protocol/recordBatch/v0/decoder`) as (d: unknown) => Promise<{ records: { offset: string; timestamp: string; key: Buffer | null; value: Buffer; headers: Record<string, Buffer> }[] }>;

/** LEB128 of the 64-bit zigzag of v, as Kafka's varlong */
function varLong(v: bigint): number[] {
  let z = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
  const out: number[] = [];
  while (z >= 128n) {
    out.push(Number(z & 127n) | 128);
    z >>= 7n;
  }
  out.push(Number(z));
  return out;
}

const edges = (bits: number[]) => bits.flatMap((b) => [2n ** BigInt(b) - 1n, 2n ** BigInt(b), -(2n ** BigInt(b)), -(2n ** BigInt(b)) + 1n]);

describe('kafkajs record encoding (patched)', () => {
  it('writes every varlong as Kafka does: numbers below 2^52 in magnitude, Longs and larger numbers', () => {
    const values = [0n, 1n, -1n, 63n, -64n, 64n, -65n, ...edges([7, 13, 14, 20, 21, 27, 28, 31, 32, 35, 42, 48, 49, 51, 52, 53, 56, 62]), 2n ** 63n - 1n, -(2n ** 63n)];
    for (const v of values) {
      const want = varLong(v);
      const asNumber = Number(v);
      const inputs: unknown[] = [Long.fromString(String(v))];
      if (Number.isSafeInteger(asNumber)) inputs.push(asNumber);
      for (const input of inputs) {
        const bytes = [...new Encoder().writeVarLong(input).buffer];
        expect(bytes, `varlong ${v} (${typeof input})`).toEqual(want);
        expect(Encoder.sizeOfVarLong(input), `size of ${v} (${typeof input})`).toBe(want.length);
        expect(new Decoder(Buffer.from(bytes)).readVarLong().toString()).toBe(String(v));
      }
    }
  });

  it('writes varints of every length in place, after other fields and across a buffer growing', () => {
    const ints = [0, 1, -1, 63, -64, 64, 8191, -8192, 1_048_575, -1_048_576, 134_217_727, -134_217_728, 2 ** 31 - 1, -(2 ** 31)];
    // a one-byte initial buffer, so nearly every write grows it
    const enc = new Encoder(1);
    const want: number[] = [];
    for (const v of ints) {
      enc.writeInt8(7).writeVarInt(v);
      want.push(7, ...varLong(BigInt(v)));
    }
    expect([...enc.buffer]).toEqual(want);
    const dec = new Decoder(enc.buffer) as unknown as { readInt8(): number; readVarInt(): number };
    for (const v of ints) {
      expect(dec.readInt8()).toBe(7);
      expect(dec.readVarInt()).toBe(v);
    }
  });

  it('round-trips records with keys, headers and timestamp deltas of both signs through a batch', async () => {
    const deltas = [0, 1, -1, 1000, -86_400_000, 2 ** 40, -(2 ** 45)];
    const first = 1_765_000_000_000;
    const batch = await RecordBatch({
      firstOffset: Long.fromString('41'),
      firstTimestamp: Long.fromString(String(first)),
      maxTimestamp: Long.fromString(String(first)),
      lastOffsetDelta: deltas.length - 1,
      records: deltas.map((d, i) => Record({ offsetDelta: i, timestampDelta: d, key: i % 2 ? Buffer.from(`k${i}`) : null, value: Buffer.from('é'.repeat(i * 70)), headers: { h: `x${i}` } })),
    });
    const decoded = await decodeBatch(new Decoder(batch.buffer));
    expect(decoded.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value.toString(), r.headers.h!.toString()])).toEqual(
      deltas.map((d, i) => [String(41 + i), String(first + d), i % 2 ? `k${i}` : null, 'é'.repeat(i * 70), `x${i}`]),
    );
  });
});
