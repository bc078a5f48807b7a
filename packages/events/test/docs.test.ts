import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rabinFingerprint64 } from '../src/fingerprint';
import { SCHEMA_DIR, canonicalForm, loadSchemaVersions } from '../src/schema';

// docs/events.md publishes the schema's fingerprint and field list for readers outside the
// project; this keeps the page and schemas/contact-event in step.
const doc = readFileSync(join(SCHEMA_DIR, '../../docs/events.md'), 'utf8');
const newest = loadSchemaVersions().at(-1)!;

describe('docs/events.md', () => {
  it('states the newest schema’s CRC-64-AVRO fingerprint, as a number and as the header’s little-endian bytes', () => {
    const fp = rabinFingerprint64(canonicalForm(newest.type));
    expect(doc).toContain(`\`0x${fp.toString(16).padStart(16, '0')}\``);
    const bytes = [...newest.fingerprint].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    expect(doc).toContain(`\`${bytes}\``);
  });

  it('lists the schema’s fields in schema order', () => {
    const section = doc.slice(doc.indexOf('## The schema'), doc.indexOf('## Encodings'));
    const listed = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]);
    const fields = (newest.type.schema() as { fields: { name: string }[] }).fields.map((f) => f.name);
    expect(listed).toEqual(fields);
  });
});
