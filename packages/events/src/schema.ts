import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { rabinFingerprint } from './fingerprint.js';

/**
 * Where the versioned .avsc files live: schemas/contact-event/v<N>.avsc at the repo root, or
 * the copy the build puts beside the compiled module (dist/schemas, in the published package).
 */
const HERE = dirname(fileURLToPath(import.meta.url));
export const SCHEMA_DIR = [join(HERE, 'schemas/contact-event'), join(HERE, '../../../schemas/contact-event')].find((d) => existsSync(d)) ?? join(HERE, '../../../schemas/contact-event');

export interface SchemaVersion {
  version: number;
  type: avro.Type;
  /** CRC-64-AVRO of the Parsing Canonical Form, as Avro single-object encoding carries it. */
  fingerprint: Buffer;
}

export function loadSchemaVersions(dir = SCHEMA_DIR): SchemaVersion[] {
  const files = readdirSync(dir).filter((f) => /^v\d+\.avsc$/.test(f));
  return files
    .map((f) => {
      const version = Number(f.slice(1, -5));
      const type = avro.Type.forSchema(JSON.parse(readFileSync(join(dir, f), 'utf8')));
      return { version, type, fingerprint: rabinFingerprint(canonicalForm(type)) };
    })
    .sort((a, b) => a.version - b.version);
}

/** Parsing Canonical Form: avsc's schema() without attributes is exactly that. */
export function canonicalForm(type: avro.Type): string {
  return JSON.stringify(type.schema());
}
