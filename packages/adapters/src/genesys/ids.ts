// One id scheme for both feeds: a fact is named by the Genesys session it happened in, not by
// the delivery that told us. The detail record and the detail events share conversation and
// session ids, so the `answered` of acd session S is the same event whether it came from
// S's acd.end event or from the conversation record, and a tenant sending both counts it once.
import { eventId } from '../common';
import { ID_PREFIX } from './enums';

export type SessionFact = 'queued' | 'answered' | 'abandoned' | 'ended' | 'transferred' | 'wrapup';

export function sessionFactId(conversationId: string, sessionId: string, fact: SessionFact): string {
  return eventId(ID_PREFIX, conversationId, sessionId, fact);
}

export function createdId(conversationId: string): string {
  return eventId(ID_PREFIX, conversationId, 'created');
}

export function surveyId(conversationId: string, survey: string): string {
  return eventId(ID_PREFIX, conversationId, 'survey', survey);
}

/** one agent reply, named by its session and the emit time of its tAgentResponseTime metric */
export function messageId(conversationId: string, sessionId: string, at: number, nth: number): string {
  return nth === 0 ? eventId(ID_PREFIX, conversationId, sessionId, 'msg', at) : eventId(ID_PREFIX, conversationId, sessionId, 'msg', at, nth);
}
