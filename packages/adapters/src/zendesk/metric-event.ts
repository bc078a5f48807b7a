// Format zendesk-ticket-metric-event: one ticket metric event {id, ticket_id, metric,
// instance_id, type, time, status?} per record, as GET /api/v2/incremental/ticket_metric_events
// exports them. Only the first reply time is taken: reply_time instance 1 runs from the
// ticket's creation (activate) to the first public agent reply (fulfill). Later reply_time
// instances would count the same replies the audits and webhooks already count, under ids
// those cannot know, so they are left to those feeds; the first reply shares its id with
// theirs and counts once whichever feed brings it.
import { asObject, optString, RecordError, requireString, toEpochMs, type MapContext, type MapResult, type RecordFormat } from '../common';
import { ids, SOURCE, ticketEvent } from './events';
import { objectOr, PAGE_HINT } from './fields';
import { zendeskOptions } from './options';
import { loadTicket, newTicket } from './ticket-state';

interface FirstReplyClock {
  activatedAt: number | null;
  fulfilledAt: number | null;
  emitted: boolean;
}

const key = (ctx: MapContext, ticketId: string) => `zendesk:${ctx.tenant}:reply1:${ticketId}`;

export function mapMetricEvent(record: unknown, ctx: MapContext): MapResult {
  const opts = zendeskOptions(ctx.options);
  const m = asObject(record, 'ticket metric event');
  if (m.ticket_id === undefined && Array.isArray(m.ticket_metric_events)) throw new RecordError(PAGE_HINT('ticket_metric_events'));
  requireString(m.id, 'id');
  const ticketId = requireString(m.ticket_id, 'ticket_id');
  const metric = requireString(m.metric, 'metric');
  const type = requireString(m.type, 'type');
  const at = toEpochMs(m.time, 'time');
  if (metric !== 'reply_time' || optString(m.instance_id) !== '1' || !['activate', 'fulfill', 'update_status'].includes(type)) {
    return { events: [], ignored: 1 };
  }
  const ticket = loadTicket(ctx, ticketId);
  // the audits or webhooks of this ticket already mapped its first reply
  if (ticket?.firstReplyComment) return { events: [], ignored: 1 };
  const clock = ctx.state.get<FirstReplyClock>(key(ctx, ticketId)) ?? { activatedAt: null, fulfilledAt: null, emitted: false };
  let responseMs: number | null = null;
  let occurred = at;
  if (type === 'activate') {
    // a re-activation (un-pause) keeps the clock's start
    clock.activatedAt = clock.activatedAt === null ? at : Math.min(clock.activatedAt, at);
  } else if (type === 'fulfill') {
    clock.fulfilledAt = at;
    if (clock.activatedAt !== null && at >= clock.activatedAt) responseMs = at - clock.activatedAt;
  } else {
    // update_status states the fulfilled metric in whole minutes: the fallback when the
    // activate event was not seen (an export starting after the ticket's creation, a restart)
    const minutes = objectOr(m.status).calendar;
    if (clock.fulfilledAt !== null && clock.activatedAt !== null) responseMs = clock.fulfilledAt - clock.activatedAt;
    else if (typeof minutes === 'number' && Number.isFinite(minutes) && minutes >= 0) responseMs = Math.round(minutes * 60_000);
    occurred = clock.fulfilledAt ?? at;
  }
  const emit = responseMs !== null && !clock.emitted;
  if (emit) clock.emitted = true;
  ctx.state.set(key(ctx, ticketId), clock);
  if (!emit) return { events: [], ignored: 1 };
  // metric events name no group, agent or channel: whatever the ticket state knows, else defaults
  const s = ticket ?? newTicket();
  return {
    events: [ticketEvent(ctx, opts, ticketId, s, {
      id: ids.firstReply(ticketId), type: 'agent_message', at: occurred, agent_id: null, response_ms: responseMs, first_response: true,
    })],
    ignored: 0,
  };
}

export const metricEventFormat: RecordFormat = {
  name: 'zendesk-ticket-metric-event',
  vendor: 'zendesk',
  source: SOURCE,
  description: 'Zendesk ticket metric events, one per line (GET /api/v2/incremental/ticket_metric_events): first reply time (reply_time instance 1)',
  map: mapMetricEvent,
};
