// What one ticket's later records need from its earlier ones. Audits name the requester only
// in the ticket's first audit, and no Zendesk record says whether a reply is the first one or
// which customer message it answers, so the adapter remembers that per ticket in ctx.state
// (bounded and expiring: see MemoryState). Every format reads and writes the same entry, so
// audits, webhooks and metric events of one tenant agree on a ticket's dimensions.
import type { Channel, Direction, Priority } from '@switchboard/events';
import type { MapContext } from '../common';

/** What became of a comment, so a redelivery maps to the very same event. */
export type CommentOutcome =
  | { role: 'agent'; first: boolean; responseMs: number | null }
  | { role: 'customer' }
  | { role: 'opening' };

export interface TicketState {
  /** the ticket's created_at, once any record told it */
  createdAt: number | null;
  /**
   * whether the ticket's creation itself was mapped (Create audit, ticket.created webhook)
   * before any agent reply: only then can the first reply be told from a later one
   */
  historyKnown: boolean;
  requesterId: string | null;
  channel: Channel | null;
  direction: Direction;
  groupId: string | null;
  assigneeId: string | null;
  fieldTopic: string | null;
  tagTopic: string | null;
  status: string | null;
  /** the ticket's priority (low, normal, high, urgent), which SLA policies go by; null: none set */
  priority: Priority | null;
  /** time of the newest record applied, so an old duplicate cannot roll the fields back */
  updatedAt: number;
  /** comment id of the reply mapped as the first response */
  firstReplyComment: string | null;
  /** the first customer comment the agents have not answered yet */
  pendingSince: number | null;
  lastAgentReplyAt: number | null;
  comments: Record<string, CommentOutcome>;
}

/** Per ticket, enough comments to recognise the redeliveries of a busy conversation. */
const MAX_COMMENTS = 32;

const key = (ctx: MapContext, ticketId: string) => `zendesk:${ctx.tenant}:ticket:${ticketId}`;

export function loadTicket(ctx: MapContext, ticketId: string): TicketState | undefined {
  return ctx.state.get<TicketState>(key(ctx, ticketId));
}

export function newTicket(): TicketState {
  return {
    createdAt: null, historyKnown: false, requesterId: null, channel: null, direction: 'inbound',
    groupId: null, assigneeId: null, fieldTopic: null, tagTopic: null, status: null, priority: null, updatedAt: 0,
    firstReplyComment: null, pendingSince: null, lastAgentReplyAt: null, comments: {},
  };
}

export function saveTicket(ctx: MapContext, ticketId: string, s: TicketState): void {
  const ids = Object.keys(s.comments);
  for (let i = 0; i < ids.length - MAX_COMMENTS; i++) delete s.comments[ids[i]!];
  ctx.state.set(key(ctx, ticketId), s);
}

/**
 * The ticket's creation was seen. If an agent reply was mapped before it (an unordered
 * webhook), that reply was not flagged first, and flagging a later one would be wrong.
 */
export function markCreation(s: TicketState, createdAt: number): void {
  s.createdAt = createdAt;
  if (s.lastAgentReplyAt === null) s.historyKnown = true;
}

/** A public comment by the customer side opens (or continues) the customer's turn. */
export function customerComment(s: TicketState, commentId: string, at: number): void {
  if (s.comments[commentId]) return;
  s.comments[commentId] = { role: 'customer' };
  // a late copy of a message an agent has since answered must not reopen the turn
  if (s.lastAgentReplyAt !== null && at < s.lastAgentReplyAt) return;
  if (s.pendingSince === null || at < s.pendingSince) s.pendingSince = at;
}

/**
 * A public agent comment. The first response is measured from the ticket's creation for an
 * inbound ticket (Zendesk's first reply time), and for an outbound one from the customer's
 * first answer; later replies from the start of the customer turn they answer, as Zendesk's
 * reply_time instances do. A reply that answers nothing (a follow-up after the agent's own
 * message) is a touch without response time.
 */
export function agentComment(s: TicketState, commentId: string, at: number): { first: boolean; responseMs: number | null } {
  const seen = s.comments[commentId];
  if (seen?.role === 'agent') return { first: seen.first, responseMs: seen.responseMs };
  let first = false;
  let responseMs: number | null = null;
  const since = s.direction === 'inbound' ? s.createdAt : s.pendingSince;
  if (s.firstReplyComment === null && s.historyKnown && since !== null && at >= since) {
    first = true;
    responseMs = at - since;
    s.firstReplyComment = commentId;
    if (s.pendingSince !== null && at >= s.pendingSince) s.pendingSince = null;
  } else if (s.pendingSince !== null && at >= s.pendingSince) {
    responseMs = at - s.pendingSince;
    s.pendingSince = null;
  }
  s.lastAgentReplyAt = Math.max(s.lastAgentReplyAt ?? at, at);
  s.comments[commentId] = { role: 'agent', first, responseMs };
  return { first, responseMs };
}

/** The ticket's description: neither a customer wait for the outbound case nor an agent touch. */
export function openingComment(s: TicketState, commentId: string, byRequester: boolean, at: number): void {
  if (byRequester) customerComment(s, commentId, at);
  else if (!s.comments[commentId]) s.comments[commentId] = { role: 'opening' };
}
