import { describe, expect, it } from 'vitest';
import { RecordError, type HttpDelivery } from '../src/common';
import { genesysConversationFormat, genesysEndpoint } from '../src/genesys/index';
import { NOW, ctx, expectValid, fixture } from './genesys-helpers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const SECRET = 'gC7v0tQx2u9-shared-token';

const delivery = (body: unknown, headers: Record<string, string | undefined> = { 'x-switchboard-token': SECRET }, contentType = 'application/json'): HttpDelivery => ({
  url: 'https://switchboard.example.com/v1/adapters/genesys',
  method: 'POST',
  headers: { 'content-type': contentType, ...headers },
  rawBody: typeof body === 'string' ? body : JSON.stringify(body),
  contentType,
  now: NOW,
});

const events = () => fixture<Json[]>('detail-events-answered-voice.json');

describe('genesys endpoint: the shared token', () => {
  it('is the Genesys vendor endpoint, taking JSON', () => {
    expect(genesysEndpoint.vendor).toBe('genesys');
    expect(genesysEndpoint.source).toBe('genesys');
    expect(genesysEndpoint.contentTypes).toContain('application/json');
  });

  it('accepts the tenant\'s token in X-Switchboard-Token, whatever the header\'s case', () => {
    expect(genesysEndpoint.verify(delivery(events()[0]), SECRET)).toBeNull();
    expect(genesysEndpoint.verify(delivery(events()[0], { 'X-Switchboard-Token': SECRET }), SECRET)).toBeNull();
  });

  it('refuses a wrong, a missing or an empty token, and a tenant with no token configured', () => {
    expect(genesysEndpoint.verify(delivery(events()[0], { 'x-switchboard-token': 'gC7v0tQx2u9-shared-tokem' }), SECRET)).toBe("X-Switchboard-Token does not match the tenant's Genesys token");
    expect(genesysEndpoint.verify(delivery(events()[0], { 'x-switchboard-token': 'short' }), SECRET)).toBe("X-Switchboard-Token does not match the tenant's Genesys token");
    expect(genesysEndpoint.verify(delivery(events()[0], {}), SECRET)).toBe('missing X-Switchboard-Token header');
    expect(genesysEndpoint.verify(delivery(events()[0], { 'x-switchboard-token': '' }), SECRET)).toBe('missing X-Switchboard-Token header');
    // Authorization is the API key's, not the Genesys token
    expect(genesysEndpoint.verify(delivery(events()[0], { authorization: `Bearer ${SECRET}` }), SECRET)).toBe('missing X-Switchboard-Token header');
    expect(genesysEndpoint.verify(delivery(events()[0], { 'x-switchboard-token': '' }), '')).toBe('no Genesys token is configured for this tenant');
  });
});

describe('genesys endpoint: bodies', () => {
  it('maps one EventBridge event per request (what an API destination sends)', () => {
    const acdEnd = events()[3]!;
    const out = genesysEndpoint.handle(delivery(acdEnd), ctx());
    expect(out.rejected).toEqual([]);
    expect(out.events.map((e) => [e.type, e.wait_ms])).toEqual([['answered', 42_341]]);
  });

  it('maps an array of events with one state, as a relay batches them', () => {
    const out = genesysEndpoint.handle(delivery(events()), ctx());
    expect(out.events.map((e) => e.type)).toEqual(['contact_created', 'queued', 'answered', 'contact_ended', 'wrapup_completed']);
    expect(out.events[4]!.handle_ms).toBe(492_031);
    expect(out.ignored).toBe(1);
    expectValid(out.events);
  });

  it('maps a details query / job page ({conversations: [...]}) as conversation records', () => {
    const page = { conversations: [fixture('answered-voice.json'), fixture('abandoned.json')], cursor: 'abc', dataAvailabilityDate: '2026-11-30T18:00:00.000Z' };
    const out = genesysEndpoint.handle(delivery(page), ctx());
    const direct = [...genesysConversationFormat.map(fixture('answered-voice.json'), ctx()).events, ...genesysConversationFormat.map(fixture('abandoned.json'), ctx()).events];
    expect(out).toEqual({ events: direct, ignored: 0, rejected: [] });
  });

  it('maps JSON lines of either kind', () => {
    const body = [JSON.stringify(fixture('abandoned.json')), JSON.stringify(events()[2]), ''].join('\n');
    const out = genesysEndpoint.handle(delivery(body, undefined, 'application/x-ndjson'), ctx());
    expect(out.events.map((e) => e.type)).toEqual(['contact_created', 'queued', 'abandoned', 'queued']);
  });

  it('rejects the records it cannot map, by position, and keeps the rest', () => {
    const broken = structuredClone(events()[3]!);
    delete broken.detail.eventBody.acdOutcome;
    const out = genesysEndpoint.handle(delivery([events()[2], broken, { hello: 'world' }, events()[4]]), ctx());
    expect(out.events.map((e) => e.type)).toEqual(['queued', 'contact_ended']);
    expect(out.rejected).toEqual([
      { index: 1, reason: 'eventBody.acdOutcome: required (ANSWERED, ABANDON or FLOW_OUT)' },
      { index: 2, reason: 'neither a Genesys detail event ({topicName, eventBody} or EventBridge) nor a conversation detail record' },
    ]);
    expect(genesysEndpoint.reply(delivery([]), out)).toEqual({ status: 202, body: { accepted: 2, ignored: 0, rejected: out.rejected } });
  });

  it('throws RecordError (400) for a body that is not JSON at all', () => {
    expect(() => genesysEndpoint.handle(delivery('<xml/>'), ctx())).toThrow(RecordError);
    expect(() => genesysEndpoint.handle(delivery('{"topicName": '), ctx())).toThrow(new RecordError('body: not JSON (an event, an array, {"conversations": [...]}, or JSON lines)'));
    expect(() => genesysEndpoint.handle(delivery('  '), ctx())).toThrow(new RecordError('body: empty'));
  });

  it('answers 202 with what it accepted', () => {
    const out = genesysEndpoint.handle(delivery(events()), ctx());
    expect(genesysEndpoint.reply(delivery(events()), out)).toEqual({ status: 202, body: { accepted: 5, ignored: 1, rejected: [] } });
  });
});
