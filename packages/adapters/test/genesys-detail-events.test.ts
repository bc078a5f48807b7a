import { describe, expect, it } from 'vitest';
import type { ContactEvent } from '@switchboard/events';
import { RecordError, mapRecords, pseudonymize, type MapContext } from '../src/common';
import { genesysConversationFormat, genesysDetailEventFormat } from '../src/genesys/index';
import { TENANT, at, ctx, ev, expectValid, fixture } from './genesys-helpers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const clone = <T>(x: T): T => structuredClone(x);

const C1 = 'c02f630c-bf00-5d94-b14b-453d8645dfed';
const ACD = 'd3b7e4bd-c824-516d-9016-8f2d7d0e3849';
const AGENT = 'a4d4e0de-d051-5346-9b8d-ce79e6af4686';
const BILLING = '88022182-3023-58ba-83ab-25b4ce2c39db';
const JANE = 'df8ed22e-5bcb-548e-9629-e96416687264';
const WRAP = 'ea8ed8b6-c780-5dfd-bda7-552c2091d7af';
const c1 = { contact_id: C1, channel: 'voice', direction: 'inbound', customer_id: pseudonymize(TENANT, '+13175550142') } as const;

// the detail events of conversation 1 (see genesys.test.ts): customer.start, flow.start,
// acd.start, acd.end, user.end, acw — notifications and EventBridge events mixed
const raw = () => fixture<Json[]>('detail-events-answered-voice.json');
const byKind = (kind: string): Json => clone(raw().find((e) => String(e.topicName ?? e.detail.topicName).endsWith(`.${kind}`))!);
const bodyOf = (e: Json): Json => (e.detail ? e.detail.eventBody : e.eventBody);
const EXPECTED: ContactEvent[] = [
  ev({ ...c1, event_id: `genesys:${C1}:created`, type: 'contact_created', occurred_at: at('2026-11-30T09:14:02.118Z') }),
  ev({ ...c1, event_id: `genesys:${C1}:${ACD}:queued`, type: 'queued', occurred_at: at('2026-11-30T09:14:40.530Z'), queue_id: BILLING }),
  ev({ ...c1, event_id: `genesys:${C1}:${ACD}:answered`, type: 'answered', occurred_at: at('2026-11-30T09:15:22.871Z'), queue_id: BILLING, agent_id: JANE, wait_ms: 42_341 }),
  ev({
    ...c1, event_id: `genesys:${C1}:${AGENT}:ended`, type: 'contact_ended', occurred_at: at('2026-11-30T09:22:36.902Z'),
    queue_id: BILLING, agent_id: JANE, talk_ms: 399_031, hold_ms: 35_000,
  }),
  ev({
    ...c1, event_id: `genesys:${C1}:${AGENT}:wrapup`, type: 'wrapup_completed', occurred_at: at('2026-11-30T09:23:34.902Z'),
    queue_id: BILLING, agent_id: JANE, acw_ms: 58_000, handle_ms: 492_031, resolution_code: WRAP,
  }),
];

const run = (records: unknown[], c: MapContext = ctx()) => mapRecords(genesysDetailEventFormat, records, c);
const one = (record: unknown, c: MapContext = ctx()) => genesysDetailEventFormat.map(record, c);

describe('genesys-detail-event: one answered call', () => {
  it('maps customer.start, acd.start, acd.end, user.end and acw; flow.start feeds nothing', () => {
    const out = run(raw());
    expect(out).toEqual({ events: EXPECTED, ignored: 1, rejected: [] });
    expectValid(out.events);
  });

  it('names each fact as the conversation record does, so a tenant sending both counts it once', () => {
    const fromRecord = new Map(genesysConversationFormat.map(fixture('answered-voice.json'), ctx()).events.map((e) => [e.event_id, e]));
    const fromEvents = run(raw()).events;
    expect(fromEvents.map((e) => e.event_id).every((id) => fromRecord.has(id))).toBe(true);
    // the events carry no team; everything else agrees
    for (const e of fromEvents) expect(e).toEqual({ ...fromRecord.get(e.event_id)!, team_id: null });
  });

  it('reads a notification and an EventBridge event alike', () => {
    const asNotification = raw().map((e) => (e.detail ? { topicName: e.detail.topicName, version: '2', eventBody: e.detail.eventBody, metadata: e.detail.metadata } : e));
    const asEventBridge = raw().map((e) => (e.detail ? e : {
      version: '0', id: 'x', 'detail-type': String(e.topicName).replace(C1, '{id}'), source: 'aws.partner/genesys.com/cloud/org/switchboard',
      account: '123456789012', time: '2026-11-30T09:30:00Z', region: 'us-east-1', resources: [], detail: { ...e },
    }));
    expect(run(asNotification).events).toEqual(EXPECTED);
    expect(run(asEventBridge).events).toEqual(EXPECTED);
  });

  it('reads enums in either casing (ANSWERED / answered, VOICE / voice, INBOUND / inbound)', () => {
    const lower = raw().map((e) => {
      const b = bodyOf(e);
      for (const k of ['mediaType', 'direction', 'acdOutcome', 'disconnectType']) if (typeof b[k] === 'string') b[k] = b[k].toLowerCase();
      return e;
    });
    expect(run(lower).events).toEqual(EXPECTED);
  });
});

describe('genesys-detail-event: duplicates and disorder', () => {
  it('a redelivered event maps to the same event id and values', () => {
    const c = ctx();
    const first = one(byKind('user.end'), c);
    expect(one(byKind('user.end'), c)).toEqual(first);
    expect(first.events).toEqual([EXPECTED[3]]);
    // the session's talk and hold stay remembered, so a redelivered acw keeps its handle time
    expect(one(byKind('acw'), c).events).toEqual([EXPECTED[4]]);
    expect(one(byKind('acw'), c).events).toEqual([EXPECTED[4]]);
  });

  it('acd.end before its acd.start: the wait comes from connectedDurationMs, queued still follows', () => {
    expect(run([byKind('acd.end'), byKind('acd.start')]).events).toEqual([EXPECTED[2], EXPECTED[1]]);
  });

  it('without connectedDurationMs the wait is measured from the remembered acd.start', () => {
    const end = byKind('acd.end');
    delete bodyOf(end).connectedDurationMs;
    expect(run([byKind('acd.start'), end]).events[1]).toEqual(EXPECTED[2]);
    // …and with neither (acd.start never seen, e.g. after a restart) the record is refused
    expect(() => one(end)).toThrow(new RecordError('eventBody.connectedDurationMs: required (and no acd.start of this session was seen)'));
  });

  it('an acw whose user.end was not seen (restart) says its handle time is the ACW alone', () => {
    const out = one(byKind('acw'));
    expect(out.events).toEqual([{ ...EXPECTED[4], handle_ms: 58_000, attributes: { handle_ms_basis: 'acw_only' } }]);
    expectValid(out.events);
  });

  it('state is per session: another conversation\'s user.end does not lend its talk time', () => {
    const other = byKind('user.end');
    bodyOf(other).conversationId = 'another-conversation';
    const c = ctx();
    one(other, c);
    expect(one(byKind('acw'), c).events[0]!.handle_ms).toBe(58_000);
  });
});

describe('genesys-detail-event: other media', () => {
  it('a web chat without an address is keyed by its external contact, as the record keys it', () => {
    const chat = fixture<Json>('chat.json');
    const acdSession = chat.participants[1].sessions[0];
    const start = {
      topicName: `v2.detail.events.conversation.${chat.conversationId}.acd.start`,
      eventBody: {
        eventTime: Date.parse(acdSession.segments[0].segmentStart), conversationId: chat.conversationId, participantId: chat.participants[1].participantId,
        sessionId: acdSession.sessionId, mediaType: 'CHAT', direction: 'INBOUND', provider: 'PureCloud Webchat v2', queueId: acdSession.segments[0].queueId,
        conversationExternalContactIds: [chat.participants[0].externalContactId],
      },
    };
    const fromRecord = genesysConversationFormat.map(chat, ctx()).events.find((e) => e.type === 'queued');
    expect(one(start).events).toEqual([fromRecord]);
  });
});

describe('genesys-detail-event: outcomes', () => {
  it('ABANDON is an abandon with its time in queue', () => {
    const e = byKind('acd.end');
    Object.assign(bodyOf(e), { acdOutcome: 'ABANDON', answeredUserId: undefined, disconnectType: 'PEER', connectedDurationMs: 3_200 });
    const out = one(e);
    expect(out.events).toEqual([
      ev({ ...c1, event_id: `genesys:${C1}:${ACD}:abandoned`, type: 'abandoned', occurred_at: at('2026-11-30T09:15:22.871Z'), queue_id: BILLING, wait_ms: 3_200 }),
    ]);
    expectValid(out.events);
  });

  it('FLOW_OUT and UNKNOWN outcomes are offered only: ignored here', () => {
    for (const acdOutcome of ['FLOW_OUT', 'flowOut', 'UNKNOWN']) {
      const e = byKind('acd.end');
      bodyOf(e).acdOutcome = acdOutcome;
      expect(one(e)).toEqual({ events: [], ignored: 1 });
    }
  });

  it('a user.end by transfer is also a transferred; a consult transfer too', () => {
    for (const disconnectType of ['TRANSFER', 'CONSULT_TRANSFER', 'consultTransfer']) {
      const e = byKind('user.end');
      bodyOf(e).disconnectType = disconnectType;
      const out = one(e);
      expect(out.events).toEqual([
        EXPECTED[3],
        ev({ ...c1, event_id: `genesys:${C1}:${AGENT}:transferred`, type: 'transferred', occurred_at: at('2026-11-30T09:22:36.902Z'), queue_id: BILLING, agent_id: JANE }),
      ]);
    }
    const bounced = byKind('user.end');
    bodyOf(bounced).disconnectType = 'NO_ANSWER_TRANSFER';
    expect(one(bounced).events.map((e) => e.type)).toEqual(['contact_ended']);
  });

  it('a user.end of an agent who was only alerted is ignored', () => {
    const e = byKind('user.end');
    Object.assign(bodyOf(e), { interactingDurationMs: 0, heldDurationMs: 0, disconnectType: 'NO_ANSWER_TRANSFER' });
    expect(one(e)).toEqual({ events: [], ignored: 1 });
  });

  it('ignores outbound customer.start, cobrowse sessions, heartbeats and other topics', () => {
    const outbound = byKind('customer.start');
    bodyOf(outbound).direction = 'OUTBOUND';
    const cobrowse = byKind('acd.start');
    bodyOf(cobrowse).mediaType = 'COBROWSE';
    const heartbeat = { topicName: 'channel.metadata', eventBody: { message: 'WebSocket Heartbeat' } };
    const presence = { topicName: `v2.users.${JANE}.presence`, eventBody: { presenceDefinition: { systemPresence: 'Available' } } };
    const attributes = { ...byKind('acd.start'), detail: { ...byKind('acd.start').detail, topicName: `v2.detail.events.conversation.${C1}.attributes` } };
    expect(run([outbound, cobrowse, heartbeat, presence, attributes])).toEqual({ events: [], ignored: 5, rejected: [] });
  });
});

describe('genesys-detail-event: events it cannot map', () => {
  const reason = (record: unknown) => {
    try {
      one(record);
    } catch (e) {
      if (e instanceof RecordError) return e.reason;
      throw e;
    }
    return 'mapped';
  };
  const withBody = (kind: string, f: (b: Json) => void) => {
    const e = byKind(kind);
    f(bodyOf(e));
    return e;
  };

  it('names the missing field', () => {
    expect(reason({ eventBody: {} })).toBe('topicName: required (a notification {topicName, eventBody} or an EventBridge event {detail-type, detail})');
    expect(reason({ topicName: `v2.detail.events.conversation.${C1}.acd.end` })).toBe('eventBody: must be an object');
    expect(reason(withBody('acd.end', (b) => delete b.eventTime))).toBe('eventBody.eventTime: missing or not a timestamp');
    expect(reason(withBody('acd.end', (b) => delete b.sessionId))).toBe('eventBody.sessionId: required');
    expect(reason(withBody('acd.end', (b) => delete b.acdOutcome))).toBe('eventBody.acdOutcome: required (ANSWERED, ABANDON or FLOW_OUT)');
    expect(reason(withBody('acd.end', (b) => delete b.mediaType))).toBe('eventBody.mediaType: required');
    expect(reason(withBody('acd.end', (b) => delete b.direction))).toBe('eventBody.direction: required (INBOUND or OUTBOUND)');
    expect(reason(withBody('acw', (b) => delete b.wrapupDurationMs))).toBe('eventBody.wrapupDurationMs: must be a non-negative number of milliseconds');
    expect(reason(withBody('user.end', (b) => (b.interactingDurationMs = -5)))).toBe('eventBody.interactingDurationMs: must be a non-negative number of milliseconds');
  });

  it('takes the conversation id from the topic when the body lacks it', () => {
    const e = withBody('acd.start', (b) => delete b.conversationId);
    expect(one(e).events).toEqual([EXPECTED[1]]);
    // EventBridge's detail-type says {id}: with no topicName nor body id there is nothing to go on
    const bare = { 'detail-type': 'v2.detail.events.conversation.{id}.acd.start', source: 'aws.partner/genesys.com', detail: { eventBody: bodyOf(e) } };
    expect(reason(bare)).toBe('eventBody.conversationId: required');
  });
});
