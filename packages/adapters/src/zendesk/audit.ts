// Format zendesk-ticket-audit: one ticket audit {id, ticket_id, created_at, author_id, via,
// events[]} per record, as GET /api/v2/tickets/{id}/audits or /api/v2/ticket_audits list them.
import type { ContactEvent } from '@switchboard/events';
import { asObject, optString, requireString, RecordError, toEpochMs, type MapContext, type MapResult, type RecordFormat } from '../common';
import { agentOf, ids, SOURCE, ticketEvent } from './events';
import { idOf, isObject, objectOr, PAGE_HINT } from './fields';
import { zendeskOptions, type ZendeskOptions } from './options';
import { satisfactionScore } from './satisfaction';
import { agentComment, customerComment, loadTicket, markCreation, newTicket, openingComment, saveTicket, type TicketState } from './ticket-state';
import { channelOf, directionOf, isResolvedStatus, priorityOf, statusOf, statusTransition, topicFromField, topicFromTags } from './vocabulary';

type AuditEvent = Record<string, unknown>;

/** Ticket fields an audit's Create / Change events set (custom fields are named by their id). */
function applyField(s: TicketState, name: string, value: unknown, opts: ZendeskOptions, onlyIfUnset: boolean): void {
  const put = <K extends keyof TicketState>(k: K, v: TicketState[K]) => {
    if (!onlyIfUnset || s[k] === null) s[k] = v;
  };
  if (name === 'requester_id') put('requesterId', idOf(value));
  else if (name === 'group_id') put('groupId', idOf(value));
  else if (name === 'assignee_id') put('assigneeId', idOf(value));
  else if (name === 'tags') put('tagTopic', topicFromTags(value, opts));
  else if (name === 'status') put('status', statusOf(value));
  else if (name === 'priority') put('priority', priorityOf(value));
  else if (opts.topicField !== null && name === opts.topicField) put('fieldTopic', topicFromField(value));
}

export function mapAudit(record: unknown, ctx: MapContext): MapResult {
  const opts = zendeskOptions(ctx.options);
  const a = asObject(record, 'audit');
  if (a.ticket_id === undefined && Array.isArray(a.audits)) throw new RecordError(PAGE_HINT('audits'));
  const auditId = requireString(a.id, 'id');
  const ticketId = requireString(a.ticket_id, 'ticket_id');
  const at = toEpochMs(a.created_at, 'created_at');
  if (!Array.isArray(a.events)) throw new RecordError('events: must be an array');
  const items: AuditEvent[] = a.events.filter(isObject);
  const author = optString(a.author_id);
  const via = objectOr(a.via);

  const known = loadTicket(ctx, ticketId);
  const s = known ?? newTicket();
  // an audit older than what the state already holds (a duplicate line, an unsorted file)
  // still maps its own changes, but must not roll the ticket's fields back
  const fresh = at >= s.updatedAt;
  const out: ContactEvent[] = [];
  const creates = items.filter((e) => e.type === 'Create');
  const isCreation = creates.length > 0;

  if (isCreation) {
    const value = (name: string) => creates.find((e) => e.field_name === name)?.value;
    // a ticket submitted by its requester carries no requester_id Create event in some exports
    const requester = idOf(value('requester_id')) ?? author;
    const viaChannel = optString(via.channel);
    // the contact_created event describes the ticket as created, whatever the state learnt since
    const view: TicketState = { ...newTicket(), requesterId: requester };
    for (const e of creates) applyField(view, String(e.field_name), e.value, opts, false);
    view.requesterId = requester;
    view.channel = channelOf(viaChannel, opts);
    view.direction = directionOf({ via: viaChannel, sourceRel: optString(objectOr(via.source).rel), submitterId: author, requesterId: requester });
    for (const e of creates) applyField(s, String(e.field_name), e.value, opts, !fresh);
    if (s.requesterId === null) s.requesterId = requester;
    s.channel = view.channel;
    s.direction = view.direction;
    markCreation(s, at);
    out.push(ticketEvent(ctx, opts, ticketId, view, { id: ids.created(ticketId), type: 'contact_created', at }));
    if (isResolvedStatus(view.status)) {
      out.push(ticketEvent(ctx, opts, ticketId, view, { id: ids.audit(ticketId, auditId, 'resolved'), type: 'resolved', at, resolution_ms: 0 }));
    }
  }

  // field changes first, so every event of the audit carries the ticket as the update left it
  const statusBefore = s.status;
  if (fresh) for (const e of items) if (e.type === 'Change' && e.field_name !== 'status') applyField(s, String(e.field_name), e.value, opts, false);

  let status = statusBefore;
  items.forEach((e, i) => {
    switch (e.type) {
      case 'Comment': {
        if (e.public !== true) return; // internal notes are no customer touch
        const commentId = requireString(e.id, `events[${i}].id`);
        const by = optString(e.author_id) ?? author;
        if (isCreation) {
          openingComment(s, commentId, by !== null && by === s.requesterId, at);
          return;
        }
        // audits do not say who is an agent: anyone but the requester answering publicly is
        // taken for one; without the requester (ticket created before the export) it is unknown
        if (by === null || s.requesterId === null || s.comments[commentId]?.role === 'opening') return;
        if (by === s.requesterId) {
          customerComment(s, commentId, at);
          return;
        }
        const r = agentComment(s, commentId, at);
        out.push(ticketEvent(ctx, opts, ticketId, s, {
          id: r.first ? ids.firstReply(ticketId) : ids.comment(ticketId, commentId),
          type: 'agent_message', at, agent_id: agentOf(by, opts), response_ms: r.responseMs, first_response: r.first,
        }));
        return;
      }
      case 'Change': {
        if (e.field_name === 'status') {
          const next = statusOf(e.value);
          const change = statusTransition(statusOf(e.previous_value) ?? status, next);
          status = next ?? status;
          if (change === 'resolved') {
            out.push(ticketEvent(ctx, opts, ticketId, s, {
              id: ids.audit(ticketId, auditId, 'resolved'), type: 'resolved', at,
              agent_id: agentOf(s.assigneeId ?? author, opts),
              resolution_ms: s.createdAt === null ? null : Math.max(0, at - s.createdAt),
            }));
          } else if (change === 'reopened') {
            out.push(ticketEvent(ctx, opts, ticketId, s, { id: ids.audit(ticketId, auditId, 'reopened'), type: 'reopened', at }));
          }
        } else if (e.field_name === 'group_id') {
          const from = idOf(e.previous_value);
          const to = idOf(e.value);
          // moving a ticket to another group is Zendesk's transfer to another queue
          if (from !== null && to !== null && from !== to) {
            out.push(ticketEvent(ctx, opts, ticketId, { ...s, groupId: to }, { id: ids.audit(ticketId, auditId, 'transferred'), type: 'transferred', at }));
          }
        }
        return;
      }
      case 'SatisfactionRating': {
        const score = satisfactionScore(e.score, `events[${i}].score`);
        if (score === null) return;
        out.push(ticketEvent(ctx, opts, ticketId, s, {
          id: ids.csat(ticketId), type: 'survey_response', at,
          agent_id: agentOf(idOf(e.assignee_id) ?? s.assigneeId, opts),
          survey_kind: 'csat', score, scale_min: 0, scale_max: 1,
        }));
        return;
      }
      default:
        return; // notifications, CCs, voice comments, SLA and macro references…
    }
  });

  if (fresh) {
    s.status = status;
    s.updatedAt = at;
  }
  saveTicket(ctx, ticketId, s);
  return { events: out, ignored: out.length === 0 ? 1 : 0 };
}

export const auditFormat: RecordFormat = {
  name: 'zendesk-ticket-audit',
  vendor: 'zendesk',
  source: SOURCE,
  description: 'Zendesk ticket audits, one audit per line (GET /api/v2/tickets/{id}/audits), oldest first: created, agent replies (first reply), resolved, reopened, group transfers, CSAT',
  map: mapAudit,
};
