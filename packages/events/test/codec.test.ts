import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { ContactEventCodec, DecodeError, makeEvent } from '../src';
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
