import { describe, expect, it } from 'vitest';
import type { ContactEvent } from '@switchboard/events';
import { mapRecords } from '../src/common';
import { genesysConversationFormat, genesysEndpoint } from '../src/genesys/index';
import { NOW, ctx, expectValid, fixtureText } from './genesys-helpers';

// 48 conversation detail records of 2026-12-01 08:00–13:00 UTC, one per line as a details job
// returns them (see docs/adapters/genesys.md for what the day holds)
const lines = fixtureText('sample-day.jsonl').split('\n').filter((l) => l.trim() !== '');
const records = lines.map((l) => JSON.parse(l) as unknown);
const countBy = (es: ContactEvent[], f: (e: ContactEvent) => string) => es.reduce<Record<string, number>>((m, e) => ({ ...m, [f(e)]: (m[f(e)] ?? 0) + 1 }), {});

describe('genesys sample day', () => {
  const out = mapRecords(genesysConversationFormat, records, ctx());

  it('maps every record without a rejection', () => {
    expect(records).toHaveLength(48);
    expect(out.rejected).toEqual([]);
    expect(out.ignored).toBe(0);
  });

  it('yields the expected events by type', () => {
    expect(countBy(out.events, (e) => e.type)).toEqual({
      contact_created: 45, queued: 48, answered: 40, abandoned: 7, transferred: 3,
      contact_ended: 42, wrapup_completed: 42, agent_message: 26, survey_response: 9,
    });
    expect(out.events.filter((e) => e.type === 'abandoned' && e.wait_ms! < 5_000)).toHaveLength(2);
    expect(out.events.filter((e) => e.type === 'contact_ended' && e.hold_ms! > 0)).toHaveLength(8);
    expect(countBy(out.events.filter((e) => e.type === 'queued'), (e) => e.channel)).toEqual({ voice: 36, chat: 6, email: 3, messaging: 2, sms: 1 });
    expect(Object.values(countBy(out.events.filter((e) => e.type === 'queued'), (e) => e.queue_id!)).sort((a, b) => a - b)).toEqual([4, 10, 16, 18]);
    expect(countBy(out.events, (e) => e.direction)).toEqual({ inbound: 256, outbound: 6 });
  });

  it('every event validates, ids are unique, and the day stays in its hours', () => {
    expectValid(out.events);
    expect(new Set(out.events.map((e) => e.event_id)).size).toBe(out.events.length);
    for (const e of out.events) {
      expect(e.occurred_at).toBeGreaterThanOrEqual(Date.parse('2026-12-01T08:00:00Z'));
      expect(e.occurred_at).toBeLessThan(Date.parse('2026-12-01T14:00:00Z'));
      expect(e.occurred_at).toBeLessThan(NOW);
    }
  });

  it('a backfill run twice, or the same page posted to the route, gives the same events', () => {
    expect(mapRecords(genesysConversationFormat, records, ctx()).events).toEqual(out.events);
    const viaRoute = genesysEndpoint.handle(
      { url: 'https://sb.example.com/v1/adapters/genesys', method: 'POST', headers: {}, rawBody: JSON.stringify({ conversations: records }), contentType: 'application/json', now: NOW },
      ctx(),
    );
    expect(viaRoute).toEqual(out);
  });
});
