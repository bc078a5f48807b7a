// Format zendesk-webhook: one event-subscription payload {type "zen:event-type:ticket.…", id,
// time, subject "zen:ticket:<id>", detail{ticket}, event{…}}, the body of one webhook request.
// Every payload carries the ticket (detail), so most of it maps on its own; only "is this
// the first reply" and "which customer message does it answer" need the ticket state.
import type { ContactEvent } from '@switchboard/events';
import { asObject, optString, RecordError, requireString, toEpochMs, type MapContext, type MapResult, type RecordFormat } from '../common';
import { agentOf, ids, SOURCE, ticketEvent } from './events';
import { idOf, objectOr, ticketIdFromSubject } from './fields';
import { zendeskOptions, type ZendeskOptions } from './options';
import { agentComment, customerComment, loadTicket, markCreation, newTicket, openingComment, saveTicket, type TicketState } from './ticket-state';
import { channelOf, directionOf, isResolvedStatus, priorityOf, statusOf, statusTransition, topicFromTags } from './vocabulary';

const TICKET_EVENT = 'zen:event-type:ticket.';
/** a public comment this close to the ticket's creation is its description, not a reply */
const OPENING_WINDOW_MS = 2_000;

/** The ticket snapshot of `detail` into the state; absent keys leave what the state knows. */
function applyDetail(s: TicketState, d: Record<string, unknown>, opts: ZendeskOptions, fresh: boolean): void {
  const put = <K extends keyof TicketState>(k: K, v: TicketState[K]) => {
    if (fresh || s[k] === null) s[k] = v;
  };
  if ('requester_id' in d) put('requesterId', idOf(d.requester_id));
  if ('group_id' in d) put('groupId', idOf(d.group_id));
  if ('assignee_id' in d) put('assigneeId', idOf(d.assignee_id));
  if ('status' in d) put('status', statusOf(d.status));
  if ('priority' in d) put('priority', priorityOf(d.priority));
  if (Array.isArray(d.tags)) put('tagTopic', topicFromTags(d.tags, opts));
  if (s.createdAt === null && d.created_at) s.createdAt = toEpochMs(d.created_at, 'detail.created_at');
  const via = optString(objectOr(d.via).channel);
  if (s.channel === null && via !== null) {
    s.channel = channelOf(via, opts);
    s.direction = directionOf({ via, sourceRel: null, submitterId: idOf(d.submitter_id), requesterId: idOf(d.requester_id) ?? s.requesterId });
  }
}

export function mapWebhook(record: unknown, ctx: MapContext): MapResult {
  const opts = zendeskOptions(ctx.options);
  const p = asObject(record, 'webhook payload');
  const type = requireString(p.type, 'type');
  if (!type.startsWith('zen:event-type:')) {
    throw new RecordError(`type: "${type}" is not a Zendesk event payload (zen:event-type:…); webhooks of triggers and automations with custom bodies are not supported`);
  }
  if (!type.startsWith(TICKET_EVENT)) return { events: [], ignored: 1 }; // user, organization, article… events
  const eventKey = requireString(p.id, 'id');
  const at = toEpochMs(p.time, 'time');
  const detail = objectOr(p.detail);
  const ticketId = idOf(detail.id) ?? ticketIdFromSubject(p.subject);
  if (ticketId === null) throw new RecordError('detail.id: required (or subject "zen:ticket:<id>")');
  const ev = objectOr(p.event);

  const s = loadTicket(ctx, ticketId) ?? newTicket();
  // webhooks come unordered: the state keeps the newest snapshot, while each event is
  // described by its own payload's snapshot (the ticket as it was then), so a redelivery or
  // a late delivery maps to the same dimensions
  const fresh = at >= s.updatedAt;
  applyDetail(s, detail, opts, fresh);
  const view: TicketState = { ...s };
  applyDetail(view, detail, opts, true);
  const out: ContactEvent[] = [];

  switch (type.slice(TICKET_EVENT.length)) {
    case 'created': {
      const createdAt = detail.created_at ? toEpochMs(detail.created_at, 'detail.created_at') : at;
      markCreation(s, createdAt);
      const via = optString(objectOr(detail.via).channel);
      if (via !== null) {
        // the creation names the ticket's channel for good
        s.channel = view.channel = channelOf(via, opts);
        s.direction = view.direction = directionOf({ via, sourceRel: null, submitterId: idOf(detail.submitter_id), requesterId: view.requesterId });
      }
      out.push(ticketEvent(ctx, opts, ticketId, view, { id: ids.created(ticketId), type: 'contact_created', at: createdAt }));
      if (isResolvedStatus(statusOf(detail.status))) {
        out.push(ticketEvent(ctx, opts, ticketId, view, { id: ids.webhook(ticketId, eventKey, 'resolved'), type: 'resolved', at: createdAt, resolution_ms: 0 }));
      }
      break;
    }
    case 'comment_added': {
      const c = objectOr(ev.comment);
      if (c.is_public !== true) break; // internal notes
      const commentId = requireString(c.id, 'event.comment.id');
      const author = objectOr(c.author);
      const by = idOf(author.id);
      if (s.comments[commentId]?.role === 'opening') break;
      if (s.createdAt !== null && Math.abs(at - s.createdAt) <= OPENING_WINDOW_MS && !s.comments[commentId]) {
        openingComment(s, commentId, by !== null && by === view.requesterId, at);
        break;
      }
      // the payload says who is staff; the requester's own comments are the customer's even if staff
      let isAgent: boolean;
      if (by !== null && by === view.requesterId) isAgent = false;
      else if (typeof author.is_staff === 'boolean') isAgent = author.is_staff;
      else if (by !== null && view.requesterId !== null) isAgent = true;
      else break; // no author role and no requester to compare with
      if (!isAgent) {
        customerComment(s, commentId, at);
        break;
      }
      const r = agentComment(s, commentId, at);
      out.push(ticketEvent(ctx, opts, ticketId, view, {
        id: r.first ? ids.firstReply(ticketId) : ids.comment(ticketId, commentId),
        type: 'agent_message', at, agent_id: agentOf(by, opts), response_ms: r.responseMs, first_response: r.first,
      }));
      break;
    }
    case 'status_changed': {
      const change = statusTransition(statusOf(ev.previous), statusOf(ev.current) ?? statusOf(detail.status));
      if (change === 'resolved') {
        out.push(ticketEvent(ctx, opts, ticketId, view, {
          id: ids.webhook(ticketId, eventKey, 'resolved'), type: 'resolved', at,
          agent_id: agentOf(view.assigneeId ?? idOf(detail.actor_id), opts),
          resolution_ms: view.createdAt === null ? null : Math.max(0, at - view.createdAt),
        }));
      } else if (change === 'reopened') {
        out.push(ticketEvent(ctx, opts, ticketId, view, { id: ids.webhook(ticketId, eventKey, 'reopened'), type: 'reopened', at }));
      }
      break;
    }
    case 'group_assignment_changed': {
      const from = idOf(ev.previous);
      const to = idOf(ev.current) ?? view.groupId;
      if (from !== null && to !== null && from !== to) {
        out.push(ticketEvent(ctx, opts, ticketId, { ...view, groupId: to }, { id: ids.webhook(ticketId, eventKey, 'transferred'), type: 'transferred', at }));
      }
      break;
    }
    default:
      break; // assignment, priority, tags… changes: their detail updated the state above
  }

  if (fresh) s.updatedAt = at;
  saveTicket(ctx, ticketId, s);
  return { events: out, ignored: out.length === 0 ? 1 : 0 };
}

export const webhookFormat: RecordFormat = {
  name: 'zendesk-webhook',
  vendor: 'zendesk',
  source: SOURCE,
  description: 'Zendesk webhook event payloads (zen:event-type:ticket.*), one per line: created, comment_added, status_changed, group_assignment_changed',
  map: mapWebhook,
};
