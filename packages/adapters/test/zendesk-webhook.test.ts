// Zendesk webhook payloads (event subscriptions, zen:event-type:ticket.*): in order, out of
// order, repeated, and broken.
import { describe, expect, it } from 'vitest';
import { at, ctx, customer, ev, fixture, mapAll } from './zendesk-helpers';

const WEBHOOK = 'zendesk-webhook';
type Hooks = Record<'created' | 'customer_comment' | 'agent_comment' | 'internal_note' | 'group_changed' | 'agent_changed' | 'solved' | 'reopened' | 'user_event', Record<string, unknown>>;
const hooks = () => fixture<Hooks>('webhooks.json');
const OPTS = { topicTagPrefix: 'topic_', groups: { '360002': 'returns', '360003': 'claims' } };
const t = { contact_id: '2002', channel: 'web_form', direction: 'inbound', customer_id: customer('9010'), topic: 'delivery', priority: 'normal' } as const;

const created = ev({ ...t, event_id: 'zd:2002:created', type: 'contact_created', occurred_at: at('2026-11-24T14:00:00Z'), queue_id: 'returns' });
const firstReply = ev({ ...t, event_id: 'zd:2002:first_reply', type: 'agent_message', occurred_at: at('2026-11-24T14:30:00.250Z'), queue_id: 'returns', agent_id: '502', response_ms: 1_800_250, first_response: true });
const transferred = ev({ ...t, event_id: 'zd:2002:wh:01JDQ0000000000000000GRP01:transferred', type: 'transferred', occurred_at: at('2026-11-24T14:32:00Z'), queue_id: 'claims' });
const solved = ev({ ...t, event_id: 'zd:2002:wh:01JDQ0000000000000000SOLV1:resolved', type: 'resolved', occurred_at: at('2026-11-24T15:00:00.900Z'), queue_id: 'claims', agent_id: '503', resolution_ms: 3_600_900 });
const reopened = ev({ ...t, event_id: 'zd:2002:wh:01JDQ0000000000000000REOP1:reopened', type: 'reopened', occurred_at: at('2026-11-24T16:00:00Z'), queue_id: 'claims', agent_id: '503' });

describe('zendesk-webhook', () => {
  it('a web-widget ticket in order: created, first reply (from the creation), group transfer, solved, reopened', () => {
    const h = hooks();
    const out = mapAll(WEBHOOK, [h.created, h.customer_comment, h.agent_comment, h.internal_note, h.group_changed, h.agent_changed, h.solved, h.reopened, h.user_event], ctx(OPTS));
    expect(out.events).toEqual([created, firstReply, transferred, solved, reopened]);
    // the customer's comment, the internal note, the assignment and the user event yield no event
    expect(out.ignored).toBe(4);
    expect(out.rejected).toEqual([]);
  });

  it('out of order: each payload carries its ticket, so it maps alone; a reply seen before the creation is not taken for the first', () => {
    const h = hooks();
    const out = mapAll(WEBHOOK, [h.solved, h.agent_comment, h.created], ctx(OPTS));
    expect(out.events).toEqual([
      solved,
      ev({ ...t, event_id: 'zd:2002:comment:91003', type: 'agent_message', occurred_at: at('2026-11-24T14:30:00.250Z'), queue_id: 'returns', agent_id: '502', response_ms: null, first_response: false }),
      created,
    ]);
  });

  it('Zendesk retries a delivery: the repeat maps to the identical event (same id, same measures)', () => {
    const h = hooks();
    const out = mapAll(WEBHOOK, [h.created, h.agent_comment, h.agent_comment, h.solved, structuredClone(h.solved)], ctx(OPTS));
    expect(out.events).toEqual([created, firstReply, firstReply, solved, solved]);
  });

  it('the ticket\'s priority comes from the payload\'s detail (HIGH → high); a later change is carried by the next event', () => {
    const h = hooks();
    const withPriority = (hook: Record<string, unknown>, priority: unknown) => ({ ...hook, detail: { ...(hook.detail as object), priority } });
    const out = mapAll(WEBHOOK, [withPriority(h.created, 'HIGH'), withPriority(h.agent_comment, 'URGENT'), withPriority(h.solved, '-')], ctx(OPTS));
    expect(out.events.map((e) => [e.type, e.priority])).toEqual([['contact_created', 'high'], ['agent_message', 'urgent'], ['resolved', null]]);
  });

  it('the customer turn: a later reply measures from the first unanswered customer comment', () => {
    const h = hooks();
    const later = (id: string, time: string, commentId: string, author: { id: string; is_staff: boolean }) => ({
      ...h.agent_comment, id, time, event: { comment: { id: commentId, body: '…', is_public: true, author: { ...author, name: 'x' } } },
    });
    const out = mapAll(WEBHOOK, [
      h.created, h.agent_comment,
      later('w-1', '2026-11-24T15:10:00Z', '91010', { id: '9010', is_staff: false }),
      later('w-2', '2026-11-24T15:12:00Z', '91011', { id: '9010', is_staff: false }),
      later('w-3', '2026-11-24T15:40:00Z', '91012', { id: '502', is_staff: true }),
      // a CC'd end user writing is the customer side too
      later('w-4', '2026-11-24T15:50:00Z', '91013', { id: '9999', is_staff: false }),
      later('w-5', '2026-11-24T15:55:00Z', '91014', { id: '502', is_staff: true }),
    ], ctx(OPTS));
    expect(out.events.slice(2).map((e) => [e.event_id, e.response_ms, e.first_response])).toEqual([
      ['zd:2002:comment:91012', 30 * 60_000, false],
      ['zd:2002:comment:91014', 5 * 60_000, false],
    ]);
  });

  it('the ticket id may come from the subject alone; a solved-at-creation ticket is resolved at once', () => {
    const h = hooks();
    const detail: Record<string, unknown> = { ...(h.created.detail as Record<string, unknown>), status: 'SOLVED' };
    delete detail.id;
    const out = mapAll(WEBHOOK, [{ ...h.created, detail }]);
    expect(out.events.map((e) => [e.contact_id, e.type, e.resolution_ms])).toEqual([['2002', 'contact_created', null], ['2002', 'resolved', 0]]);
  });

  it('payloads missing what they need, and trigger webhooks with custom bodies, are rejected with the reason', () => {
    const h = hooks();
    const { time: _time, ...noTime } = h.created;
    const out = mapAll(WEBHOOK, [
      noTime,
      { ...h.created, subject: 'zen:user:9010', detail: {} },
      { ticket_id: '2002', status: 'solved' },
      { type: 'ticket_solved', id: 'x', time: '2026-11-24T15:00:00Z' },
      { ...h.agent_comment, event: { comment: { is_public: true, author: { id: '502', is_staff: true } } } },
      { ...h.created, unknown_top_level: [1, 2], detail: { ...(h.created.detail as object), brand_new: 'x' } },
    ]);
    expect(out.rejected).toEqual([
      { index: 0, reason: 'time: missing or not a timestamp' },
      { index: 1, reason: 'detail.id: required (or subject "zen:ticket:<id>")' },
      { index: 2, reason: 'type: required' },
      { index: 3, reason: 'type: "ticket_solved" is not a Zendesk event payload (zen:event-type:…); webhooks of triggers and automations with custom bodies are not supported' },
      { index: 4, reason: 'event.comment.id: required' },
    ]);
    // unknown fields change nothing
    expect(out.events).toEqual([{ ...created, queue_id: '360002', topic: null }]);
  });
});
