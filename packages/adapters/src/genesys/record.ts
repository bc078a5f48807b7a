// The analytics conversation detail record (POST /api/v2/analytics/conversations/details/query,
// or a details job's `conversations`), read into the few shapes the mapper uses. Fields we do
// not use are never looked at; fields we use are checked and named by their path when wrong.
import { RecordError, asObject, optEpochMs, optString, requireString, toEpochMs } from '../common';
import { msValue, norm } from './enums';

export interface Metric {
  name: string;
  value: number;
  /** emitDate, epoch ms; null when the record omits it */
  at: number | null;
}

export interface Segment {
  /** normalized segmentType: interact, hold, wrapup, alert, delay, ivr… */
  type: string;
  start: number;
  end: number | null;
  queueId: string | null;
  /** normalized disconnectType, '' when absent */
  disconnect: string;
  wrapUpCode: string | null;
}

export interface Session {
  path: string;
  sessionId: string | null;
  mediaType: string;
  messageType: string | null;
  direction: string;
  ani: string | null;
  dnis: string | null;
  addressFrom: string | null;
  addressTo: string | null;
  metrics: Metric[];
  segments: Segment[];
}

export interface Participant {
  path: string;
  purpose: string;
  userId: string | null;
  teamId: string | null;
  name: string | null;
  externalContactId: string | null;
  sessions: Session[];
}

export interface Survey {
  index: number;
  path: string;
  surveyId: string | null;
  status: string;
  promoterScore: unknown;
  completedAt: number | null;
  queueId: string | null;
  userId: string | null;
}

export interface ConversationRecord {
  conversationId: string;
  start: number;
  end: number | null;
  originatingDirection: string;
  participants: Participant[];
  surveys: Survey[];
}

function list(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new RecordError(`${field}: must be an array`);
  return value;
}

function parseMetric(raw: unknown, path: string): Metric | null {
  const m = asObject(raw, path);
  const name = optString(m.name);
  if (name === null) return null;
  return { name, value: msValue(m.value, `${path}.value`), at: optEpochMs(m.emitDate, `${path}.emitDate`) };
}

function parseSegment(raw: unknown, path: string): Segment {
  const s = asObject(raw, path);
  return {
    type: norm(s.segmentType),
    start: toEpochMs(s.segmentStart, `${path}.segmentStart`),
    end: optEpochMs(s.segmentEnd, `${path}.segmentEnd`),
    queueId: optString(s.queueId),
    disconnect: norm(s.disconnectType),
    wrapUpCode: optString(s.wrapUpCode),
  };
}

function parseSession(raw: unknown, path: string): Session {
  const s = asObject(raw, path);
  const metrics: Metric[] = [];
  list(s.metrics, `${path}.metrics`).forEach((m, i) => {
    const metric = parseMetric(m, `${path}.metrics[${i}]`);
    if (metric) metrics.push(metric);
  });
  const segments = list(s.segments, `${path}.segments`).map((g, i) => parseSegment(g, `${path}.segments[${i}]`));
  // the record lists segments in time order; sort anyway, every rule below reads them in order
  segments.sort((a, b) => a.start - b.start);
  return {
    path,
    sessionId: optString(s.sessionId),
    mediaType: norm(s.mediaType),
    messageType: optString(s.messageType),
    direction: norm(s.direction),
    ani: optString(s.ani),
    dnis: optString(s.dnis),
    addressFrom: optString(s.addressFrom),
    addressTo: optString(s.addressTo),
    metrics,
    segments,
  };
}

function parseParticipant(raw: unknown, path: string): Participant {
  const p = asObject(raw, path);
  return {
    path,
    purpose: norm(p.purpose),
    userId: optString(p.userId),
    teamId: optString(p.teamId),
    name: optString(p.participantName),
    externalContactId: optString(p.externalContactId),
    sessions: list(p.sessions, `${path}.sessions`).map((s, i) => parseSession(s, `${path}.sessions[${i}]`)),
  };
}

function parseSurvey(raw: unknown, index: number): Survey {
  const path = `surveys[${index}]`;
  const s = asObject(raw, path);
  return {
    index,
    path,
    surveyId: optString(s.surveyId),
    status: norm(s.surveyStatus),
    promoterScore: s.surveyPromoterScore,
    completedAt: optEpochMs(s.surveyCompletedDate ?? s.eventTime, `${path}.surveyCompletedDate`),
    queueId: optString(s.queueId),
    userId: optString(s.userId),
  };
}

export function parseConversation(record: unknown): ConversationRecord {
  const r = asObject(record, 'conversation');
  if (r.participants === undefined || r.participants === null) throw new RecordError('participants: required');
  return {
    conversationId: requireString(r.conversationId, 'conversationId'),
    start: toEpochMs(r.conversationStart, 'conversationStart'),
    end: optEpochMs(r.conversationEnd, 'conversationEnd'),
    originatingDirection: norm(r.originatingDirection),
    participants: list(r.participants, 'participants').map((p, i) => parseParticipant(p, `participants[${i}]`)),
    surveys: list(r.surveys, 'surveys').map((s, i) => parseSurvey(s, i)),
  };
}

/** the first metric of that name, or null */
export function metric(s: Session, name: string): Metric | null {
  return s.metrics.find((m) => m.name === name) ?? null;
}

