// CRC-64-AVRO ("Rabin") fingerprint from the Avro specification, the one the single-object
// encoding header carries. avsc only offers crypto hashes, so it is computed here.

const EMPTY = 0xc15d213aa4d7a795n;
const MASK = (1n << 64n) - 1n;

const TABLE: bigint[] = (() => {
  const t: bigint[] = [];
  for (let i = 0; i < 256; i++) {
    let fp = BigInt(i);
    for (let j = 0; j < 8; j++) fp = (fp >> 1n) ^ (EMPTY & -(fp & 1n) & MASK);
    t.push(fp & MASK);
  }
  return t;
})();

export function rabinFingerprint64(text: string): bigint {
  let fp = EMPTY;
  for (const byte of Buffer.from(text, 'utf8')) {
    fp = ((fp >> 8n) ^ TABLE[Number((fp ^ BigInt(byte)) & 0xffn)]!) & MASK;
  }
  return fp;
}

/** The fingerprint as the 8 little-endian bytes the single-object header uses. */
export function rabinFingerprint(text: string): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(rabinFingerprint64(text));
  return b;
}
