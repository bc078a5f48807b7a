import avro from 'avsc';
type Resolver = ReturnType<avro.Type['createResolver']>;
import { canonicalForm, loadSchemaVersions, type SchemaVersion } from './schema.js';
import { rabinFingerprint } from './fingerprint.js';
import type { ContactEvent } from './types.js';

/** Avro single-object encoding marker (spec: 0xC3 0x01), followed by the 8-byte fingerprint. */
const MAGIC = Buffer.from([0xc3, 0x01]);
const HEADER_LEN = 10;
/** Confluent wire format: magic byte 0, then the registry's schema id as a 4-byte big-endian int. */
const CONFLUENT_MAGIC = 0x00;
const CONFLUENT_HEADER_LEN = 5;

/**
 * The `content-type` header of every record on the event topics (docs/events.md, "Encodings"),
 * naming the encoding so a consumer knows it before it reads a byte.
 */
export const CONTENT_TYPES = {
  /** Avro single-object encoding: C3 01, the 8-byte CRC-64-AVRO fingerprint, the Avro body */
  singleObject: 'application/vnd.switchboard.contact-event.v1+avro',
  /** Confluent wire format: 00, the 4-byte schema id of the registry, the Avro body */
  confluent: 'application/vnd.switchboard.contact-event.v1+avro;encoding=confluent',
  /** a raw JSON body (the DLQ keeps deliveries and records it could not map as they came) */
  json: 'application/json',
  /** anything else the DLQ holds */
  binary: 'application/octet-stream',
} as const;

/** The Kafka header that carries the content type. */
export const CONTENT_TYPE_HEADER = 'content-type';

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** Where a codec finds writer schemas by registry id (a schema registry client). */
export interface WriterSchemaSource {
  /** the schema text registered under `id`, or null when the registry has no such id */
  schemaById(id: number): Promise<string | null>;
}

interface Reader {
  resolver: Resolver | null;
  label: string;
}

/**
 * Encodes with the newest schema and decodes any known writer version into it, so a
 * reader deployed before or after a writer still understands its messages.
 *
 * Two encodings are read (docs/events.md): Avro single-object (writer known by fingerprint,
 * from schemas/contact-event) and the Confluent wire format (writer known by a registry's
 * schema id). Writing uses single-object until `useSchemaId` gives the id the writer schema
 * was registered under. Decoding is synchronous; `prepare` fetches the writer schemas of
 * unknown ids from the registry first (once per id).
 */
export class ContactEventCodec {
  readonly writer: SchemaVersion;
  private readonly readers = new Map<string, Reader>();
  private readonly byId = new Map<number, Reader>();
  private readonly pending = new Map<number, Promise<void>>();
  private schemaId: number | null = null;
  private readonly writerCanonical: string;

  constructor(versions: SchemaVersion[] = loadSchemaVersions(), private readonly source: WriterSchemaSource | null = null) {
    const latest = versions[versions.length - 1];
    if (!latest) throw new Error('no contact-event schema versions found');
    this.writer = latest;
    this.writerCanonical = canonicalForm(latest.type);
    for (const v of versions) {
      const resolver = v === latest ? null : latest.type.createResolver(v.type);
      this.readers.set(v.fingerprint.toString('hex'), { resolver, label: `v${v.version}` });
    }
  }

  /** The schema text to register (the newest version, with its docs). */
  get writerSchemaText(): string {
    return JSON.stringify(this.writer.type.schema({ exportAttrs: true }));
  }

  /** From now on, write the Confluent wire format with this registry id of the writer schema. */
  useSchemaId(id: number): void {
    this.schemaId = id;
    this.byId.set(id, { resolver: null, label: `registry id ${id}` });
  }

  /** The content type of what `encode` writes. */
  get contentType(): string {
    return this.schemaId === null ? CONTENT_TYPES.singleObject : CONTENT_TYPES.confluent;
  }

  encode(event: ContactEvent): Buffer {
    const body = this.writer.type.toBuffer(event);
    if (this.schemaId === null) return Buffer.concat([MAGIC, this.writer.fingerprint, body]);
    const head = Buffer.alloc(CONFLUENT_HEADER_LEN);
    head.writeUInt32BE(this.schemaId, 1);
    return Buffer.concat([head, body]);
  }

  /**
   * Learns the writer schema registered under `id`, resolved against our reader schema
   * (Avro schema resolution: fields added with defaults are filled in, unknown ones skipped).
   * A schema our reader cannot resolve is a DecodeError.
   */
  addWriterSchema(id: number, schemaText: string): void {
    let type: avro.Type;
    try {
      type = avro.Type.forSchema(JSON.parse(schemaText) as avro.Schema);
    } catch (err) {
      throw new DecodeError(`schema id ${id} is not an Avro schema: ${(err as Error).message}`);
    }
    const canonical = canonicalForm(type);
    if (canonical === this.writerCanonical) {
      this.byId.set(id, { resolver: null, label: `registry id ${id}` });
      return;
    }
    const known = this.readers.get(rabinFingerprint(canonical).toString('hex'));
    if (known) {
      this.byId.set(id, { ...known, label: `registry id ${id} (${known.label})` });
      return;
    }
    try {
      this.byId.set(id, { resolver: this.writer.type.createResolver(type), label: `registry id ${id}` });
    } catch (err) {
      throw new DecodeError(`schema id ${id} cannot be read as a contact event: ${(err as Error).message}`);
    }
  }

  /** The registry schema id of a Confluent-framed message, or null for any other bytes. */
  static schemaIdOf(buf: Buffer): number | null {
    return buf.length >= CONFLUENT_HEADER_LEN && buf[0] === CONFLUENT_MAGIC ? buf.readUInt32BE(1) : null;
  }

  /**
   * Fetches the writer schemas of the Confluent-framed messages whose ids are not known yet,
   * so `decode` can read them. An id the registry does not have (or a schema that does not
   * resolve) is left unknown: `decode` then says so. A registry that cannot be reached
   * rejects: the caller retries rather than dead-letter good records.
   */
  async prepare(values: Iterable<Buffer | null | undefined>): Promise<void> {
    const source = this.source;
    if (!source) return;
    const wanted = new Set<number>();
    for (const v of values) {
      const id = v ? ContactEventCodec.schemaIdOf(v) : null;
      if (id !== null && !this.byId.has(id)) wanted.add(id);
    }
    await Promise.all(
      [...wanted].map((id) => {
        let p = this.pending.get(id);
        if (!p) {
          p = source
            .schemaById(id)
            .then((text) => {
              if (text === null) return;
              try {
                this.addWriterSchema(id, text);
              } catch {
                // left unknown: decode names the problem per record
              }
            })
            .finally(() => this.pending.delete(id));
          this.pending.set(id, p);
        }
        return p;
      }),
    );
  }

  decode(buf: Buffer): ContactEvent {
    let reader: Reader | undefined;
    let body: Buffer;
    if (buf.length >= HEADER_LEN && buf[0] === MAGIC[0] && buf[1] === MAGIC[1]) {
      const fp = buf.subarray(2, HEADER_LEN).toString('hex');
      reader = this.readers.get(fp);
      if (!reader) throw new DecodeError(`unknown writer schema fingerprint ${fp}`);
      body = buf.subarray(HEADER_LEN);
    } else if (buf.length > CONFLUENT_HEADER_LEN && buf[0] === CONFLUENT_MAGIC) {
      const id = buf.readUInt32BE(1);
      reader = this.byId.get(id);
      if (!reader) {
        throw new DecodeError(this.source ? `schema id ${id} is not in the schema registry, or does not resolve to a contact event` : `schema id ${id} is unknown (Confluent wire format, and no SCHEMA_REGISTRY_URL is configured)`);
      }
      body = buf.subarray(CONFLUENT_HEADER_LEN);
    } else {
      throw new DecodeError('neither Avro single-object (C3 01) nor Confluent wire format (00 + schema id): bad magic bytes');
    }
    try {
      const value = reader.resolver ? this.writer.type.fromBuffer(body, reader.resolver) : this.writer.type.fromBuffer(body);
      return value as ContactEvent;
    } catch (err) {
      throw new DecodeError(`Avro body does not decode: ${(err as Error).message}`);
    }
  }
}

/**
 * The content type of a record's value from its first bytes, for records that came without
 * the header (written before it existed, or by another producer): the DLQ must say what each
 * of its records holds.
 */
export function sniffContentType(value: Buffer | null): string {
  if (!value || value.length === 0) return CONTENT_TYPES.binary;
  if (value.length >= HEADER_LEN && value[0] === MAGIC[0] && value[1] === MAGIC[1]) return CONTENT_TYPES.singleObject;
  if (value.length > CONFLUENT_HEADER_LEN && value[0] === CONFLUENT_MAGIC) return CONTENT_TYPES.confluent;
  try {
    JSON.parse(value.toString('utf8'));
    return CONTENT_TYPES.json;
  } catch {
    return CONTENT_TYPES.binary;
  }
}
