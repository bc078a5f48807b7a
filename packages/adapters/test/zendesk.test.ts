// Zendesk exports: ticket audits, ticket metric events, satisfaction ratings (the backfill
// formats), mapped to the exact normalized events.
import { describe, expect, it } from 'vitest';
import { RecordError } from '../src/common';
import { at, ctx, customer, ev, format, lines, mapAll } from './zendesk-helpers';

const AUDIT = 'zendesk-ticket-audit';
const METRIC = 'zendesk-ticket-metric-event';
const RATING = 'zendesk-satisfaction-rating';
const OPTS = { topicField: '360000111', groups: { '360001': 'billing' }, agents: { '501': 'ana' } };

/** ticket 1001 of audits-email-ticket.jsonl, mapped with OPTS */
const t1001 = { contact_id: '1001', channel: 'email', direction: 'inbound', queue_id: 'billing', customer_id: customer('9001'), topic: 'refund', priority: 'normal' } as const;
const emailTicketEvents = () => [
  ev({ ...t1001, event_id: 'zd:1001:created', type: 'contact_created', occurred_at: at('2026-11-24T09:00:00Z') }),
  ev({ ...t1001, event_id: 'zd:1001:first_reply', type: 'agent_message', occurred_at: at('2026-11-24T09:20:00Z'), agent_id: 'ana', response_ms: 20 * 60_000, first_response: true }),
  ev({ ...t1001, event_id: 'zd:1001:comment:80051', type: 'agent_message', occurred_at: at('2026-11-24T10:30:00Z'), agent_id: 'ana', response_ms: 30 * 60_000, first_response: false }),
  ev({ ...t1001, event_id: 'zd:1001:audit:7005:resolved', type: 'resolved', occurred_at: at('2026-11-24T10:30:00Z'), agent_id: 'ana', resolution_ms: 90 * 60_000 }),
  ev({ ...t1001, event_id: 'zd:1001:audit:7006:reopened', type: 'reopened', occurred_at: at('2026-11-24T11:00:00Z'), agent_id: 'ana' }),
  ev({ ...t1001, event_id: 'zd:1001:comment:80071', type: 'agent_message', occurred_at: at('2026-11-24T11:10:00Z'), agent_id: 'ana', response_ms: 10 * 60_000, first_response: false }),
  ev({ ...t1001, event_id: 'zd:1001:audit:7007:resolved', type: 'resolved', occurred_at: at('2026-11-24T11:10:00Z'), agent_id: 'ana', resolution_ms: 130 * 60_000 }),
  ev({ ...t1001, event_id: 'zd:1001:csat', type: 'survey_response', occurred_at: at('2026-11-24T12:00:00Z'), agent_id: 'ana', survey_kind: 'csat', score: 1, scale_min: 0, scale_max: 1 }),
];

describe('zendesk-ticket-audit', () => {
  it('an e-mail ticket: created, first reply, a reply to the customer turn, solved, reopened, solved again, CSAT good', () => {
    const out = mapAll(AUDIT, lines('audits-email-ticket.jsonl'), ctx(OPTS));
    expect(out.events).toEqual(emailTicketEvents());
    // audit 7003 (an internal note) and 7004 (the customer's reply) yield no event
    expect(out.ignored).toBe(2);
    expect(out.rejected).toEqual([]);
  });

  it('without options: group and agent ids, no topic; a tag prefix gives the topic, the custom field wins over it', () => {
    const plain = mapAll(AUDIT, lines('audits-email-ticket.jsonl')).events;
    expect(plain[1]).toEqual(ev({ ...t1001, queue_id: '360001', topic: null, event_id: 'zd:1001:first_reply', type: 'agent_message', occurred_at: at('2026-11-24T09:20:00Z'), agent_id: '501', response_ms: 20 * 60_000, first_response: true }));
    const tagged = mapAll(AUDIT, lines('audits-email-ticket.jsonl'), ctx({ topicTagPrefix: 'topic_' })).events;
    expect(new Set(tagged.map((e) => e.topic))).toEqual(new Set(['double_charge']));
    const both = mapAll(AUDIT, lines('audits-email-ticket.jsonl'), ctx({ topicTagPrefix: 'topic_', topicField: 360000111 })).events;
    expect(new Set(both.map((e) => e.topic))).toEqual(new Set(['refund']));
  });

  it('a chat moved to another group is a transfer; the new group answers and solves', () => {
    const out = mapAll(AUDIT, lines('audits-chat-transfer.jsonl'));
    const t = { contact_id: '1002', channel: 'chat', direction: 'inbound', customer_id: customer('9002') } as const;
    expect(out.events).toEqual([
      ev({ ...t, event_id: 'zd:1002:created', type: 'contact_created', occurred_at: at('2026-11-24T09:05:00Z'), queue_id: '360002', agent_id: '502' }),
      ev({ ...t, event_id: 'zd:1002:first_reply', type: 'agent_message', occurred_at: at('2026-11-24T09:06:30Z'), queue_id: '360002', agent_id: '502', response_ms: 90_000, first_response: true }),
      ev({ ...t, event_id: 'zd:1002:audit:7103:transferred', type: 'transferred', occurred_at: at('2026-11-24T09:08:00Z'), queue_id: '360003', agent_id: '503' }),
      // the customer's turn was answered by the first agent: a touch without response time
      ev({ ...t, event_id: 'zd:1002:comment:81031', type: 'agent_message', occurred_at: at('2026-11-24T09:15:00Z'), queue_id: '360003', agent_id: '503', response_ms: null, first_response: false }),
      ev({ ...t, event_id: 'zd:1002:audit:7104:resolved', type: 'resolved', occurred_at: at('2026-11-24T09:15:00Z'), queue_id: '360003', agent_id: '503', resolution_ms: 10 * 60_000 }),
    ]);
    expect(out.ignored).toBe(0);
  });

  it('Talk calls are voice tickets: no answered, hold or wrap-up events (Zendesk sends none); an agent-placed call is outbound', () => {
    const out = mapAll(AUDIT, lines('audits-voice.jsonl'));
    const t = { channel: 'voice', queue_id: '360001', agent_id: '504' } as const;
    expect(out.events).toEqual([
      ev({ ...t, contact_id: '1003', event_id: 'zd:1003:created', type: 'contact_created', occurred_at: at('2026-11-24T09:30:00Z'), direction: 'inbound', customer_id: customer('9003') }),
      // Talk creates the ticket after the call, already solved
      ev({ ...t, contact_id: '1003', event_id: 'zd:1003:audit:7201:resolved', type: 'resolved', occurred_at: at('2026-11-24T09:30:00Z'), direction: 'inbound', customer_id: customer('9003'), resolution_ms: 0 }),
      ev({ ...t, contact_id: '1004', event_id: 'zd:1004:created', type: 'contact_created', occurred_at: at('2026-11-24T09:40:00Z'), direction: 'outbound', customer_id: customer('9004') }),
    ]);
    // the caller's phone number is in the audit, never in an event
    expect(JSON.stringify(out.events)).not.toContain('555');
  });

  it('a redelivered audit and an audit out of order map to the very same events', () => {
    const audits = lines('audits-email-ticket.jsonl');
    const [a1, a2, a3, a4, a5, a6, a7, a8] = audits;
    const out = mapAll(AUDIT, [a1, a2, a2, a3, a4, a5, a6, a7, a8, a5], ctx(OPTS));
    const e = emailTicketEvents();
    expect(out.events).toEqual([e[0], e[1], e[1], ...e.slice(2), e[2], e[3]]);
    expect(new Set(out.events.map((x) => x.event_id)).size).toBe(e.length);
  });

  it("an export that starts after the ticket's creation: replies cannot be told from the customer's, status and CSAT still map", () => {
    const out = mapAll(AUDIT, lines('audits-email-ticket.jsonl').slice(3), ctx(OPTS));
    const t = { contact_id: '1001', channel: 'email', direction: 'inbound' } as const;
    expect(out.events).toEqual([
      ev({ ...t, event_id: 'zd:1001:audit:7005:resolved', type: 'resolved', occurred_at: at('2026-11-24T10:30:00Z'), agent_id: 'ana', resolution_ms: null }),
      ev({ ...t, event_id: 'zd:1001:audit:7006:reopened', type: 'reopened', occurred_at: at('2026-11-24T11:00:00Z') }),
      ev({ ...t, event_id: 'zd:1001:audit:7007:resolved', type: 'resolved', occurred_at: at('2026-11-24T11:10:00Z'), agent_id: 'ana', resolution_ms: null }),
      ev({ ...t, event_id: 'zd:1001:csat', type: 'survey_response', occurred_at: at('2026-11-24T12:00:00Z'), agent_id: 'ana', survey_kind: 'csat', score: 1, scale_min: 0, scale_max: 1 }),
    ]);
    expect(out.ignored).toBe(1);
  });

  it('an agent-opened (outbound) ticket: follow-ups are touches, the first response answers the customer', () => {
    const base = { ticket_id: 1010, via: { channel: 'web', source: { rel: null } } };
    const comment = (id: number, author: number) => ({ id, type: 'Comment', author_id: author, body: '…', public: true });
    const out = mapAll(AUDIT, [
      { ...base, id: 7301, created_at: '2026-11-24T13:00:00Z', author_id: 501, events: [
        comment(83001, 501),
        { id: 83011, type: 'Create', field_name: 'requester_id', value: '9020' },
        { id: 83012, type: 'Create', field_name: 'status', value: 'pending' },
        { id: 83013, type: 'Create', field_name: 'group_id', value: '360003' },
        { id: 83014, type: 'Create', field_name: 'assignee_id', value: '501' },
      ] },
      { ...base, id: 7302, created_at: '2026-11-24T13:30:00Z', author_id: 501, events: [comment(83002, 501)] },
      { ...base, id: 7303, created_at: '2026-11-24T14:00:00Z', author_id: 9020, via: { channel: 'email' }, events: [comment(83003, 9020), { id: 83031, type: 'Change', field_name: 'status', value: 'open', previous_value: 'pending' }] },
      { ...base, id: 7304, created_at: '2026-11-24T14:12:00Z', author_id: 501, events: [comment(83004, 501)] },
      { ...base, id: 7305, created_at: '2026-11-24T14:20:00Z', author_id: 501, events: [comment(83005, 501)] },
    ]);
    const t = { contact_id: '1010', channel: 'web_form', direction: 'outbound', queue_id: '360003', agent_id: '501', customer_id: customer('9020') } as const;
    expect(out.events).toEqual([
      ev({ ...t, event_id: 'zd:1010:created', type: 'contact_created', occurred_at: at('2026-11-24T13:00:00Z') }),
      ev({ ...t, event_id: 'zd:1010:comment:83002', type: 'agent_message', occurred_at: at('2026-11-24T13:30:00Z'), response_ms: null, first_response: false }),
      ev({ ...t, event_id: 'zd:1010:first_reply', type: 'agent_message', occurred_at: at('2026-11-24T14:12:00Z'), response_ms: 12 * 60_000, first_response: true }),
      ev({ ...t, event_id: 'zd:1010:comment:83005', type: 'agent_message', occurred_at: at('2026-11-24T14:20:00Z'), response_ms: null, first_response: false }),
    ]);
  });

  it('unknown fields and unknown audit event types are ignored', () => {
    const audits = lines('audits-email-ticket.jsonl').map((a, i) => ({
      ...a, brand_new_field: { nested: true }, events: [...(a.events as object[]).map((e) => ({ ...e, x_future: 1 })), { id: 99000 + i, type: 'FutureEventType', value: 'x' }],
    }));
    expect(mapAll(AUDIT, audits, ctx(OPTS)).events).toEqual(emailTicketEvents());
  });

  it('maps the ticket\'s priority (schema v2): set at creation, changed by a later audit, none when Zendesk has none', () => {
    const base = { ticket_id: 1020, via: { channel: 'email' } };
    const out = mapAll(AUDIT, [
      { ...base, id: 7401, created_at: '2026-11-24T09:00:00Z', author_id: 9030, events: [
        { id: 84001, type: 'Comment', author_id: 9030, body: 'help', public: true },
        { id: 84002, type: 'Create', field_name: 'requester_id', value: '9030' },
        { id: 84003, type: 'Create', field_name: 'priority', value: 'high' },
      ] },
      { ...base, id: 7402, created_at: '2026-11-24T09:10:00Z', author_id: 501, events: [
        { id: 84011, type: 'Change', field_name: 'priority', value: 'urgent', previous_value: 'high' },
        { id: 84012, type: 'Comment', author_id: 501, body: 'on it', public: true },
      ] },
    ]);
    expect(out.events.map((e) => [e.type, e.priority])).toEqual([['contact_created', 'high'], ['agent_message', 'urgent']]);
    // a ticket without a priority (Zendesk's "-") carries none
    const none = mapAll(AUDIT, [{ ...base, ticket_id: 1021, id: 7411, created_at: '2026-11-24T09:00:00Z', author_id: 9030, events: [
      { id: 84101, type: 'Comment', author_id: 9030, body: 'help', public: true },
      { id: 84102, type: 'Create', field_name: 'priority', value: null },
    ] }]);
    expect(none.events.map((e) => e.priority)).toEqual([null]);
  });

  it('a record missing what it needs is rejected with the reason, the others still map', () => {
    const good = lines('audits-email-ticket.jsonl')[0]!;
    const out = mapAll(AUDIT, [
      { id: 1, created_at: '2026-11-24T09:00:00Z', events: [] },
      { id: 2, ticket_id: 5, created_at: '2026-11-24 09:00:00', events: [] },
      { id: 3, ticket_id: 5, created_at: '2026-11-24T09:00:00Z' },
      { audits: [good] },
      { id: 4, ticket_id: 1001, created_at: '2026-11-24T09:30:00Z', events: [{ type: 'Comment', author_id: 501, public: true }] },
      'not an audit',
      good,
    ]);
    expect(out.rejected).toEqual([
      { index: 0, reason: 'ticket_id: required' },
      { index: 1, reason: 'created_at: timestamp "2026-11-24 09:00:00" has no UTC offset' },
      { index: 2, reason: 'events: must be an array' },
      { index: 3, reason: `record is a page of the API ({"audits": […]}); write one record per line, e.g. jq -c '.audits[]'` },
      { index: 4, reason: 'events[0].id: required' },
      { index: 5, reason: 'audit: must be an object' },
    ]);
    expect(out.events.map((e) => e.event_id)).toEqual(['zd:1001:created']);
    expect(() => format(AUDIT).map({ id: 1, events: [] }, ctx())).toThrow(RecordError);
  });
});

describe('zendesk-ticket-metric-event', () => {
  const frt = { channel: 'email', direction: 'inbound', type: 'agent_message', first_response: true } as const;

  it('reply_time instance 1: activate → fulfill is the first reply time; update_status does not count it twice, and is the fallback', () => {
    const out = mapAll(METRIC, lines('metric-events.jsonl'));
    expect(out.events).toEqual([
      ev({ ...frt, contact_id: '1001', event_id: 'zd:1001:first_reply', occurred_at: at('2026-11-24T09:20:00Z'), response_ms: 20 * 60_000 }),
      // no activate seen for 1005: the whole minutes of update_status, at the fulfill time
      ev({ ...frt, contact_id: '1005', event_id: 'zd:1005:first_reply', occurred_at: at('2026-11-24T11:47:31Z'), response_ms: 47 * 60_000 }),
    ]);
    expect(out.ignored).toBe(8);
  });

  it('after the audits of the same ticket: their first reply (same event id) stands, the metric adds nothing; a ticket they lack keeps the default dimensions', () => {
    const c = ctx(OPTS);
    mapAll(AUDIT, lines('audits-email-ticket.jsonl'), c);
    const out = mapAll(METRIC, lines('metric-events.jsonl'), c);
    expect(out.events.map((e) => e.event_id)).toEqual(['zd:1005:first_reply']);
  });

  it('ticket metric events without ids or times are rejected', () => {
    const out = mapAll(METRIC, [
      { id: 1, metric: 'reply_time', instance_id: 1, type: 'fulfill', time: '2026-11-24T09:20:00Z' },
      { id: 2, ticket_id: 7, metric: 'reply_time', instance_id: 1, type: 'fulfill' },
      { ticket_metric_events: [] },
    ]);
    expect(out.rejected).toEqual([
      { index: 0, reason: 'ticket_id: required' },
      { index: 1, reason: 'time: missing or not a timestamp' },
      { index: 2, reason: `record is a page of the API ({"ticket_metric_events": […]}); write one record per line, e.g. jq -c '.ticket_metric_events[]'` },
    ]);
  });
});

describe('zendesk-satisfaction-rating', () => {
  const csat = { type: 'survey_response', survey_kind: 'csat', scale_min: 0, scale_max: 1, direction: 'inbound' } as const;

  it('good → 1, bad → 0 on the scale 0..1 (the top-two-box rule counts exactly the good ones); offered is no answer', () => {
    const out = mapAll(RATING, lines('ratings.jsonl'));
    expect(out.events).toEqual([
      ev({ ...csat, contact_id: '1001', event_id: 'zd:1001:csat', occurred_at: at('2026-11-24T12:00:00Z'), channel: 'email', queue_id: '360001', agent_id: '501', customer_id: customer('9001'), score: 1, attributes: { zendesk_rating_id: '35001' } }),
      ev({ ...csat, contact_id: '1002', event_id: 'zd:1002:csat', occurred_at: at('2026-11-24T09:40:00Z'), channel: 'email', queue_id: '360003', agent_id: '503', customer_id: customer('9002'), score: 0, attributes: { zendesk_rating_id: '35002' } }),
    ]);
    expect(out.ignored).toBe(1);
  });

  it("takes channel and topic from the ticket the audits described, group and agent from the rating; the audit's own rating has the same id", () => {
    const c = ctx({ topicTagPrefix: 'topic_' });
    const audits = mapAll(AUDIT, [...lines('audits-email-ticket.jsonl'), ...lines('audits-chat-transfer.jsonl')], c);
    const out = mapAll(RATING, lines('ratings.jsonl'), c);
    expect(out.events[1]).toEqual(ev({ ...csat, contact_id: '1002', event_id: 'zd:1002:csat', occurred_at: at('2026-11-24T09:40:00Z'), channel: 'chat', queue_id: '360003', agent_id: '503', customer_id: customer('9002'), score: 0, attributes: { zendesk_rating_id: '35002' } }));
    expect(out.events[0]!.event_id).toBe(audits.events.find((e) => e.type === 'survey_response')!.event_id);
    expect(out.events[0]!.topic).toBe('double_charge');
  });

  it('a changed rating keeps its event id, so the first answer counts', () => {
    const [first] = lines('ratings.jsonl');
    const changed = { ...first, score: 'bad', updated_at: '2026-11-25T08:00:00Z' };
    const [a, b] = mapAll(RATING, [first, changed]).events;
    expect(a!.event_id).toBe(b!.event_id);
    expect([a!.score, b!.score]).toEqual([1, 0]);
  });

  it('a rating without a score, or with one Zendesk does not have, is rejected', () => {
    const out = mapAll(RATING, [
      { id: 1, ticket_id: 5, created_at: '2026-11-24T09:00:00Z' },
      { id: 2, ticket_id: 5, score: 'great', created_at: '2026-11-24T09:00:00Z' },
      { id: 3, score: 'good', created_at: '2026-11-24T09:00:00Z' },
    ]);
    expect(out.rejected).toEqual([
      { index: 0, reason: 'score: required' },
      { index: 1, reason: 'score: "great" is not a rating (good, bad, offered, unoffered)' },
      { index: 2, reason: 'ticket_id: required' },
    ]);
  });
});

describe('zendesk options', () => {
  it('channels override the built-in table, unknown via channels take the default channel', () => {
    const chat = mapAll(AUDIT, lines('audits-chat-transfer.jsonl'), ctx({ channels: { chat: 'messaging' } })).events;
    expect(new Set(chat.map((e) => e.channel))).toEqual(new Set(['messaging']));
    const [created] = lines('audits-email-ticket.jsonl');
    const byRule = { ...created, via: { channel: 'rule', source: { rel: 'trigger' } } };
    expect(mapAll(AUDIT, [byRule], ctx({ defaultChannel: 'web_form' })).events[0]!.channel).toBe('web_form');
  });

  it('a wrong option rejects the records with the reason', () => {
    const out = mapAll(AUDIT, lines('audits-email-ticket.jsonl').slice(0, 1), ctx({ defaultChannel: 'fax' }));
    expect(out.rejected).toEqual([{ index: 0, reason: 'options.defaultChannel: must be one of voice, chat, email, sms, messaging, social, video, web_form' }]);
  });
});
