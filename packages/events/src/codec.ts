import type avro from 'avsc';
type Resolver = ReturnType<avro.Type['createResolver']>;
import { loadSchemaVersions, type SchemaVersion } from './schema';
import type { ContactEvent } from './types';

/** Avro single-object encoding marker (spec: 0xC3 0x01), followed by the 8-byte fingerprint. */
const MAGIC = Buffer.from([0xc3, 0x01]);
const HEADER_LEN = 10;

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * Encodes with the newest schema and decodes any known writer version into it, so a
 * reader deployed before or after a writer still understands its messages.
 */
export class ContactEventCodec {
  readonly writer: SchemaVersion;
  private readonly readers = new Map<string, { resolver: Resolver | null; version: number }>();

  constructor(versions: SchemaVersion[] = loadSchemaVersions()) {
    const latest = versions[versions.length - 1];
    if (!latest) throw new Error('no contact-event schema versions found');
    this.writer = latest;
    for (const v of versions) {
      const resolver = v === latest ? null : latest.type.createResolver(v.type);
      this.readers.set(v.fingerprint.toString('hex'), { resolver, version: v.version });
    }
  }

  encode(event: ContactEvent): Buffer {
    return Buffer.concat([MAGIC, this.writer.fingerprint, this.writer.type.toBuffer(event)]);
  }

  decode(buf: Buffer): ContactEvent {
    if (buf.length < HEADER_LEN || buf[0] !== MAGIC[0] || buf[1] !== MAGIC[1]) {
      throw new DecodeError('not an Avro single-object encoded message (bad magic bytes)');
    }
    const fp = buf.subarray(2, HEADER_LEN).toString('hex');
    const reader = this.readers.get(fp);
    if (!reader) throw new DecodeError(`unknown writer schema fingerprint ${fp}`);
    try {
      const body = buf.subarray(HEADER_LEN);
      const value = reader.resolver
        ? this.writer.type.fromBuffer(body, reader.resolver)
        : this.writer.type.fromBuffer(body);
      return value as ContactEvent;
    } catch (err) {
      throw new DecodeError(`Avro body does not decode: ${(err as Error).message}`);
    }
  }
}
