import { describe, expect, it } from 'vitest';
import avro from 'avsc';
import { checkCompatibility } from '../src/compat';
import { loadSchemaVersions, type SchemaVersion } from '../src/schema';

const versions = loadSchemaVersions();
const evolve = (edit: (schema: { fields: Record<string, unknown>[] }) => void): SchemaVersion => {
  const s = JSON.parse(JSON.stringify(versions.at(-1)!.type.schema({ exportAttrs: true })));
  edit(s);
  return { version: versions.at(-1)!.version + 1, type: avro.Type.forSchema(s), fingerprint: Buffer.alloc(8) };
};

describe('schema compatibility (runs over schemas/contact-event/*.avsc)', () => {
  it('the committed versions are mutually readable', () => {
    expect(versions.length).toBeGreaterThan(0);
    expect(checkCompatibility(versions)).toEqual([]);
  });

  it('accepts a new optional field with a default', () => {
    const next = evolve((s) => s.fields.push({ name: 'language', type: ['null', 'string'], default: null }));
    expect(checkCompatibility([...versions, next])).toEqual([]);
  });

  it('refuses a new required field, a removed required field and a changed type', () => {
    const required = evolve((s) => s.fields.push({ name: 'language', type: 'string' }));
    expect(checkCompatibility([...versions, required]).map((p) => p.problem).join('\n')).toMatch(/language/);
    const removed = evolve((s) => { s.fields = s.fields.filter((f) => f.name !== 'contact_id'); });
    expect(checkCompatibility([...versions, removed]).length).toBeGreaterThan(0);
    const changed = evolve((s) => { const f = s.fields.find((x) => x.name === 'event_id')!; f.type = 'long'; });
    expect(checkCompatibility([...versions, changed]).length).toBeGreaterThan(0);
  });
});
