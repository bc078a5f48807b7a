// The normalized contact event of docs/api.md, "POST /v1/events", as TypeScript sees it after decoding.
// Absent measures are null (Avro unions with null); occurred_at is epoch milliseconds.

export const EVENT_TYPES = [
  'contact_created', 'queued', 'blocked', 'answered', 'abandoned', 'agent_message',
  'hold_started', 'hold_ended', 'transferred', 'escalated', 'contact_ended',
  'wrapup_completed', 'resolved', 'reopened', 'survey_response', 'qa_evaluation',
  'agent_state_changed', 'kb_article_viewed', 'self_service_resolved', 'customer_business_event',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const CHANNELS = ['voice', 'chat', 'email', 'sms', 'messaging', 'social', 'video', 'web_form'] as const;
export type Channel = (typeof CHANNELS)[number];

export const DIRECTIONS = ['inbound', 'outbound'] as const;
export type Direction = (typeof DIRECTIONS)[number];

export const SURVEY_KINDS = ['csat', 'nps', 'ces'] as const;
export type SurveyKind = (typeof SURVEY_KINDS)[number];

export const AGENT_STATES = ['available', 'busy', 'after_call_work', 'away', 'offline'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

export const BUSINESS_KINDS = ['purchase', 'return', 'churned', 'referred'] as const;
export type BusinessKind = (typeof BUSINESS_KINDS)[number];

/** A ticket's priority (schema v2, optional): what help-desk SLA policies pick their targets by (docs/sla.md). */
export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const SOURCES = ['amazon_connect', 'twilio', 'genesys', 'zendesk', 'csv', 'api', 'simulator'] as const;

export interface ContactEvent {
  event_id: string;
  tenant_id: string;
  contact_id: string;
  type: EventType;
  /** epoch milliseconds, event time at the source */
  occurred_at: number;
  channel: Channel;
  direction: Direction;
  queue_id: string | null;
  agent_id: string | null;
  team_id: string | null;
  customer_id: string | null;
  topic: string | null;
  resolution_code: string | null;
  source: string;
  wait_ms: number | null;
  response_ms: number | null;
  first_response: boolean | null;
  talk_ms: number | null;
  hold_ms: number | null;
  acw_ms: number | null;
  handle_ms: number | null;
  resolution_ms: number | null;
  survey_kind: SurveyKind | null;
  score: number | null;
  scale_min: number | null;
  scale_max: number | null;
  max_score: number | null;
  agent_state: AgentState | null;
  previous_agent_state: AgentState | null;
  previous_state_ms: number | null;
  business_kind: BusinessKind | null;
  amount_minor: number | null;
  currency: string | null;
  attributes: Record<string, string>;
  /** the ticket's priority (schema v2); null when the source has none */
  priority: Priority | null;
}

/** The nullable fields, in schema order; an event builder fills the ones it omits with null. */
export const NULLABLE_FIELDS = [
  'queue_id', 'agent_id', 'team_id', 'customer_id', 'topic', 'resolution_code',
  'wait_ms', 'response_ms', 'first_response', 'talk_ms', 'hold_ms', 'acw_ms', 'handle_ms',
  'resolution_ms', 'survey_kind', 'score', 'scale_min', 'scale_max', 'max_score',
  'agent_state', 'previous_agent_state', 'previous_state_ms', 'business_kind',
  'amount_minor', 'currency', 'priority',
] as const satisfies readonly (keyof ContactEvent)[];

type Required_ = 'event_id' | 'tenant_id' | 'contact_id' | 'type' | 'occurred_at' | 'channel' | 'direction' | 'source';
export type ContactEventInit = Pick<ContactEvent, Required_> & Partial<Omit<ContactEvent, Required_>>;

/** Completes an event from its required fields and whichever measures it carries. */
export function makeEvent(init: ContactEventInit): ContactEvent {
  const e = { attributes: {}, ...init } as Record<string, unknown>;
  for (const f of NULLABLE_FIELDS) if (e[f] === undefined) e[f] = null;
  return e as unknown as ContactEvent;
}
