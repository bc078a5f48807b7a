// Format zendesk-satisfaction-rating: one rating {id, ticket_id, assignee_id, group_id,
// requester_id, score, created_at, updated_at} per record, as GET /api/v2/satisfaction_ratings
// lists them. Also the score reading shared with the audits' SatisfactionRating events.
import { asObject, optString, RecordError, requireString, toEpochMs, type MapContext, type MapResult, type RecordFormat } from '../common';
import { ids, SOURCE, ticketEvent } from './events';
import { idOf, PAGE_HINT } from './fields';
import { zendeskOptions } from './options';
import { loadTicket, newTicket } from './ticket-state';

/**
 * Zendesk's CSAT is binary. good → 1 and bad → 0 on the scale 0..1, so the top-two-box rule
 * (the top quarter of the scale) counts exactly the good ratings as satisfied and csat_mean is
 * the share of good. offered / unoffered are surveys without an answer: null.
 */
export function satisfactionScore(value: unknown, field: string, strict = false): 1 | 0 | null {
  const v = typeof value === 'string' ? value.trim().toLowerCase() : '';
  if (v === 'good') return 1;
  if (v === 'bad') return 0;
  if (v === 'offered' || v === 'unoffered' || !strict) return null;
  throw new RecordError(`${field}: "${String(value)}" is not a rating (good, bad, offered, unoffered)`);
}

export function mapSatisfactionRating(record: unknown, ctx: MapContext): MapResult {
  const opts = zendeskOptions(ctx.options);
  const r = asObject(record, 'satisfaction rating');
  if (r.ticket_id === undefined && Array.isArray(r.satisfaction_ratings)) throw new RecordError(PAGE_HINT('satisfaction_ratings'));
  const ticketId = requireString(r.ticket_id, 'ticket_id');
  if (r.score === undefined || r.score === null) throw new RecordError('score: required');
  const score = satisfactionScore(r.score, 'score', true);
  if (score === null) return { events: [], ignored: 1 };
  // the record exists from the moment the survey is offered; updated_at is when it was answered
  const at = r.updated_at !== undefined && r.updated_at !== null && r.updated_at !== '' ? toEpochMs(r.updated_at, 'updated_at') : toEpochMs(r.created_at, 'created_at');
  const known = loadTicket(ctx, ticketId);
  // the rating names group, assignee and requester at rating time; channel and topic only the ticket knows
  const view = { ...(known ?? newTicket()) };
  const group = idOf(r.group_id);
  const assignee = idOf(r.assignee_id);
  const requester = idOf(r.requester_id);
  if (group !== null) view.groupId = group;
  if (assignee !== null) view.assigneeId = assignee;
  if (requester !== null) view.requesterId = requester;
  const ratingId = optString(r.id);
  return {
    events: [ticketEvent(ctx, opts, ticketId, view, {
      id: ids.csat(ticketId), type: 'survey_response', at,
      survey_kind: 'csat', score, scale_min: 0, scale_max: 1,
      ...(ratingId === null ? {} : { attributes: { zendesk_rating_id: ratingId } }),
    })],
    ignored: 0,
  };
}

export const satisfactionRatingFormat: RecordFormat = {
  name: 'zendesk-satisfaction-rating',
  vendor: 'zendesk',
  source: SOURCE,
  description: 'Zendesk satisfaction ratings, one per line (GET /api/v2/satisfaction_ratings): good/bad → CSAT 1/0 on the scale 0..1',
  map: mapSatisfactionRating,
};
