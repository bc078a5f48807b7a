// Analytics detail events (topic v2.detail.events.conversation.{id}.<kind>), as the
// notification service delivers them ({topicName, eventBody}) or as the Amazon EventBridge
// integration wraps them ({"detail-type", detail: {topicName, eventBody, metadata}}). They
// carry no event id and no totals: a fact is named by its session (ids.ts), and the two
// things one event cannot tell are remembered in ctx.state: when an acd session started
// (wait, if acd.end lacks connectedDurationMs) and an agent session's talk and hold (handle
// time, which the acw event needs but only user.end carries).
import type { ContactEventInit, Direction } from '@switchboard/events';
import { RecordError, adapterEvent, asObject, optString, requireString, toEpochMs, type MapContext, type MapResult } from '../common';
import { customerAddress, customerKey } from './customer';
import { SOURCE, addressKey, channelOf, directionOf, isTransferDisconnect, msValue, norm, optMs } from './enums';
import { createdId, sessionFactId } from './ids';
import { genesysOptions, queueName, wrapupName } from './options';

export interface DetailEvent {
  topic: string;
  /** what follows the conversation id in the topic: acd.start, acd.end, acw, user.end… */
  kind: string | null;
  body: Record<string, unknown>;
}

const TOPIC = /^v2\.detail\.events\.conversation\.([^.]+)\.(.+)$/i;

/** Takes either envelope apart; throws when the record is neither. */
export function unwrapDetailEvent(record: unknown): DetailEvent {
  const r = asObject(record, 'event');
  const eb = r.detail && typeof r.detail === 'object' ? (r.detail as Record<string, unknown>) : null;
  const inner = eb ?? r;
  // EventBridge's detail-type names the topic with a literal {id}; detail.topicName has the real one
  const topic = optString(inner.topicName) ?? optString(r['detail-type']) ?? optString(r.topicName);
  if (topic === null) throw new RecordError('topicName: required (a notification {topicName, eventBody} or an EventBridge event {detail-type, detail})');
  const kind = TOPIC.exec(topic)?.[2]?.toLowerCase() ?? null;
  if (kind === null) return { topic, kind, body: {} };
  return { topic, kind, body: asObject(inner.eventBody, 'eventBody') };
}

/** true for what looks like a detail event (or any notification) rather than a detail record */
export function isNotification(record: unknown): boolean {
  if (!record || typeof record !== 'object' || Array.isArray(record)) return false;
  const r = record as Record<string, unknown>;
  return 'topicName' in r || 'eventBody' in r || 'detail-type' in r || ('detail' in r && 'source' in r);
}

interface AcdStarted { at: number }
interface LegTimes { talk: number; hold: number }
const acdKey = (conv: string, session: string) => `genesys:acd:${conv}:${session}`;
const legKey = (conv: string, session: string) => `genesys:leg:${conv}:${session}`;

// the record's fallback is the customer participant's externalContactId: the same contact
function externalContact(b: Record<string, unknown>): string | null {
  const list = Array.isArray(b.conversationExternalContactIds) ? b.conversationExternalContactIds : [];
  return addressKey(b.externalContactId) ?? addressKey(list[0]);
}

const HANDLED = new Set(['customer.start', 'acd.start', 'acd.end', 'user.end', 'acw']);
const IGNORED: MapResult = { events: [], ignored: 1 };

export function mapDetailEvent(record: unknown, ctx: MapContext): MapResult {
  const ev = unwrapDetailEvent(record);
  // heartbeats, other topics, and detail kinds that feed no KPI (flow.*, attributes, voicemail…)
  if (ev.kind === null || !HANDLED.has(ev.kind)) return { ...IGNORED };
  const b = ev.body;
  const topicConv = TOPIC.exec(ev.topic)?.[1];
  const conversationId = requireString(b.conversationId ?? (topicConv !== '{id}' ? topicConv : undefined), 'eventBody.conversationId');
  const at = toEpochMs(b.eventTime, 'eventBody.eventTime');
  const mediaType = requireString(b.mediaType, 'eventBody.mediaType');
  const channel = channelOf(mediaType, b.messageType);
  // a cobrowse or screen-share session rides along a contact; it is not one
  if (channel === null) return { ...IGNORED };
  const direction: Direction | null = directionOf(b.direction);
  if (direction === null) throw new RecordError('eventBody.direction: required (INBOUND or OUTBOUND)');
  const opts = genesysOptions(ctx);
  const base = {
    tenant_id: ctx.tenant, contact_id: conversationId, source: SOURCE, channel, direction, occurred_at: at,
    customer_id: customerKey(ctx.tenant, customerAddress(b, direction) ?? externalContact(b)),
    queue_id: queueName(opts, optString(b.queueId)),
  } satisfies Partial<ContactEventInit>;
  const one = (init: Omit<ContactEventInit, keyof typeof base> & Partial<ContactEventInit>): MapResult => ({ events: [adapterEvent({ ...base, ...init })], ignored: 0 });

  switch (ev.kind) {
    case 'customer.start': {
      // the same `created` as the record's conversationStart; a customer rejoining (a second
      // customer session) names the same id and is counted once
      if (direction !== 'inbound') return { ...IGNORED };
      return one({ event_id: createdId(conversationId), type: 'contact_created', queue_id: null });
    }
    case 'acd.start': {
      const sessionId = requireString(b.sessionId, 'eventBody.sessionId');
      ctx.state.set<AcdStarted>(acdKey(conversationId, sessionId), { at });
      return one({ event_id: sessionFactId(conversationId, sessionId, 'queued'), type: 'queued' });
    }
    case 'acd.end': {
      const sessionId = requireString(b.sessionId, 'eventBody.sessionId');
      const outcome = norm(b.acdOutcome);
      if (outcome === '') throw new RecordError('eventBody.acdOutcome: required (ANSWERED, ABANDON or FLOW_OUT)');
      // kept, not deleted: a redelivered acd.end must map as the first did (the state's TTL and
      // size bound clear it)
      const started = ctx.state.get<AcdStarted>(acdKey(conversationId, sessionId));
      if (outcome !== 'answered' && outcome !== 'abandon' && outcome !== 'abandoned') return { ...IGNORED }; // FLOW_OUT, UNKNOWN
      const wait = optMs(b.connectedDurationMs, 'eventBody.connectedDurationMs') ?? (started ? Math.max(0, at - started.at) : null);
      if (wait === null) throw new RecordError('eventBody.connectedDurationMs: required (and no acd.start of this session was seen)');
      return outcome === 'answered'
        ? one({ event_id: sessionFactId(conversationId, sessionId, 'answered'), type: 'answered', agent_id: optString(b.answeredUserId), wait_ms: wait })
        : one({ event_id: sessionFactId(conversationId, sessionId, 'abandoned'), type: 'abandoned', wait_ms: wait });
    }
    case 'user.end': {
      const sessionId = requireString(b.sessionId, 'eventBody.sessionId');
      const talk = optMs(b.interactingDurationMs, 'eventBody.interactingDurationMs') ?? 0;
      const hold = optMs(b.heldDurationMs, 'eventBody.heldDurationMs') ?? 0;
      // an agent who was alerted and never connected handled nothing
      if (talk === 0 && hold === 0) return { ...IGNORED };
      ctx.state.set<LegTimes>(legKey(conversationId, sessionId), { talk, hold });
      const agent = { agent_id: optString(b.userId) };
      const events = [adapterEvent({ ...base, ...agent, event_id: sessionFactId(conversationId, sessionId, 'ended'), type: 'contact_ended', talk_ms: talk, hold_ms: hold })];
      if (isTransferDisconnect(b.disconnectType)) {
        events.push(adapterEvent({ ...base, ...agent, event_id: sessionFactId(conversationId, sessionId, 'transferred'), type: 'transferred' }));
      }
      return { events, ignored: 0 };
    }
    case 'acw': {
      const sessionId = requireString(b.sessionId, 'eventBody.sessionId');
      const acw = msValue(b.wrapupDurationMs, 'eventBody.wrapupDurationMs');
      const leg = ctx.state.get<LegTimes>(legKey(conversationId, sessionId));
      // without the session's user.end (a restart, or the acw overtook it) only the ACW part of
      // handle time is known; say so rather than pass it off as the whole
      return one({
        event_id: sessionFactId(conversationId, sessionId, 'wrapup'), type: 'wrapup_completed', agent_id: optString(b.userId),
        acw_ms: acw, handle_ms: leg ? leg.talk + leg.hold + acw : acw, resolution_code: wrapupName(opts, optString(b.wrapupCode)),
        ...(leg ? {} : { attributes: { handle_ms_basis: 'acw_only' } }),
      });
    }
    default:
      return { ...IGNORED };
  }
}
