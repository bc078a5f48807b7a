import { describe, expect, it } from 'vitest';
import { MemoryState, RecordError, pseudonymize } from '../src/common';
import { amazonConnectFormats } from '../src/amazon-connect/index';
import { TENANT, clone, ctxOf, ev, fixture, mapValid, t, type Json } from './amazon-connect-helpers';

const ctr = amazonConnectFormats.find((f) => f.name === 'amazon-connect-ctr')!;
const any = amazonConnectFormats.find((f) => f.name === 'amazon-connect')!;

const ANSWERED = 'c0ffee00-0001-4a4a-9b9b-000000000001';
const ABANDONED = 'c0ffee00-0002-4a4a-9b9b-000000000002';
const CHAT = 'c4a70000-0003-4a4a-9b9b-000000000003';
const LEG1 = '7aa00000-0010-4a4a-9b9b-000000000010';
const LEG2 = '7aa00000-0011-4a4a-9b9b-000000000011';

const caller1 = pseudonymize(TENANT, '+15555550101');
const caller2 = pseudonymize(TENANT, '+15555550102');
const caller10 = pseudonymize(TENANT, '+15555550110');

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof RecordError) return err.reason;
    throw err;
  }
  throw new Error('expected a RecordError');
}

const answeredEvents = () => {
  const base = { contact_id: ANSWERED, channel: 'voice', direction: 'inbound', queue_id: 'Billing', customer_id: caller1, topic: 'billing-dispute' } as const;
  const agent = { agent_id: 'jdoe', team_id: 'Billing Team A' };
  return [
    ev({ ...base, event_id: `amzn:ctr:${ANSWERED}:contact_created`, type: 'contact_created', occurred_at: t('2026-11-24T09:02:10Z') }),
    ev({ ...base, event_id: `amzn:ctr:${ANSWERED}:queued`, type: 'queued', occurred_at: t('2026-11-24T09:02:31Z') }),
    ev({ ...base, ...agent, event_id: `amzn:ctr:${ANSWERED}:answered`, type: 'answered', occurred_at: t('2026-11-24T09:03:13Z'), wait_ms: 42_000 }),
    ev({ ...base, ...agent, event_id: `amzn:ctr:${ANSWERED}:contact_ended`, type: 'contact_ended', occurred_at: t('2026-11-24T09:09:40Z'), talk_ms: 352_000, hold_ms: 35_000 }),
    ev({
      ...base, ...agent, event_id: `amzn:ctr:${ANSWERED}:wrapup_completed`, type: 'wrapup_completed', occurred_at: t('2026-11-24T09:10:38Z'),
      acw_ms: 58_000, handle_ms: 352_000 + 35_000 + 58_000, resolution_code: 'refund-issued',
    }),
    ev({
      ...base, ...agent, event_id: `amzn:ctr:${ANSWERED}:survey:csatScore`, type: 'survey_response', occurred_at: t('2026-11-24T09:09:40Z'),
      survey_kind: 'csat', score: 4, scale_min: 1, scale_max: 5,
    }),
  ];
};

describe('amazon-connect contact records', () => {
  it('maps an answered voice call with hold and after-contact work', () => {
    const m = mapValid(ctr, fixture('ctr-answered-hold-acw.json'), ctxOf());
    expect(m).toEqual({ events: answeredEvents(), ignored: 0 });
  });

  it('maps an abandoned call: queued, then abandoned at dequeue with the time in queue', () => {
    const base = { contact_id: ABANDONED, channel: 'voice', direction: 'inbound', queue_id: 'Support', customer_id: caller2, topic: 'order-status' } as const;
    expect(mapValid(ctr, fixture('ctr-abandoned.json'), ctxOf())).toEqual({
      events: [
        ev({ ...base, event_id: `amzn:ctr:${ABANDONED}:contact_created`, type: 'contact_created', occurred_at: t('2026-11-24T09:20:00Z') }),
        ev({ ...base, event_id: `amzn:ctr:${ABANDONED}:queued`, type: 'queued', occurred_at: t('2026-11-24T09:20:25Z') }),
        ev({ ...base, event_id: `amzn:ctr:${ABANDONED}:abandoned`, type: 'abandoned', occurred_at: t('2026-11-24T09:21:36Z'), wait_ms: 71_000 }),
      ],
      ignored: 0,
    });
  });

  it('takes the wait from the timestamps when Queue.Duration is missing, and keeps a short abandon short', () => {
    const r = fixture('ctr-abandoned.json');
    delete r.Queue.Duration;
    r.Queue.DequeueTimestamp = '2026-11-24T09:20:28Z';
    r.DisconnectTimestamp = '2026-11-24T09:20:28Z';
    const abandoned = mapValid(ctr, r, ctxOf()).events.find((e) => e.type === 'abandoned');
    expect(abandoned).toMatchObject({ occurred_at: t('2026-11-24T09:20:28Z'), wait_ms: 3_000 });
  });

  it('treats a contact the flow removed from the queue as a flow-out, not an abandon', () => {
    const r = fixture('ctr-abandoned.json');
    r.DisconnectReason = 'CONTACT_FLOW_DISCONNECT';
    expect(mapValid(ctr, r, ctxOf()).events.map((e) => e.type)).toEqual(['contact_created', 'queued']);
  });

  it('maps a chat: first agent response from ChatMetrics, no hold, team from the routing profile', () => {
    const base = { contact_id: CHAT, channel: 'chat', direction: 'inbound', queue_id: 'Chat Support', customer_id: null, topic: 'delivery' } as const;
    const agent = { agent_id: 'mgarcia', team_id: 'Digital' };
    expect(mapValid(ctr, fixture('ctr-chat.json'), ctxOf())).toEqual({
      events: [
        ev({ ...base, event_id: `amzn:ctr:${CHAT}:contact_created`, type: 'contact_created', occurred_at: t('2026-11-24T10:03:00Z') }),
        ev({ ...base, event_id: `amzn:ctr:${CHAT}:queued`, type: 'queued', occurred_at: t('2026-11-24T10:03:25Z') }),
        ev({ ...base, ...agent, event_id: `amzn:ctr:${CHAT}:answered`, type: 'answered', occurred_at: t('2026-11-24T10:05:00Z'), wait_ms: 95_000 }),
        ev({
          ...base, ...agent, event_id: `amzn:ctr:${CHAT}:agent_message:first`, type: 'agent_message', occurred_at: t('2026-11-24T10:05:12.400Z'),
          response_ms: 12_400, first_response: true,
        }),
        ev({ ...base, ...agent, event_id: `amzn:ctr:${CHAT}:contact_ended`, type: 'contact_ended', occurred_at: t('2026-11-24T10:14:00Z'), talk_ms: 540_000, hold_ms: null }),
        ev({ ...base, ...agent, event_id: `amzn:ctr:${CHAT}:wrapup_completed`, type: 'wrapup_completed', occurred_at: t('2026-11-24T10:14:20Z'), acw_ms: 20_000, handle_ms: 560_000 }),
        ev({
          ...base, ...agent, event_id: `amzn:ctr:${CHAT}:survey:npsScore`, type: 'survey_response', occurred_at: t('2026-11-24T10:14:00Z'),
          survey_kind: 'nps', score: 9, scale_min: 0, scale_max: 10,
        }),
      ],
      ignored: 0,
    });
  });

  it('pseudonymizes a customer attribute when the chat has no customer endpoint, and reads SMS from the subtype', () => {
    const r = fixture('ctr-chat.json');
    r.SegmentAttributes['connect:Subtype'].ValueString = 'connect:SMS';
    const events = mapValid(ctr, r, ctxOf({ customerAttribute: 'customerNumber' })).events;
    expect(new Set(events.map((e) => e.customer_id))).toEqual(new Set([pseudonymize(TENANT, 'CUST-0042')]));
    expect(new Set(events.map((e) => e.channel))).toEqual(new Set(['sms']));
    expect(JSON.stringify(events)).not.toContain('CUST-0042');
  });

  it('never emits a raw phone number', () => {
    const events = mapValid(ctr, fixture('ctr-answered-hold-acw.json'), ctxOf()).events;
    expect(JSON.stringify(events)).not.toContain('5555550101');
  });

  describe('transfers', () => {
    const leg1Events = () => {
      const base = { contact_id: LEG1, channel: 'voice', direction: 'inbound', queue_id: 'Billing', customer_id: caller10, topic: 'plan-change' } as const;
      const agent = { agent_id: 'jdoe', team_id: 'Billing Team A' };
      return [
        ev({ ...base, event_id: `amzn:ctr:${LEG1}:contact_created`, type: 'contact_created', occurred_at: t('2026-11-24T11:00:00Z') }),
        ev({ ...base, event_id: `amzn:ctr:${LEG1}:queued`, type: 'queued', occurred_at: t('2026-11-24T11:00:05Z') }),
        ev({ ...base, ...agent, event_id: `amzn:ctr:${LEG1}:answered`, type: 'answered', occurred_at: t('2026-11-24T11:00:20Z'), wait_ms: 15_000 }),
        ev({ ...base, ...agent, event_id: `amzn:ctr:${LEG1}:transferred`, type: 'transferred', occurred_at: t('2026-11-24T11:03:20Z') }),
        ev({ ...base, ...agent, event_id: `amzn:ctr:${LEG1}:contact_ended`, type: 'contact_ended', occurred_at: t('2026-11-24T11:03:20Z'), talk_ms: 180_000, hold_ms: 0 }),
        ev({ ...base, ...agent, event_id: `amzn:ctr:${LEG1}:wrapup_completed`, type: 'wrapup_completed', occurred_at: t('2026-11-24T11:03:50Z'), acw_ms: 30_000, handle_ms: 210_000 }),
      ];
    };
    const leg2Events = () => {
      // the second leg keeps the first leg's contact_id and direction; its own id is in the event ids
      const base = { contact_id: LEG1, channel: 'voice', direction: 'inbound', queue_id: 'Support', customer_id: caller10, topic: 'plan-change' } as const;
      const agent = { agent_id: 'asmith', team_id: 'Support Team B' };
      return [
        ev({ ...base, event_id: `amzn:ctr:${LEG2}:queued`, type: 'queued', occurred_at: t('2026-11-24T11:03:21Z') }),
        ev({ ...base, ...agent, event_id: `amzn:ctr:${LEG2}:answered`, type: 'answered', occurred_at: t('2026-11-24T11:04:01Z'), wait_ms: 40_000 }),
        ev({ ...base, ...agent, event_id: `amzn:ctr:${LEG2}:contact_ended`, type: 'contact_ended', occurred_at: t('2026-11-24T11:09:21Z'), talk_ms: 300_000, hold_ms: 20_000 }),
        ev({ ...base, ...agent, event_id: `amzn:ctr:${LEG2}:wrapup_completed`, type: 'wrapup_completed', occurred_at: t('2026-11-24T11:10:01Z'), acw_ms: 40_000, handle_ms: 360_000 }),
        ev({
          ...base, ...agent, event_id: `amzn:ctr:${LEG2}:survey:csatScore`, type: 'survey_response', occurred_at: t('2026-11-24T11:09:21Z'),
          survey_kind: 'csat', score: 5, scale_min: 1, scale_max: 5,
        }),
      ];
    };

    it('chains the legs under the first leg\'s contact id; only the transferring leg says transferred', () => {
      const ctx = ctxOf();
      expect(mapValid(ctr, fixture('ctr-transfer-leg1.json'), ctx)).toEqual({ events: leg1Events(), ignored: 0 });
      expect(mapValid(ctr, fixture('ctr-transfer-leg2.json'), ctx)).toEqual({ events: leg2Events(), ignored: 0 });
    });

    it('gives the same events when the second leg arrives first', () => {
      const ctx = ctxOf();
      expect(mapValid(ctr, fixture('ctr-transfer-leg2.json'), ctx)).toEqual({ events: leg2Events(), ignored: 0 });
      expect(mapValid(ctr, fixture('ctr-transfer-leg1.json'), ctx)).toEqual({ events: leg1Events(), ignored: 0 });
    });

    it('learns the transfer from the next leg when the first leg names no successor, in either order', () => {
      const leg1 = fixture('ctr-transfer-leg1.json');
      leg1.NextContactId = null;
      const transferred = leg1Events().find((e) => e.type === 'transferred')!;
      const withoutTransfer = leg1Events().filter((e) => e.type !== 'transferred');

      const a = ctxOf();
      expect(mapValid(ctr, leg1, a).events).toEqual(withoutTransfer);
      expect(mapValid(ctr, fixture('ctr-transfer-leg2.json'), a).events).toEqual([...leg2Events(), transferred]);
      // a later copy of the first leg does not repeat it
      const again = clone(leg1);
      again.LastUpdateTimestamp = '2026-11-24T11:20:00Z';
      expect(mapValid(ctr, again, a)).toEqual({ events: [], ignored: 1 });

      const b = ctxOf();
      expect(mapValid(ctr, fixture('ctr-transfer-leg2.json'), b).events).toEqual(leg2Events());
      expect(mapValid(ctr, leg1, b).events).toEqual(leg1Events());
    });

    it('falls back on PreviousContactId for the contact id when a transfer leg has no InitialContactId', () => {
      const leg2 = fixture('ctr-transfer-leg2.json');
      leg2.InitialContactId = null;
      expect(new Set(mapValid(ctr, leg2, ctxOf()).events.map((e) => e.contact_id))).toEqual(new Set([LEG1]));
    });

    it('inherits an outbound direction from the first leg', () => {
      const ctx = ctxOf();
      const leg1 = fixture('ctr-transfer-leg1.json');
      leg1.InitiationMethod = 'OUTBOUND';
      mapValid(ctr, leg1, ctx);
      expect(new Set(mapValid(ctr, fixture('ctr-transfer-leg2.json'), ctx).events.map((e) => e.direction))).toEqual(new Set(['outbound']));
    });

    it('a queue transfer before any agent is a transfer without agent, not an abandon', () => {
      const r = fixture('ctr-abandoned.json');
      r.NextContactId = 'c0ffee00-0099-4a4a-9b9b-000000000099';
      r.DisconnectReason = 'CONTACT_FLOW_DISCONNECT';
      const events = mapValid(ctr, r, ctxOf()).events;
      expect(events.map((e) => e.type)).toEqual(['contact_created', 'queued', 'transferred']);
      expect(events[2]).toMatchObject({ occurred_at: t('2026-11-24T09:21:36Z'), agent_id: null, queue_id: 'Support' });
    });

    it('a transfer out of Connect is dated by TransferCompletedTimestamp', () => {
      const r = fixture('ctr-answered-hold-acw.json');
      r.TransferCompletedTimestamp = '2026-11-24T09:09:35Z';
      r.TransferredToEndpoint = { Address: '+15555550199', Type: 'TELEPHONE_NUMBER' };
      const events = mapValid(ctr, r, ctxOf()).events;
      expect(events.find((e) => e.type === 'transferred')).toEqual(
        ev({
          event_id: `amzn:ctr:${ANSWERED}:transferred`, contact_id: ANSWERED, type: 'transferred', occurred_at: t('2026-11-24T09:09:35Z'), channel: 'voice',
          direction: 'inbound', queue_id: 'Billing', agent_id: 'jdoe', team_id: 'Billing Team A', customer_id: caller1, topic: 'billing-dispute',
        }),
      );
      // the survey belongs to the leg that ends the contact, and this one handed it on
      expect(events.some((e) => e.type === 'survey_response')).toBe(false);
    });
  });

  describe('versions and redelivery', () => {
    it('ignores a duplicate and an older copy; a newer copy emits only what is new', () => {
      const ctx = ctxOf();
      const first = fixture('ctr-answered-hold-acw.json');
      delete first.Attributes.csatScore;
      delete first.Agent.AfterContactWorkEndTimestamp;
      first.Agent.AfterContactWorkDuration = null;
      first.LastUpdateTimestamp = '2026-11-24T09:09:45Z';
      const all = answeredEvents();
      const byType = (type: string) => all.filter((e) => e.type === type);
      expect(mapValid(ctr, first, ctx).events).toEqual(all.filter((e) => e.type !== 'wrapup_completed' && e.type !== 'survey_response'));
      expect(mapValid(ctr, clone(first), ctx)).toEqual({ events: [], ignored: 1 });

      const final = fixture('ctr-answered-hold-acw.json');
      expect(mapValid(ctr, final, ctx)).toEqual({ events: [...byType('wrapup_completed'), ...byType('survey_response')], ignored: 0 });
      // the first copy again, late: older than what we have
      expect(mapValid(ctr, first, ctx)).toEqual({ events: [], ignored: 1 });

      // update-contact-attributes after the call: a newer copy with an NPS answer
      const updated = fixture('ctr-answered-hold-acw.json');
      updated.Attributes.npsScore = '10';
      updated.LastUpdateTimestamp = '2026-11-24T09:30:00Z';
      expect(mapValid(ctr, updated, ctx).events).toEqual([
        ev({
          event_id: `amzn:ctr:${ANSWERED}:survey:npsScore`, contact_id: ANSWERED, type: 'survey_response', occurred_at: t('2026-11-24T09:09:40Z'),
          channel: 'voice', direction: 'inbound', queue_id: 'Billing', agent_id: 'jdoe', team_id: 'Billing Team A', customer_id: caller1,
          topic: 'billing-dispute', survey_kind: 'nps', score: 10, scale_min: 0, scale_max: 10,
        }),
      ]);
    });

    it('after a restart (no memory) re-emits the same events with the same ids, which the aggregator drops', () => {
      const r = fixture('ctr-answered-hold-acw.json');
      const before = mapValid(ctr, r, ctxOf()).events;
      const after = mapValid(ctr, clone(r), ctxOf(undefined, new MemoryState())).events;
      expect(after).toEqual(before);
    });

    it('keeps the memory bounded: an evicted leg maps again as new', () => {
      const state = new MemoryState({ maxEntries: 1, ttlMs: 3600_000 });
      const ctx = ctxOf(undefined, state);
      mapValid(ctr, fixture('ctr-answered-hold-acw.json'), ctx);
      mapValid(ctr, fixture('ctr-abandoned.json'), ctx);
      expect(state.size).toBe(1);
      expect(mapValid(ctr, fixture('ctr-answered-hold-acw.json'), ctx).events).toEqual(answeredEvents());
    });
  });

  describe('records it refuses or skips', () => {
    it.each([
      ['ContactId', (r: Json) => delete r.ContactId, 'ContactId: required'],
      ['LastUpdateTimestamp', (r: Json) => delete r.LastUpdateTimestamp, 'LastUpdateTimestamp: missing or not a timestamp'],
      ['InitiationTimestamp', (r: Json) => (r.InitiationTimestamp = null), 'InitiationTimestamp: missing or not a timestamp'],
      ['Channel', (r: Json) => delete r.Channel, 'Channel: required'],
      ['an unknown Channel', (r: Json) => (r.Channel = 'CARRIER_PIGEON'), 'Channel: unknown value "CARRIER_PIGEON"'],
      ['a local time', (r: Json) => (r.Queue.EnqueueTimestamp = '2026-11-24 09:02:31'), 'Queue.EnqueueTimestamp: timestamp "2026-11-24 09:02:31" has no UTC offset'],
    ])('missing or bad %s → RecordError', (_name, spoil, reason) => {
      const r = fixture('ctr-answered-hold-acw.json');
      spoil(r);
      expect(reasonOf(() => ctr.map(r, ctxOf()))).toBe(reason);
    });

    it('refuses a record that is no object, and an agent event given as a CTR', () => {
      expect(reasonOf(() => ctr.map('hello', ctxOf()))).toBe('record: must be an object');
      expect(reasonOf(() => ctr.map(fixture('agent-login.json'), ctxOf()))).toMatch(/^an agent event, not a contact record/);
      expect(reasonOf(() => any.map({ hello: 'world' }, ctxOf()))).toMatch(/^record is neither a contact record/);
    });

    it('ignores unknown fields', () => {
      const r = fixture('ctr-answered-hold-acw.json');
      r.SomeFutureSection = { Nested: [1, 2, 3] };
      r.Agent.StateTransitions = [{ State: 'ON_HOLD', StateStartTimestamp: '2026-11-24T09:05:00Z' }];
      r.Queue.Hierarchy = { Level1: 'x' };
      r.Attributes.numericLooking = 42;
      expect(mapValid(ctr, r, ctxOf()).events).toEqual(answeredEvents());
    });

    it('cuts a free-text topic to the 256 characters an id may have', () => {
      const r = fixture('ctr-answered-hold-acw.json');
      r.Attributes.contactReason = 'x'.repeat(300);
      expect(new Set(mapValid(ctr, r, ctxOf()).events.map((e) => e.topic))).toEqual(new Set(['x'.repeat(256)]));
    });

    it('ignores supervisor monitoring legs', () => {
      const r = fixture('ctr-answered-hold-acw.json');
      r.InitiationMethod = 'MONITOR';
      expect(mapValid(ctr, r, ctxOf())).toEqual({ events: [], ignored: 1 });
    });

    it('maps tasks to web_form by default, or ignores them', () => {
      const r = fixture('ctr-chat.json');
      r.Channel = 'TASK';
      delete r.ChatMetrics;
      expect(new Set(mapValid(ctr, r, ctxOf()).events.map((e) => e.channel))).toEqual(new Set(['web_form']));
      expect(mapValid(ctr, r, ctxOf({ taskChannel: 'ignore' }))).toEqual({ events: [], ignored: 1 });
    });

    it('drops a survey answer off its scale alone, counting it', () => {
      const r = fixture('ctr-answered-hold-acw.json');
      r.Attributes.csatScore = '7';
      const m = mapValid(ctr, r, ctxOf());
      expect(m.events.map((e) => e.type)).toEqual(['contact_created', 'queued', 'answered', 'contact_ended', 'wrapup_completed']);
      expect(m.ignored).toBe(1);
    });

    it('refuses a bad option with its name', () => {
      const r = fixture('ctr-answered-hold-acw.json');
      expect(reasonOf(() => ctr.map(r, ctxOf({ surveys: [{ attribute: 'x', kind: 'happiness' }] })))).toMatch(/^options\.surveys\.0\.kind: /);
      expect(reasonOf(() => ctr.map(r, ctxOf({ topicAtribute: 'x' })))).toMatch(/^options: /);
    });
  });

  describe('outbound, self-service and options', () => {
    it('an agent-dialled outbound call has no queue wait: created, ended, wrapped up', () => {
      const r = fixture('ctr-answered-hold-acw.json');
      r.InitiationMethod = 'OUTBOUND';
      r.Queue = { ARN: r.Queue.ARN, Name: 'Billing', EnqueueTimestamp: null, DequeueTimestamp: null, Duration: null };
      delete r.Attributes.csatScore;
      const events = mapValid(ctr, r, ctxOf()).events;
      expect(events.map((e) => [e.type, e.direction])).toEqual([
        ['contact_created', 'outbound'], ['contact_ended', 'outbound'], ['wrapup_completed', 'outbound'],
      ]);
    });

    it('an IVR-only contact marked resolved is self-service; an agent contact marked resolved is resolved', () => {
      const ivr = fixture('ctr-abandoned.json');
      ivr.Queue = null;
      ivr.Attributes = { resolved: 'true', topic: 'opening-hours' };
      expect(mapValid(ctr, ivr, ctxOf()).events.map((e) => [e.type, e.occurred_at])).toEqual([
        ['contact_created', t('2026-11-24T09:20:00Z')], ['self_service_resolved', t('2026-11-24T09:21:36Z')],
      ]);

      const handled = fixture('ctr-answered-hold-acw.json');
      handled.Attributes.resolved = 'Yes';
      const resolved = mapValid(ctr, handled, ctxOf()).events.find((e) => e.type === 'resolved');
      expect(resolved).toEqual(ev({
        event_id: `amzn:ctr:${ANSWERED}:resolved`, contact_id: ANSWERED, type: 'resolved', occurred_at: t('2026-11-24T09:10:38Z'), channel: 'voice',
        direction: 'inbound', queue_id: 'Billing', agent_id: 'jdoe', team_id: 'Billing Team A', customer_id: caller1, topic: 'billing-dispute',
        resolution_code: 'refund-issued', resolution_ms: t('2026-11-24T09:10:38Z') - t('2026-11-24T09:02:10Z'),
      }));
    });

    it('resolveHandled resolves every handled contact on its last leg, timed from the first leg', () => {
      const ctx = ctxOf({ resolveHandled: true });
      const leg1 = mapValid(ctr, fixture('ctr-transfer-leg1.json'), ctx).events;
      const leg2 = mapValid(ctr, fixture('ctr-transfer-leg2.json'), ctx).events;
      expect(leg1.some((e) => e.type === 'resolved')).toBe(false);
      expect(leg2.find((e) => e.type === 'resolved')).toMatchObject({
        event_id: `amzn:ctr:${LEG2}:resolved`, contact_id: LEG1, occurred_at: t('2026-11-24T11:10:01Z'), agent_id: 'asmith',
        resolution_ms: t('2026-11-24T11:10:01Z') - t('2026-11-24T11:00:00Z'),
      });
      const refused = fixture('ctr-answered-hold-acw.json');
      refused.Attributes.resolved = 'no';
      expect(mapValid(ctr, refused, ctx).events.some((e) => e.type === 'resolved')).toBe(false);
    });

    it('reads surveys, topic, wrap-up code and team level from the configured names', () => {
      const r = fixture('ctr-answered-hold-acw.json');
      r.Attributes = { postCallSurvey: '8', reason: 'moving-house', disposition: 'info-given', team: 'x' };
      const ctx = ctxOf({
        surveys: [{ attribute: 'postCallSurvey', kind: 'csat', min: 0, max: 10 }],
        topicAttribute: 'reason', resolutionCodeAttribute: ['missing', 'disposition'], teamHierarchyLevel: 1, passAttributes: ['team'],
      });
      const events = mapValid(ctr, r, ctx).events;
      expect(events.find((e) => e.type === 'survey_response')).toMatchObject({ survey_kind: 'csat', score: 8, scale_min: 0, scale_max: 10, event_id: `amzn:ctr:${ANSWERED}:survey:postCallSurvey` });
      expect(new Set(events.map((e) => e.topic))).toEqual(new Set(['moving-house']));
      expect(events.find((e) => e.type === 'wrapup_completed')?.resolution_code).toBe('info-given');
      expect(events.find((e) => e.type === 'answered')?.team_id).toBe('EMEA');
      expect(new Set(events.map((e) => JSON.stringify(e.attributes)))).toEqual(new Set(['{"team":"x"}']));
    });
  });
});
