// Normalized events of one ticket, with the dimensions the ticket state holds.
import type { ContactEvent, ContactEventInit } from '@switchboard/events';
import { adapterEvent, eventId, pseudonymize, type MapContext } from '../common';
import type { ZendeskOptions } from './options';
import type { TicketState } from './ticket-state';

export const SOURCE = 'zendesk';
export const ID_PREFIX = 'zd';

/** Ids shared by every format, so a webhook and a backfill of the same fact coincide. */
export const ids = {
  created: (ticket: string) => eventId(ID_PREFIX, ticket, 'created'),
  /** one per ticket, whichever feed (audit, webhook, metric event) finds it first */
  firstReply: (ticket: string) => eventId(ID_PREFIX, ticket, 'first_reply'),
  /** Zendesk's comment id is the same in the audit (Comment event id) and the webhook (event.comment.id) */
  comment: (ticket: string, comment: string) => eventId(ID_PREFIX, ticket, 'comment', comment),
  /** one rating per ticket in Zendesk; a changed rating keeps the id, so the first answer counts */
  csat: (ticket: string) => eventId(ID_PREFIX, ticket, 'csat'),
  /** status changes and transfers: per audit, or per webhook event */
  audit: (ticket: string, audit: string, what: string) => eventId(ID_PREFIX, ticket, 'audit', audit, what),
  webhook: (ticket: string, event: string, what: string) => eventId(ID_PREFIX, ticket, 'wh', event, what),
};

export const queueOf = (groupId: string | null, opts: ZendeskOptions): string | null => (groupId === null ? null : opts.groups[groupId] ?? groupId);
export const agentOf = (userId: string | null, opts: ZendeskOptions): string | null => (userId === null ? null : opts.agents[userId] ?? userId);

type Measures = Omit<ContactEventInit, 'event_id' | 'tenant_id' | 'contact_id' | 'type' | 'occurred_at' | 'channel' | 'direction' | 'source'>;

export function ticketEvent(
  ctx: MapContext,
  opts: ZendeskOptions,
  ticketId: string,
  s: TicketState,
  e: { id: string; type: ContactEvent['type']; at: number } & Measures,
): ContactEvent {
  const { id, type, at, ...measures } = e;
  return adapterEvent({
    event_id: id,
    tenant_id: ctx.tenant,
    contact_id: ticketId,
    type,
    occurred_at: at,
    channel: s.channel ?? opts.defaultChannel,
    direction: s.direction,
    queue_id: queueOf(s.groupId, opts),
    agent_id: agentOf(s.assigneeId, opts),
    customer_id: s.requesterId === null ? null : pseudonymize(ctx.tenant, s.requesterId),
    topic: s.fieldTopic ?? s.tagTopic,
    // a state remembered before the field existed has none
    priority: s.priority ?? null,
    source: SOURCE,
    ...measures,
  });
}
