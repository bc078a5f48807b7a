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

describe('v2 (the optional priority)', () => {
  const v1 = versions.find((v) => v.version === 1)!;
  const v2 = versions.find((v) => v.version === 2)!;
  const event = {
    event_id: 'e1', tenant_id: 't', contact_id: 'c', type: 'resolved', occurred_at: 1, channel: 'email', direction: 'inbound',
    queue_id: null, agent_id: null, team_id: null, customer_id: null, topic: null, resolution_code: null, source: 'api',
    wait_ms: null, response_ms: null, first_response: null, talk_ms: null, hold_ms: null, acw_ms: null, handle_ms: null, resolution_ms: null,
    survey_kind: null, score: null, scale_min: null, scale_max: null, max_score: null, agent_state: null, previous_agent_state: null,
    previous_state_ms: null, business_kind: null, amount_minor: null, currency: null, attributes: {},
  };

  it('a v2 reader reads a v1 record with no priority, a v1 reader skips a v2 record\'s priority', () => {
    expect(v2.type.fromBuffer(v1.type.toBuffer(event), v2.type.createResolver(v1.type))).toMatchObject({ event_id: 'e1', priority: null });
    const read = v1.type.fromBuffer(v2.type.toBuffer({ ...event, priority: 'urgent' }), v1.type.createResolver(v2.type)) as Record<string, unknown>;
    expect(read.event_id).toBe('e1');
    expect('priority' in read).toBe(false);
  });
});
