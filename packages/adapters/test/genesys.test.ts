import { describe, expect, it } from 'vitest';
import { RecordError, pseudonymize } from '../src/common';
import { genesysConversationFormat, genesysFormats } from '../src/genesys/index';
import { TENANT, at, ctx, ev, expectValid, fixture } from './genesys-helpers';

const map = (record: unknown, options?: Record<string, unknown>) => genesysConversationFormat.map(record, ctx(options));
const clone = <T>(x: T): T => structuredClone(x);
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const BILLING = '88022182-3023-58ba-83ab-25b4ce2c39db';
const TECH = '1afa1ec5-1d3d-5a0d-9819-57e89ab77bbc';
const SALES = 'c98cedc2-4b54-53d1-90e4-79fd29554d5b';
const RETENTION = 'cdf34e5f-5289-544b-8ebf-970e2840acc6';
const NORTH = '85786e12-6234-5fc9-9069-441c2ca5434e';
const SOUTH = 'bd83c6a4-e41d-5a2b-be66-b246193e237e';
const JANE = 'df8ed22e-5bcb-548e-9629-e96416687264';
const OMAR = 'cce518a3-dc6d-5905-b0a5-748fd367e71d';
const LI = '0b60ab3d-7aba-55f4-a501-7551b722aecf';
const ANA = '5aedce1f-867e-5d69-989f-e0b985357f6c';
const TOM = '909847e8-eec4-52f2-9775-b00772f18815';
const WRAP_BILLING_Q = 'ea8ed8b6-c780-5dfd-bda7-552c2091d7af';
const WRAP_FOLLOW_UP = '3ea31a3c-df42-5585-8738-123a3155038a';
const WRAP_RESOLVED = '2dc8e73f-d8c2-596f-9017-b042b6cba4a1';
const WRAP_SALE = '6c7176b1-d630-5d9c-ba06-d60c23e41824';

// conversation 1: IVR, 42.3 s in Billing, Jane talks 399 s with one 35 s hold, 58 s ACW, NPS 9
const C1 = 'c02f630c-bf00-5d94-b14b-453d8645dfed';
const C1_ACD = 'd3b7e4bd-c824-516d-9016-8f2d7d0e3849';
const C1_AGENT = 'a4d4e0de-d051-5346-9b8d-ce79e6af4686';
const C1_CUSTOMER = pseudonymize(TENANT, '+13175550142');
const c1 = { contact_id: C1, channel: 'voice', direction: 'inbound', customer_id: C1_CUSTOMER } as const;
const C1_EVENTS = [
  ev({ ...c1, event_id: `genesys:${C1}:created`, type: 'contact_created', occurred_at: at('2026-11-30T09:14:02.118Z') }),
  ev({ ...c1, event_id: `genesys:${C1}:${C1_ACD}:queued`, type: 'queued', occurred_at: at('2026-11-30T09:14:40.530Z'), queue_id: BILLING }),
  ev({
    ...c1, event_id: `genesys:${C1}:${C1_ACD}:answered`, type: 'answered', occurred_at: at('2026-11-30T09:15:22.871Z'),
    queue_id: BILLING, agent_id: JANE, team_id: NORTH, wait_ms: 42_341,
  }),
  ev({
    ...c1, event_id: `genesys:${C1}:${C1_AGENT}:ended`, type: 'contact_ended', occurred_at: at('2026-11-30T09:22:36.902Z'),
    queue_id: BILLING, agent_id: JANE, team_id: NORTH, talk_ms: 399_031, hold_ms: 35_000,
  }),
  ev({
    ...c1, event_id: `genesys:${C1}:${C1_AGENT}:wrapup`, type: 'wrapup_completed', occurred_at: at('2026-11-30T09:23:34.902Z'),
    queue_id: BILLING, agent_id: JANE, team_id: NORTH, acw_ms: 58_000, handle_ms: 399_031 + 35_000 + 58_000, resolution_code: WRAP_BILLING_Q,
  }),
  ev({
    ...c1, event_id: `genesys:${C1}:survey:76dcdaef-6560-55b1-aa15-bb26ef4fe733`, type: 'survey_response', occurred_at: at('2026-11-30T09:31:12.000Z'),
    queue_id: BILLING, agent_id: JANE, survey_kind: 'nps', score: 9, scale_min: 0, scale_max: 10,
  }),
];

describe('genesys formats', () => {
  it('exports the conversation record and the detail event format under their backfill names', () => {
    expect(genesysFormats.map((f) => [f.name, f.vendor, f.source])).toEqual([
      ['genesys-conversation', 'genesys', 'genesys'],
      ['genesys-detail-event', 'genesys', 'genesys'],
    ]);
  });
});

describe('genesys-conversation: an answered voice call with hold, ACW and a survey', () => {
  it('maps to created, queued, answered, contact_ended, wrapup_completed and the NPS answer', () => {
    const r = map(fixture('answered-voice.json'));
    expect(r).toEqual({ events: C1_EVENTS, ignored: 0 });
    expectValid(r.events);
  });

  it('never carries the caller\'s number; the tel: scheme does not change the key', () => {
    const r = map(fixture('answered-voice.json'));
    expect(JSON.stringify(r.events)).not.toContain('5550142');
    const bare = clone(fixture<Json>('answered-voice.json'));
    bare.participants[0].sessions[0].ani = '+13175550142';
    expect(map(bare).events[0]!.customer_id).toBe(C1_CUSTOMER);
  });

  it('reads queue and wrap-up code names from the options when the tenant maps them', () => {
    const r = map(fixture('answered-voice.json'), { queueNames: { [BILLING]: 'billing' }, wrapupCodeNames: { [WRAP_BILLING_Q]: 'billing-question' } });
    expect(r.events.map((e) => [e.type, e.queue_id, e.resolution_code])).toEqual([
      ['contact_created', null, null], ['queued', 'billing', null], ['answered', 'billing', null],
      ['contact_ended', 'billing', null], ['wrapup_completed', 'billing', 'billing-question'], ['survey_response', 'billing', null],
    ]);
  });

  it('ignores fields it does not use, known or invented', () => {
    const rec = clone(fixture<Json>('answered-voice.json'));
    rec.someFutureField = { nested: [1, 2, 3] };
    rec.participants[3].sessions[0].agentAssistantId = 'x';
    rec.participants[3].sessions[0].segments[1].properties = [{ property: 'p', value: 'v' }];
    rec.participants[3].sessions[0].metrics.push({ name: 'tSomethingNew', value: 5, emitDate: '2026-11-30T09:16:00.000Z' });
    expect(map(rec).events).toEqual(C1_EVENTS);
  });

  it('reads enums in either casing (VOICE / INBOUND / Interact / WRAPUP)', () => {
    const rec = clone(fixture<Json>('answered-voice.json'));
    rec.originatingDirection = 'INBOUND';
    for (const p of rec.participants) {
      p.purpose = String(p.purpose).toUpperCase();
      for (const s of p.sessions) {
        s.mediaType = 'VOICE';
        for (const g of s.segments) {
          g.segmentType = String(g.segmentType).toUpperCase();
          if (g.disconnectType) g.disconnectType = String(g.disconnectType).toUpperCase();
        }
      }
    }
    rec.surveys[0].surveyStatus = 'FINISHED';
    expect(map(rec).events).toEqual(C1_EVENTS);
  });
});

describe('genesys-conversation: upserts until the conversation ends', () => {
  it('an in-progress record yields only what is final, with the ids and values of the final record', () => {
    const partial = map(fixture('answered-voice-in-progress.json'));
    expect(partial).toEqual({ events: C1_EVENTS.slice(0, 3), ignored: 0 });
    expectValid(partial.events);
  });

  it('a re-sent record maps to the very same events (the aggregator keeps the first of each id)', () => {
    const rec = fixture('answered-voice.json');
    expect(map(rec)).toEqual(map(clone(rec)));
  });

  it('waits for the wrap-up segment to end before wrapup_completed', () => {
    const rec = clone(fixture<Json>('answered-voice.json'));
    delete rec.conversationEnd;
    const s = rec.participants[3].sessions[0];
    delete s.segments[4].segmentEnd;
    s.metrics = s.metrics.filter((m: Json) => m.name !== 'tAcw' && m.name !== 'tHandle');
    delete rec.surveys;
    expect(map(rec).events).toEqual(C1_EVENTS.slice(0, 4));
  });
});

describe('genesys-conversation: abandoned, flow-out', () => {
  const C2 = '22c54371-2e02-54b3-b108-1912e3d0f2b0';
  const C2_ACD = '6686ccba-332e-5176-b0e5-f4934cf6a620';
  const c2 = { contact_id: C2, channel: 'voice', direction: 'inbound', customer_id: pseudonymize(TENANT, '+13175550178') } as const;
  const C2_EVENTS = [
    ev({ ...c2, event_id: `genesys:${C2}:created`, type: 'contact_created', occurred_at: at('2026-11-30T10:02:11.480Z') }),
    ev({ ...c2, event_id: `genesys:${C2}:${C2_ACD}:queued`, type: 'queued', occurred_at: at('2026-11-30T10:02:39.120Z'), queue_id: BILLING }),
    ev({ ...c2, event_id: `genesys:${C2}:${C2_ACD}:abandoned`, type: 'abandoned', occurred_at: at('2026-11-30T10:03:06.570Z'), queue_id: BILLING, wait_ms: 27_450 }),
  ];

  it('an abandon in queue carries tAbandon as its wait', () => {
    const r = map(fixture('abandoned.json'));
    expect(r).toEqual({ events: C2_EVENTS, ignored: 0 });
    expectValid(r.events);
  });

  it('without tAbandon (metrics left out of the export) the customer\'s disconnect in queue is the abandon', () => {
    const rec = clone(fixture<Json>('abandoned.json'));
    rec.participants[2].sessions[0].metrics = [];
    expect(map(rec).events).toEqual(C2_EVENTS);
  });

  it('a flow-out is offered (queued) but neither answered nor abandoned', () => {
    const C5 = '5be8c1b2-cc54-56de-a460-d51dcacf091b';
    const c5 = { contact_id: C5, channel: 'voice', direction: 'inbound', customer_id: pseudonymize(TENANT, '+13175550111') } as const;
    const r = map(fixture('flow-out.json'));
    expect(r).toEqual({
      events: [
        ev({ ...c5, event_id: `genesys:${C5}:created`, type: 'contact_created', occurred_at: at('2026-11-30T14:05:00.000Z') }),
        ev({ ...c5, event_id: `genesys:${C5}:1184a27c-c31f-56ed-9e14-e80b79bad206:queued`, type: 'queued', occurred_at: at('2026-11-30T14:05:30.000Z'), queue_id: RETENTION }),
      ],
      ignored: 0,
    });
    expectValid(r.events);
  });
});

describe('genesys-conversation: a web chat', () => {
  it('maps the chat, and each tAgentResponseTime to an agent_message (the earliest is the first response)', () => {
    const C3 = 'c403c66f-991b-521c-99d9-759fa59221dc';
    const ACD = '91fa196e-fa89-58c5-bbd7-127b59f85380';
    const AGENT = '56b2b7ae-233c-5927-aa89-63e907dc0dc2';
    // a web chat customer has no address: the external contact is the customer key
    const c3 = { contact_id: C3, channel: 'chat', direction: 'inbound', customer_id: pseudonymize(TENANT, '0ccf5294-5ac1-55ec-b2a0-aa42318b38d7') } as const;
    const li = { queue_id: SALES, agent_id: LI, team_id: SOUTH };
    const reply = (iso: string, ms: number, first: boolean) =>
      ev({ ...c3, ...li, event_id: `genesys:${C3}:${AGENT}:msg:${at(iso)}`, type: 'agent_message', occurred_at: at(iso), response_ms: ms, first_response: first });
    const r = map(fixture('chat.json'));
    expect(r).toEqual({
      events: [
        ev({ ...c3, event_id: `genesys:${C3}:created`, type: 'contact_created', occurred_at: at('2026-11-30T11:20:05.386Z') }),
        ev({ ...c3, event_id: `genesys:${C3}:${ACD}:queued`, type: 'queued', occurred_at: at('2026-11-30T11:20:05.388Z'), queue_id: SALES }),
        ev({ ...c3, ...li, event_id: `genesys:${C3}:${ACD}:answered`, type: 'answered', occurred_at: at('2026-11-30T11:20:16.567Z'), wait_ms: 11_179 }),
        reply('2026-11-30T11:20:38.004Z', 21_437, true),
        reply('2026-11-30T11:22:10.250Z', 35_120, false),
        reply('2026-11-30T11:25:02.900Z', 18_044, false),
        ev({ ...c3, ...li, event_id: `genesys:${C3}:${AGENT}:ended`, type: 'contact_ended', occurred_at: at('2026-11-30T11:26:31.130Z'), talk_ms: 374_563, hold_ms: 0 }),
        ev({
          ...c3, ...li, event_id: `genesys:${C3}:${AGENT}:wrapup`, type: 'wrapup_completed', occurred_at: at('2026-11-30T11:27:01.130Z'),
          acw_ms: 30_000, handle_ms: 404_563, resolution_code: WRAP_SALE,
        }),
      ],
      ignored: 0,
    });
    expectValid(r.events);
  });

  it('maps message media to sms or messaging by messageType', () => {
    const rec = clone(fixture<Json>('chat.json'));
    for (const p of rec.participants) for (const s of p.sessions) Object.assign(s, { mediaType: 'message', messageType: 'sms' });
    expect(new Set(map(rec).events.map((e) => e.channel))).toEqual(new Set(['sms']));
    for (const p of rec.participants) for (const s of p.sessions) s.messageType = 'whatsapp';
    expect(new Set(map(rec).events.map((e) => e.channel))).toEqual(new Set(['messaging']));
  });
});

describe('genesys-conversation: a transfer between queues', () => {
  it('keeps one contact_id over both legs: two queue visits, one transfer by the first agent', () => {
    const C4 = '43c30812-31c1-571b-b9e9-d61143bcda53';
    const ACD1 = '215ab7c1-7b3f-5697-b6e6-3400d464a968';
    const OMAR_S = '2242585a-aa1b-540a-80f2-174562297f65';
    const ACD2 = '06635cb2-c0a7-5125-8586-213cdc5302eb';
    const ANA_S = 'ad18796d-25f4-5cdb-bf7f-5f8795e3b1ce';
    const c4 = { contact_id: C4, channel: 'voice', direction: 'inbound', customer_id: pseudonymize(TENANT, '+13175550199') } as const;
    const omar = { queue_id: BILLING, agent_id: OMAR, team_id: NORTH };
    const ana = { queue_id: TECH, agent_id: ANA, team_id: SOUTH };
    const r = map(fixture('transfer.json'));
    expect(r).toEqual({
      events: [
        ev({ ...c4, event_id: `genesys:${C4}:created`, type: 'contact_created', occurred_at: at('2026-11-30T13:40:00.250Z') }),
        ev({ ...c4, event_id: `genesys:${C4}:${ACD1}:queued`, type: 'queued', occurred_at: at('2026-11-30T13:40:21.010Z'), queue_id: BILLING }),
        ev({ ...c4, ...omar, event_id: `genesys:${C4}:${ACD1}:answered`, type: 'answered', occurred_at: at('2026-11-30T13:40:30.000Z'), wait_ms: 8_990 }),
        ev({ ...c4, ...omar, event_id: `genesys:${C4}:${OMAR_S}:ended`, type: 'contact_ended', occurred_at: at('2026-11-30T13:42:05.000Z'), talk_ms: 95_000, hold_ms: 0 }),
        ev({ ...c4, ...omar, event_id: `genesys:${C4}:${OMAR_S}:transferred`, type: 'transferred', occurred_at: at('2026-11-30T13:42:05.000Z') }),
        ev({ ...c4, event_id: `genesys:${C4}:${ACD2}:queued`, type: 'queued', occurred_at: at('2026-11-30T13:42:05.020Z'), queue_id: TECH }),
        ev({
          ...c4, ...omar, event_id: `genesys:${C4}:${OMAR_S}:wrapup`, type: 'wrapup_completed', occurred_at: at('2026-11-30T13:42:17.000Z'),
          acw_ms: 12_000, handle_ms: 107_000, resolution_code: WRAP_FOLLOW_UP,
        }),
        ev({ ...c4, ...ana, event_id: `genesys:${C4}:${ACD2}:answered`, type: 'answered', occurred_at: at('2026-11-30T13:42:36.500Z'), wait_ms: 31_480 }),
        ev({ ...c4, ...ana, event_id: `genesys:${C4}:${ANA_S}:ended`, type: 'contact_ended', occurred_at: at('2026-11-30T13:46:02.000Z'), talk_ms: 185_500, hold_ms: 20_000 }),
        ev({
          ...c4, ...ana, event_id: `genesys:${C4}:${ANA_S}:wrapup`, type: 'wrapup_completed', occurred_at: at('2026-11-30T13:46:47.000Z'),
          acw_ms: 45_000, handle_ms: 250_500, resolution_code: WRAP_RESOLVED,
        }),
      ],
      ignored: 0,
    });
    expectValid(r.events);
  });

  it('an agent alerted who never answered handles nothing; the next agent answers the same queue visit', () => {
    const rec = clone(fixture<Json>('answered-voice.json'));
    const ring = clone(rec.participants[3]);
    ring.participantId = 'p-bounced';
    ring.userId = 'u-bounced';
    const s = ring.sessions[0];
    s.sessionId = 's-bounced';
    s.segments = [{ segmentStart: '2026-11-30T09:14:41.000Z', segmentEnd: '2026-11-30T09:14:49.000Z', segmentType: 'alert', queueId: BILLING, disconnectType: 'noAnswerTransfer' }];
    s.metrics = [{ name: 'tAlert', value: 8000, emitDate: '2026-11-30T09:14:49.000Z' }, { name: 'tNotResponding', value: 8000, emitDate: '2026-11-30T09:14:49.000Z' }];
    rec.participants.splice(3, 0, ring);
    expect(map(rec).events).toEqual(C1_EVENTS);
  });
});

describe('genesys-conversation: outbound and internal', () => {
  it('an agent-dialled call is handle time, not a contact arriving: no created, no queue, customer from the dialled number', () => {
    const C6 = '3b0a2100-ab0e-59c2-ba9e-396936014820';
    const S = '7279270f-e764-5e28-b8bc-d93ba06b2fa5';
    const c6 = { contact_id: C6, channel: 'voice', direction: 'outbound', customer_id: pseudonymize(TENANT, '+14155550111'), agent_id: TOM, team_id: NORTH } as const;
    const r = map(fixture('outbound.json'));
    expect(r).toEqual({
      events: [
        ev({ ...c6, event_id: `genesys:${C6}:${S}:ended`, type: 'contact_ended', occurred_at: at('2026-11-30T15:04:11.500Z'), talk_ms: 240_000, hold_ms: 0 }),
        ev({
          ...c6, event_id: `genesys:${C6}:${S}:wrapup`, type: 'wrapup_completed', occurred_at: at('2026-11-30T15:04:31.500Z'),
          acw_ms: 20_000, handle_ms: 260_000, resolution_code: WRAP_SALE,
        }),
      ],
      ignored: 0,
    });
    expectValid(r.events);
  });

  it('an internal call between users (no customer, no queue) is ignored', () => {
    const rec = clone(fixture<Json>('outbound.json'));
    rec.participants = rec.participants.filter((p: Json) => p.purpose === 'agent');
    rec.participants.push({ ...clone(rec.participants[0]), purpose: 'user', userId: 'u-2' });
    expect(map(rec)).toEqual({ events: [], ignored: 1 });
  });

  it('a skipped ACW (no wrap-up segment) completes at tHandle with acw 0', () => {
    const rec = clone(fixture<Json>('outbound.json'));
    const s = rec.participants[0].sessions[0];
    s.segments.pop();
    s.metrics = s.metrics.filter((m: Json) => m.name !== 'tAcw').map((m: Json) => (m.name === 'tHandle' ? { ...m, value: 240000, emitDate: '2026-11-30T15:04:11.500Z' } : m));
    s.acwSkipped = true;
    const wrap = map(rec).events.find((e) => e.type === 'wrapup_completed');
    expect(wrap).toMatchObject({ occurred_at: at('2026-11-30T15:04:11.500Z'), acw_ms: 0, handle_ms: 240_000, resolution_code: null });
  });
});

describe('genesys-conversation: records it cannot map', () => {
  const reject = (mutate: (r: Json) => void, reason: string) => {
    const rec = clone(fixture<Json>('answered-voice.json'));
    mutate(rec);
    expect(() => map(rec)).toThrow(RecordError);
    try {
      map(rec);
    } catch (e) {
      expect((e as RecordError).reason).toBe(reason);
    }
  };

  it('names the missing or malformed field', () => {
    reject((r) => delete r.conversationId, 'conversationId: required');
    reject((r) => delete r.conversationStart, 'conversationStart: missing or not a timestamp');
    reject((r) => (r.conversationStart = '2026-11-30T09:14:02'), 'conversationStart: timestamp "2026-11-30T09:14:02" has no UTC offset');
    reject((r) => delete r.participants, 'participants: required');
    reject((r) => (r.participants = {}), 'participants: must be an array');
    reject((r) => delete r.participants[2].sessions[0].sessionId, 'participants[2].sessions[0].sessionId: required');
    reject((r) => (r.participants[3].sessions[0].segments[1].segmentStart = null), 'participants[3].sessions[0].segments[1].segmentStart: missing or not a timestamp');
    reject((r) => (r.participants[2].sessions[0].metrics[1].value = 'many'), 'participants[2].sessions[0].metrics[1].value: must be a non-negative number of milliseconds');
    reject((r) => (r.surveys[0].surveyPromoterScore = 11), 'surveys[0].surveyPromoterScore: must be a number from 0 to 10');
    reject((r) => {
      delete r.originatingDirection;
      delete r.participants[0].sessions[0].direction;
    }, 'originatingDirection: required (inbound or outbound)');
  });

  it('refuses what is not an object', () => {
    expect(() => map('nope')).toThrow(new RecordError('conversation: must be an object'));
    expect(() => map([])).toThrow(RecordError);
  });

  it('skips a survey not answered yet', () => {
    const rec = clone(fixture<Json>('answered-voice.json'));
    rec.surveys[0].surveyStatus = 'Sent';
    expect(map(rec).events).toEqual(C1_EVENTS.slice(0, 5));
  });
});
