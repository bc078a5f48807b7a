// Conversation detail record → contact events. Genesys upserts the record until the
// conversation ends, so the same conversation arrives many times, each time with more
// segments and metrics. Every event is therefore derived only from what is already final in
// the record (an ended segment, an emitted metric) and named by the session it belongs to:
// a re-sent or grown record yields the same events with the same values, plus the new ones.
import type { Channel, ContactEvent, ContactEventInit, Direction } from '@switchboard/events';
import { RecordError, adapterEvent, type MapContext, type MapResult } from '../common';
import { customerAddress, customerKey } from './customer';
import { SOURCE, addressKey, channelOf, directionOf, isContactMedia, isTransferDisconnect } from './enums';
import { createdId, messageId, sessionFactId, surveyId } from './ids';
import { genesysOptions, queueName, wrapupName, type GenesysOptions } from './options';
import { metric, parseConversation, type ConversationRecord, type Participant, type Segment, type Session } from './record';

interface Leg {
  p: Participant;
  s: Session;
  sessionId: string;
  /** start of the first interact segment: when the agent was connected */
  connectedAt: number;
  queueId: string | null;
}

interface Ctx {
  c: ConversationRecord;
  tenant: string;
  opts: GenesysOptions;
  channel: Channel;
  direction: Direction;
  customerId: string | null;
  out: ContactEvent[];
}

const durationOf = (segs: Segment[]) => segs.reduce((n, g) => n + Math.max(0, (g.end ?? g.start) - g.start), 0);
const firstQueue = (s: Session) => s.segments.find((g) => g.queueId !== null)?.queueId ?? null;
const sessionChannel = (x: Ctx, s: Session) => channelOf(s.mediaType, s.messageType) ?? x.channel;

function requireSessionId(s: Session): string {
  if (s.sessionId === null) throw new RecordError(`${s.path}.sessionId: required`);
  return s.sessionId;
}

function emit(x: Ctx, init: Omit<ContactEventInit, 'tenant_id' | 'contact_id' | 'source' | 'direction' | 'channel'> & { channel?: Channel }): void {
  x.out.push(adapterEvent({
    tenant_id: x.tenant,
    contact_id: x.c.conversationId,
    source: SOURCE,
    direction: x.direction,
    customer_id: x.customerId,
    ...init,
    channel: init.channel ?? x.channel,
  }));
}

function customerOf(c: ConversationRecord): Participant | undefined {
  return c.participants.find((p) => p.purpose === 'customer') ?? c.participants.find((p) => p.purpose === 'external');
}

function contactSessions(ps: Participant[]): Session[] {
  return ps.flatMap((p) => p.sessions.filter((s) => isContactMedia(s.mediaType)));
}

function customerIdOf(tenant: string, customer: Participant | undefined, direction: Direction): string | null {
  if (!customer) return null;
  for (const s of customer.sessions) {
    const raw = customerAddress(s, direction);
    if (raw !== null) return customerKey(tenant, raw);
  }
  return customerKey(tenant, addressKey(customer.externalContactId));
}

/** The agent sessions that were connected to the customer, in the order they connected. */
function agentLegs(c: ConversationRecord): Leg[] {
  const legs: Leg[] = [];
  for (const p of c.participants) {
    if (p.purpose !== 'agent') continue;
    for (const s of p.sessions) {
      if (!isContactMedia(s.mediaType)) continue;
      const interact = s.segments.find((g) => g.type === 'interact');
      // an agent who was only alerted (no answer, tNotResponding) handled nothing
      if (!interact) continue;
      legs.push({ p, s, sessionId: requireSessionId(s), connectedAt: interact.start, queueId: firstQueue(s) });
    }
  }
  return legs.sort((a, b) => a.connectedAt - b.connectedAt);
}

/** queued, then answered or abandoned, for each visit to a queue (one acd session each). */
function mapQueueVisits(x: Ctx, legs: Leg[]): void {
  const visits = x.c.participants
    .filter((p) => p.purpose === 'acd')
    .flatMap((p) => p.sessions.filter((s) => isContactMedia(s.mediaType) && (s.segments.length > 0 || metric(s, 'nOffered'))))
    .map((s) => ({ s, startAt: s.segments[0]?.start ?? metric(s, 'nOffered')!.at }))
    .filter((v): v is { s: Session; startAt: number } => v.startAt !== null)
    .sort((a, b) => a.startAt - b.startAt);
  const taken = new Set<Leg>();
  for (const { s, startAt } of visits) {
    const sessionId = requireSessionId(s);
    const qid = firstQueue(s);
    const queue_id = queueName(x.opts, qid);
    const channel = sessionChannel(x, s);
    const queuedAt = metric(s, 'nOffered')?.at ?? startAt;
    emit(x, { event_id: sessionFactId(x.c.conversationId, sessionId, 'queued'), type: 'queued', occurred_at: queuedAt, channel, queue_id });

    const last = s.segments[s.segments.length - 1];
    const lastEnd = last?.end ?? null;
    const ended = lastEnd !== null && (last!.disconnect !== '' || x.c.end !== null);
    const tAbandon = metric(s, 'tAbandon');
    if (tAbandon) {
      const at = tAbandon.at ?? lastEnd;
      if (at !== null) emit(x, { event_id: sessionFactId(x.c.conversationId, sessionId, 'abandoned'), type: 'abandoned', occurred_at: at, channel, queue_id, wait_ms: tAbandon.value });
      continue;
    }
    // a flow-out left the queue for a flow (voicemail, another routing step): offered, neither
    // answered nor abandoned, as Genesys counts it
    if (metric(s, 'tFlowOut')) continue;

    const leg = legs
      .filter((l) => !taken.has(l) && l.connectedAt >= startAt && (l.queueId === null || qid === null || l.queueId === qid) && l.s.mediaType === s.mediaType)
      .at(0);
    const tAnswered = leg ? metric(leg.s, 'tAnswered') : null;
    if (leg && (ended || tAnswered)) {
      taken.add(leg);
      const wait = tAnswered?.value ?? metric(s, 'tAcd')?.value ?? Math.max(0, leg.connectedAt - queuedAt);
      emit(x, {
        event_id: sessionFactId(x.c.conversationId, sessionId, 'answered'), type: 'answered', occurred_at: leg.connectedAt, channel,
        queue_id, agent_id: leg.p.userId, team_id: leg.p.teamId, wait_ms: wait,
      });
    } else if (ended && last!.disconnect === 'peer') {
      // the customer hung up in queue but the record carries no tAbandon (metrics not exported)
      emit(x, { event_id: sessionFactId(x.c.conversationId, sessionId, 'abandoned'), type: 'abandoned', occurred_at: lastEnd!, channel, queue_id, wait_ms: Math.max(0, lastEnd! - queuedAt) });
    }
  }
}

/** contact_ended, transferred and wrapup_completed of each connected agent session. */
function mapAgentLeg(x: Ctx, leg: Leg): void {
  const { s, p, sessionId } = leg;
  const conn = s.segments.filter((g) => g.type === 'interact' || g.type === 'hold');
  const wraps = s.segments.filter((g) => g.type === 'wrapup');
  const lastConn = conn[conn.length - 1];
  if (!lastConn || conn.some((g) => g.end === null)) return;
  const tTalkComplete = metric(s, 'tTalkComplete');
  const over = wraps.length > 0 || lastConn.disconnect !== '' || tTalkComplete !== null || x.c.end !== null;
  if (!over) return; // between two segments of a call still going on

  const common = { channel: sessionChannel(x, s), queue_id: queueName(x.opts, leg.queueId), agent_id: p.userId, team_id: p.teamId };
  const connEnd = Math.max(...conn.map((g) => g.end!));
  const talk = tTalkComplete?.value ?? durationOf(conn.filter((g) => g.type === 'interact'));
  const hold = metric(s, 'tHeldComplete')?.value ?? durationOf(conn.filter((g) => g.type === 'hold'));
  emit(x, { ...common, event_id: sessionFactId(x.c.conversationId, sessionId, 'ended'), type: 'contact_ended', occurred_at: connEnd, talk_ms: talk, hold_ms: hold });

  const nTransferred = metric(s, 'nTransferred');
  if ((nTransferred && nTransferred.value > 0) || s.segments.some((g) => isTransferDisconnect(g.disconnect))) {
    emit(x, { ...common, event_id: sessionFactId(x.c.conversationId, sessionId, 'transferred'), type: 'transferred', occurred_at: nTransferred?.at ?? connEnd });
  }

  const tAcw = metric(s, 'tAcw');
  const wrap = wraps[wraps.length - 1];
  let acw: number;
  let at: number;
  let code: string | null = null;
  if (wrap) {
    if (wrap.end === null) return; // still wrapping up
    acw = tAcw?.value ?? wrap.end - wrap.start;
    at = wrap.end;
    code = wrap.wrapUpCode;
  } else {
    // no wrap-up segment: after-call work skipped or not required; tHandle marks the end of
    // handling, and a finished conversation will not grow one any more
    const tHandle = metric(s, 'tHandle');
    if (!tHandle && x.c.end === null) return;
    acw = tAcw?.value ?? 0;
    at = tHandle?.at ?? connEnd;
  }
  // handle = talk + hold + acw, the definition in docs/kpis.md and Genesys's own for tHandle; computed
  // from the same parts as contact_ended so the talk/hold/acw means add up to AHT
  emit(x, {
    ...common, event_id: sessionFactId(x.c.conversationId, sessionId, 'wrapup'), type: 'wrapup_completed', occurred_at: at,
    acw_ms: acw, handle_ms: talk + hold + acw, resolution_code: wrapupName(x.opts, code),
  });
}

/**
 * Agent replies on async channels, from tAgentResponseTime (emitted once per reply, valued
 * the time since the customer's message). The conversation's earliest is its first response.
 */
function mapAgentReplies(x: Ctx, legs: Leg[]): void {
  const replies = legs
    .filter((l) => sessionChannel(x, l.s) !== 'voice')
    .flatMap((l) => l.s.metrics.filter((m) => m.name === 'tAgentResponseTime' && m.at !== null).map((m) => ({ l, at: m.at!, value: m.value })));
  if (replies.length === 0) return;
  const first = Math.min(...replies.map((r) => r.at));
  const seen = new Map<string, number>();
  let firstTaken = false;
  for (const r of replies) {
    const key = `${r.l.sessionId}\u0000${r.at}`;
    const nth = seen.get(key) ?? 0;
    seen.set(key, nth + 1);
    const isFirst = !firstTaken && r.at === first;
    if (isFirst) firstTaken = true;
    emit(x, {
      event_id: messageId(x.c.conversationId, r.l.sessionId, r.at, nth), type: 'agent_message', occurred_at: r.at,
      channel: sessionChannel(x, r.l.s), queue_id: queueName(x.opts, r.l.queueId), agent_id: r.l.p.userId, team_id: r.l.p.teamId,
      response_ms: r.value, first_response: isFirst,
    });
  }
}

// a survey counts once answered; pending, sent, opted-out or expired ones carry no answer
const ANSWERED_SURVEY = new Set(['finished', 'completed', '']);

function mapSurveys(x: Ctx): void {
  for (const v of x.c.surveys) {
    if (v.promoterScore === undefined || v.promoterScore === null || !ANSWERED_SURVEY.has(v.status) || v.completedAt === null) continue;
    const score = Number(v.promoterScore);
    if (!Number.isFinite(score) || score < 0 || score > 10) throw new RecordError(`${v.path}.surveyPromoterScore: must be a number from 0 to 10`);
    emit(x, {
      event_id: surveyId(x.c.conversationId, v.surveyId ?? String(v.index)), type: 'survey_response', occurred_at: v.completedAt,
      queue_id: queueName(x.opts, v.queueId), agent_id: v.userId, survey_kind: 'nps', score, scale_min: 0, scale_max: 10,
    });
  }
}

export function mapConversation(record: unknown, ctx: MapContext): MapResult {
  const c = parseConversation(record);
  const customer = customerOf(c);
  const acd = c.participants.filter((p) => p.purpose === 'acd');
  // no customer and no queue: an internal call between users, not a contact
  if (!customer && acd.length === 0) return { events: [], ignored: 1 };
  const media = [...contactSessions(customer ? [customer] : []), ...contactSessions(acd), ...contactSessions(c.participants.filter((p) => p.purpose === 'agent'))][0];
  // only cobrowse / screen-share sessions: nothing a contact-center KPI counts
  if (!media) return { events: [], ignored: 1 };
  const direction = directionOf(c.originatingDirection) ?? directionOf(customer?.sessions[0]?.direction);
  if (direction === null) throw new RecordError('originatingDirection: required (inbound or outbound)');

  const x: Ctx = {
    c, tenant: ctx.tenant, opts: genesysOptions(ctx), direction, out: [],
    channel: channelOf(media.mediaType, media.messageType)!,
    customerId: customerIdOf(ctx.tenant, customer, direction),
  };
  // outbound dialling is agent work, not a contact arriving: it feeds handle time, not `created`
  if (customer && direction === 'inbound') emit(x, { event_id: createdId(c.conversationId), type: 'contact_created', occurred_at: c.start });
  const legs = agentLegs(c);
  mapQueueVisits(x, legs);
  mapAgentReplies(x, legs);
  for (const leg of legs) mapAgentLeg(x, leg);
  mapSurveys(x);
  // stable sort: per contact, the order things happened (the Kafka key keeps it)
  x.out.sort((a, b) => a.occurred_at - b.occurred_at);
  return { events: x.out, ignored: 0 };
}
