import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ContactEvent } from '@switchboard/events';
import type { RawDeadLetter } from '@switchboard/kafka';
import { backfill } from '../src';
import type { BackfillSink } from '../src/backfill';
import { CheckpointStore } from '../src/checkpoint';
import { csvMappingSchema, csvRowToEvent } from '../src/csv-mapping';
import { RateLimiter } from '../src/rate';
import { splitConcatenatedJson } from '../src/records';

const dir = mkdtempSync(join(tmpdir(), 'sb-backfill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-11-20T10:00:00Z');

function ev(i: number, extra: Record<string, unknown> = {}) {
  return { event_id: `e-${i}`, contact_id: `c-${i % 5}`, type: 'queued', occurred_at: new Date(T0 + i * 1000).toISOString(), channel: 'voice', direction: 'inbound', queue_id: 'billing', ...extra };
}

/** Records what Kafka would have acknowledged; `failOnPublish` makes the n-th publish fail like a broker going away. */
function recordingSink(failOnPublish?: number): BackfillSink & { events: ContactEvent[]; letters: RawDeadLetter[]; calls: number } {
  const s = {
    events: [] as ContactEvent[], letters: [] as RawDeadLetter[], calls: 0,
    async publish(e: ContactEvent[]) {
      s.calls++;
      if (s.calls === failOnPublish) throw new Error('broker unreachable');
      s.events.push(...e);
    },
    async deadLetter(l: RawDeadLetter[]) { s.letters.push(...l); },
  };
  return s;
}

describe('backfill of normalized NDJSON', () => {
  const file = join(dir, 'events.ndjson');
  const lines = Array.from({ length: 25 }, (_, i) => JSON.stringify(ev(i)));
  lines.splice(7, 0, '{"not json', JSON.stringify(ev(99, { type: 'answered' })) /* answered without wait_ms */);
  writeFileSync(file, lines.join('\n') + '\n');

  it('publishes the valid events, dead-letters each bad record with its reason, and reports them', async () => {
    const sink = recordingSink();
    const r = await backfill({ paths: [file], format: 'ndjson', tenant: 'acme', rate: 0, checkpoints: null, batchSize: 10 }, sink);
    expect(sink.events.map((e) => e.event_id)).toEqual(Array.from({ length: 25 }, (_, i) => `e-${i}`));
    expect(sink.events.every((e) => e.tenant_id === 'acme' && e.source === 'api')).toBe(true);
    expect(r).toMatchObject({ events: 25, rejected: 2 });
    expect(sink.letters.map((l) => l.reason)).toEqual([
      expect.stringMatching(/^backfill ndjson: not valid JSON/),
      'backfill ndjson: wait_ms required on answered events (time in queue)',
    ]);
    expect(sink.letters[0]!.value).toBe('{"not json');
    expect(sink.letters[1]!.headers).toMatchObject({ 'dlq.adapter.format': 'ndjson', 'dlq.backfill.record': '8' });
  });

  it('refuses events of another tenant than the one named', async () => {
    const other = join(dir, 'other.ndjson');
    writeFileSync(other, JSON.stringify(ev(1, { tenant_id: 'globex' })) + '\n');
    const sink = recordingSink();
    const r = await backfill({ paths: [other], format: 'ndjson', tenant: 'acme', rate: 0, checkpoints: null }, sink);
    expect(r.events).toBe(0);
    expect(sink.letters[0]!.reason).toContain('tenant_id does not match');
  });

  it('resumes after an interruption without skipping a record, and a second run sends nothing', async () => {
    const checkpoints = new CheckpointStore(join(dir, 'cp'));
    const opts = { paths: [file], format: 'ndjson', tenant: 'acme', rate: 0, checkpoints, batchSize: 10 };
    const first = recordingSink(2); // the second batch fails: the broker went away
    await expect(backfill(opts, first)).rejects.toThrow('broker unreachable');
    expect(first.events).toHaveLength(10);
    const second = recordingSink();
    const r = await backfill(opts, second);
    expect(r.files[0]!.resumedFrom).toBeGreaterThan(0);
    // every event reached Kafka at least once across the two runs; none was skipped
    const union = new Set([...first.events, ...second.events].map((e) => e.event_id));
    expect(union.size).toBe(25);
    expect(second.events.map((e) => e.event_id)).not.toContain('e-0');
    const third = recordingSink();
    const again = await backfill(opts, third);
    expect(again.files[0]!.alreadyDone).toBe(true);
    expect(third.events).toEqual([]);
    const restarted = recordingSink();
    await backfill({ ...opts, restart: true }, restarted);
    expect(restarted.events).toHaveLength(25);
  });

  it('reads directories recursively in name order, .json arrays and concatenated values', async () => {
    const d = join(dir, 'tree');
    mkdirSync(join(d, 'b'), { recursive: true });
    writeFileSync(join(d, 'a.json'), JSON.stringify([ev(1), ev(2)]));
    writeFileSync(join(d, 'b', 'c.jsonl'), JSON.stringify(ev(3)) + JSON.stringify(ev(4)) + '\n');
    const sink = recordingSink();
    await backfill({ paths: [d], format: 'ndjson', tenant: 'acme', rate: 0, checkpoints: null }, sink);
    expect(sink.events.map((e) => e.event_id)).toEqual(['e-1', 'e-2', 'e-3', 'e-4']);
  });

  it('knows its formats', async () => {
    await expect(backfill({ paths: [file], format: 'nope', tenant: 'acme', rate: 0, checkpoints: null }, recordingSink())).rejects.toThrow(/unknown format "nope"; known: ndjson, csv/);
  });
});

describe('CSV with a column mapping', () => {
  const mapping = csvMappingSchema.parse({
    fields: {
      contact_id: 'CallId',
      type: { column: 'Event', values: { Q: 'queued', ANS: 'answered', ABN: 'abandoned' } },
      occurred_at: 'Time',
      queue_id: 'Queue',
      wait_ms: { column: 'WaitSeconds', scale: 1000 },
    },
    defaults: { channel: 'voice', direction: 'inbound' },
    attributes: ['Site'],
  });
  const file = join(dir, 'calls.csv');
  writeFileSync(file, 'CallId,Event,Time,Queue,WaitSeconds,Site\n1,Q,2026-11-20T10:00:00Z,billing,,berlin\n1,ANS,2026-11-20T10:00:12.5Z,billing,12.5,berlin\n2,ABN,2026-11-20T10:01:00Z,sales,3,\n3,ANS,2026-11-20T10:02:00Z,sales,,\n');

  it('maps rows to events with units and codes converted, ids stable across runs', async () => {
    const sink = recordingSink();
    const r = await backfill({ paths: [file], format: 'csv', tenant: 'acme', rate: 0, checkpoints: null, csvMapping: mapping }, sink);
    expect(sink.events.map((e) => [e.contact_id, e.type, e.occurred_at, e.queue_id, e.wait_ms, e.source, e.attributes])).toEqual([
      ['1', 'queued', T0, 'billing', null, 'csv', { Site: 'berlin' }],
      ['1', 'answered', T0 + 12_500, 'billing', 12_500, 'csv', { Site: 'berlin' }],
      ['2', 'abandoned', T0 + 60_000, 'sales', 3000, 'csv', {}],
    ]);
    // the last row has no wait: rejected with the reason, not dropped
    expect(r.rejected).toBe(1);
    expect(sink.letters[0]!.reason).toBe('backfill csv: wait_ms required on answered events (time in queue)');
    const again = recordingSink();
    await backfill({ paths: [file], format: 'csv', tenant: 'acme', rate: 0, checkpoints: null, csvMapping: mapping }, again);
    expect(again.events.map((e) => e.event_id)).toEqual(sink.events.map((e) => e.event_id));
    expect(new Set(sink.events.map((e) => e.event_id)).size).toBe(3);
  });

  it('maps a ticket priority column, its codes translated (schema v2, docs/sla.md)', () => {
    const withPriority = csvMappingSchema.parse({ ...mapping, fields: { ...mapping.fields, priority: { column: 'Prio', values: { P1: 'urgent', P2: 'high', P3: 'normal', P4: 'low' } } } });
    const row = { CallId: '9', Event: 'Q', Time: '2026-11-20T10:00:00Z', Queue: 'billing', WaitSeconds: '', Site: '', Prio: 'P1' };
    expect(csvRowToEvent(row, withPriority, 'acme').priority).toBe('urgent');
    expect(csvRowToEvent({ ...row, Prio: '' }, withPriority, 'acme').priority).toBeUndefined();
  });

  it('names a mapped column missing from the file, and mapping mistakes', () => {
    expect(() => csvRowToEvent({ CallId: '1' }, mapping, 'acme')).toThrow('column "Event" (mapped to type) is not in the file');
    const bad = csvMappingSchema.safeParse({ fields: { contact_id: 'a', type: 'b', wait: 'c' } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      expect.stringMatching(/^fields.wait: not a field of the contact event/),
      'fields.occurred_at: must be mapped',
    ]);
  });
});

describe('pieces', () => {
  it('splits concatenated JSON values, ignoring braces inside strings', () => {
    expect(splitConcatenatedJson('{"a":"}{"}{"b":[1,{"c":2}]}')).toEqual(['{"a":"}{"}', '{"b":[1,{"c":2}]}']);
    expect(splitConcatenatedJson('{"a":1}')).toEqual(['{"a":1}']);
    expect(splitConcatenatedJson('{"a":')).toEqual(['{"a":']);
  });

  it('paces by events per second from the start, without waiting when ahead', async () => {
    let clock = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter(1000, async (ms) => { waits.push(ms); clock += ms; }, () => clock);
    await limiter.take(500); // due 500 ms after start
    clock += 200; // publishing took a while
    await limiter.take(500); // due at 1000 ms: 300 ms left
    clock += 2000; // a slow batch puts it behind
    await limiter.take(100); // due at 1100 ms: already late, no wait
    expect(waits).toEqual([500, 300]);
    const unlimited = new RateLimiter(0, async () => { throw new Error('must not wait'); });
    await unlimited.take(1_000_000);
  });
});
