import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { CONTENT_TYPES, ContactEventCodec, DecodeError, SchemaRegistryClient, makeEvent, sniffContentType } from '../src';
import { rabinFingerprint64 } from '../src/fingerprint';
import { canonicalForm, loadSchemaVersions } from '../src/schema';

const answered = makeEvent({
  event_id: 'amzn:ctr:9f1c:answered', tenant_id: 'acme', contact_id: '9f1c', type: 'answered',
  occurred_at: Date.parse('2026-11-22T10:15:03.250Z'), channel: 'voice', direction: 'inbound',
  queue_id: 'billing', agent_id: 'a-17', source: 'amazon_connect', wait_ms: 14250,
  attributes: { region: 'eu' },
});

describe('CRC-64-AVRO fingerprint', () => {
  it('matches the reference values of the Avro specification test suite', () => {
    expect(rabinFingerprint64('"null"')).toBe(7195948357588979594n);
    expect(BigInt.asIntN(64, rabinFingerprint64('"int"'))).toBe(8247732601305521295n);
  });
});

describe('ContactEventCodec', () => {
  const codec = new ContactEventCodec();

  it('round-trips every field, nulls included', () => {
    const full = makeEvent({
      ...answered, type: 'survey_response', survey_kind: 'nps', score: 9, scale_min: 0, scale_max: 10,
      first_response: true, agent_state: 'busy', previous_agent_state: 'available', business_kind: 'purchase',
      amount_minor: 1999, currency: 'EUR',
    });
    expect(codec.decode(codec.encode(full))).toEqual(full);
    expect(codec.decode(codec.encode(answered))).toEqual(answered);
  });

  it('writes the single-object header: C3 01 then the schema fingerprint', () => {
    const buf = codec.encode(answered);
    expect([...buf.subarray(0, 2)]).toEqual([0xc3, 0x01]);
    expect(buf.subarray(2, 10)).toEqual(codec.writer.fingerprint);
  });

  it('rejects bytes that are not single-object Avro, naming the problem', () => {
    expect(() => codec.decode(Buffer.from('{"json":true}'))).toThrow(/magic/);
    expect(() => codec.decode(Buffer.from([0xc3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0]))).toThrow(/unknown writer schema fingerprint/);
    const truncated = codec.encode(answered).subarray(0, 30);
    expect(() => codec.decode(truncated)).toThrow(DecodeError);
  });

  it('decodes messages of an older writer schema into the newest reader', () => {
    const [v1] = loadSchemaVersions();
    const v2Schema = JSON.parse(JSON.stringify(v1!.type.schema({ exportAttrs: true })));
    v2Schema.fields.push({ name: 'sentiment', type: ['null', 'double'], default: null });
    const v2Type = avro.Type.forSchema(v2Schema);
    const v2 = { version: 2, type: v2Type, fingerprint: Buffer.alloc(8) };
    v2.fingerprint.writeBigUInt64LE(rabinFingerprint64(canonicalForm(v2Type)));
    const newReader = new ContactEventCodec([v1!, v2]);
    const oldWriter = new ContactEventCodec([v1!]);
    const decoded = newReader.decode(oldWriter.encode(answered)) as unknown as Record<string, unknown>;
    expect(decoded.sentiment).toBeNull();
    expect(decoded.wait_ms).toBe(14250);
  });
});

/** The v1 schema with one more optional field: a newer writer a deployed reader has never seen. */
function v2SchemaText(): string {
  const [v1] = loadSchemaVersions();
  const schema = JSON.parse(JSON.stringify(v1!.type.schema({ exportAttrs: true })));
  schema.fields.push({ name: 'sentiment', type: ['null', 'double'], default: null });
  return JSON.stringify(schema);
}

describe('ContactEventCodec, Confluent wire format (docs/events.md)', () => {
  it('writes 00, the schema id as 4 big-endian bytes, then the same Avro body, once given a registry id', () => {
    const single = new ContactEventCodec();
    const confluent = new ContactEventCodec();
    expect(confluent.contentType).toBe(CONTENT_TYPES.singleObject);
    confluent.useSchemaId(0x01020304);
    expect(confluent.contentType).toBe(CONTENT_TYPES.confluent);
    const buf = confluent.encode(answered);
    expect([...buf.subarray(0, 5)]).toEqual([0, 1, 2, 3, 4]);
    expect(buf.subarray(5)).toEqual(single.encode(answered).subarray(10));
    expect(ContactEventCodec.schemaIdOf(buf)).toBe(0x01020304);
    expect(confluent.decode(buf)).toEqual(answered);
  });

  it('a reader decodes both encodings; an id it has not learnt is a DecodeError naming the id', () => {
    const writer = new ContactEventCodec();
    writer.useSchemaId(7);
    const reader = new ContactEventCodec();
    expect(reader.decode(new ContactEventCodec().encode(answered))).toEqual(answered);
    expect(() => reader.decode(writer.encode(answered))).toThrow(/schema id 7 is unknown .*SCHEMA_REGISTRY_URL/);
    reader.addWriterSchema(7, writer.writerSchemaText);
    expect(reader.decode(writer.encode(answered))).toEqual(answered);
  });

  it('resolves a newer writer schema from the registry against its reader schema (the unknown field is skipped)', () => {
    const v2 = avro.Type.forSchema(JSON.parse(v2SchemaText()));
    const body = v2.toBuffer({ ...answered, sentiment: 0.75 });
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 9]), body]);
    const reader = new ContactEventCodec();
    reader.addWriterSchema(9, v2SchemaText());
    expect(reader.decode(framed)).toEqual(answered);
  });

  it('refuses a registered schema it cannot resolve, and bytes that are neither encoding', () => {
    const reader = new ContactEventCodec();
    const other = JSON.stringify({ type: 'record', name: 'ContactEvent', namespace: 'io.switchboard.events.v1', fields: [{ name: 'x', type: 'int' }] });
    expect(() => reader.addWriterSchema(3, other)).toThrow(DecodeError);
    expect(() => reader.addWriterSchema(4, 'not json')).toThrow(/schema id 4 is not an Avro schema/);
    expect(() => reader.decode(Buffer.from([0x01, 0, 0, 0, 1, 2]))).toThrow(/bad magic bytes/);
  });

  it('prepare rejects while the registry cannot be reached, so the caller retries instead of dead-lettering', async () => {
    // a real client against a port nothing listens on
    const reader = new ContactEventCodec(undefined, new SchemaRegistryClient({ url: 'http://127.0.0.1:1', timeoutMs: 2000 }));
    const writer = new ContactEventCodec();
    writer.useSchemaId(11);
    await expect(reader.prepare([writer.encode(answered)])).rejects.toThrow();
    // records in single-object encoding need no registry at all
    await reader.prepare([new ContactEventCodec().encode(answered), null]);
  });
});

describe('sniffContentType (DLQ records that came without a content-type header)', () => {
  it('tells the two Avro encodings, JSON and anything else apart', () => {
    const confluent = new ContactEventCodec();
    confluent.useSchemaId(5);
    expect(sniffContentType(new ContactEventCodec().encode(answered))).toBe(CONTENT_TYPES.singleObject);
    expect(sniffContentType(confluent.encode(answered))).toBe(CONTENT_TYPES.confluent);
    expect(sniffContentType(Buffer.from('{"event_id":"x"}'))).toBe(CONTENT_TYPES.json);
    expect(sniffContentType(Buffer.from('garbage'))).toBe(CONTENT_TYPES.binary);
    expect(sniffContentType(null)).toBe(CONTENT_TYPES.binary);
  });
});
