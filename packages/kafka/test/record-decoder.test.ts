import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// Our patch to kafkajs (patches/kafkajs@2.2.4.patch) decodes a record's offset and timestamp with
// plain numbers where they are exact, the Long arithmetic otherwise. An offset wrong by one
// would commit past a record or read one twice, so every path is checked against BigInt.
const require = createRequire(import.meta.url);
const kafkajsRoot = require.resolve('kafkajs').replace(/index\.js$/, '');
const { RecordBatch } = require(`${kafkajsRoot}src/protocol/recordBatch/v0`) as { RecordBatch: (args: Record<string, unknown>) => Promise<{ buffer: Buffer }> };
const Record = require(`${kafkajsRoot}src/protocol/recordBatch/record/v0`) as (args: Record<string, unknown>) => unknown;
const decodeBatch = require(`${kafkajsRoot}src/protocol/recordBatch/v0/decoder`) as (d: unknown) => Promise<{ records: { offset: string; timestamp: string; value: Buffer }[] }>;
const Decoder = require(`${kafkajsRoot}src/protocol/decoder`) as new (b: Buffer) => unknown;
const Long = require(`${kafkajsRoot}src/utils/long`) as { fromString(s: string): unknown };

async function roundTrip(firstOffset: bigint, firstTimestamp: bigint, deltas: { offset: number; timestamp: bigint }[]) {
  const batch = await RecordBatch({
    firstOffset: Long.fromString(String(firstOffset)),
    firstTimestamp: Long.fromString(String(firstTimestamp)),
    maxTimestamp: Long.fromString(String(firstTimestamp)),
    lastOffsetDelta: deltas.at(-1)!.offset,
    records: deltas.map((d, i) => Record({ offsetDelta: d.offset, timestampDelta: Long.fromString(String(d.timestamp)), key: null, value: Buffer.from(`v${i}`) })),
  });
  // a fetch response holds the batch after its first offset and length, as RecordBatch writes them
  const decoded = await decodeBatch(new Decoder(batch.buffer));
  return decoded.records.map((r) => [r.offset, r.timestamp, r.value.toString()]);
}

const want = (firstOffset: bigint, firstTimestamp: bigint, deltas: { offset: number; timestamp: bigint }[]) =>
  deltas.map((d, i) => [String(firstOffset + BigInt(d.offset)), String(firstTimestamp + d.timestamp), `v${i}`]);

describe('kafkajs record decoding (patched)', () => {
  it('gives exact offsets and timestamps for ordinary batches, deltas of every varint length and sign', async () => {
    const deltas = [0n, 1n, -1n, 63n, -64n, 64n, 8191n, -8192n, 1_048_575n, 134_217_727n, 2n ** 35n, -(2n ** 40n), 2n ** 47n - 1n, -(2n ** 47n)]
      .map((timestamp, i) => ({ offset: i * 1000, timestamp }));
    for (const [offset, ts] of [[0n, 1_765_000_000_000n], [123_456_789n, 0n], [2n ** 40n, 1_765_000_000_123n]] as const) {
      expect(await roundTrip(offset, ts, deltas)).toEqual(want(offset, ts, deltas));
    }
  });

  it('takes the exact Long path past 2^53 and for deltas beyond 48 bits', async () => {
    const near = 2n ** 53n - 2n;
    const deltas = [0, 1, 2, 3, 1000].map((offset) => ({ offset, timestamp: BigInt(offset) }));
    expect(await roundTrip(near, near, deltas)).toEqual(want(near, near, deltas));
    const huge = [2n ** 48n, -(2n ** 48n) - 1n, 2n ** 60n, -(2n ** 62n)].map((timestamp, i) => ({ offset: i, timestamp }));
    expect(await roundTrip(5n, 1_765_000_000_000n, huge)).toEqual(want(5n, 1_765_000_000_000n, huge));
  });
});
