// What a TaskRouter event says about the contact and the agent: channel, direction, customer,
// topic, team, agent. TaskRouter itself knows only its sids and the free-form JSON attributes
// each deployment fills, so most of this is reading attributes by configurable paths.
import type { AgentState, Channel, Direction } from '@switchboard/events';
import { pseudonymize } from '../common';
import type { TwilioOptions } from './options';
import type { TrEvent } from './types';

const MAX_ID = 256;
/** agent ids also make the contact id `agent:<id>`, which must fit the same limit */
const MAX_AGENT = MAX_ID - 'agent:'.length;

/** attributes value at a dotted path (`conversations.conversation_id`) */
export function attr(attrs: Record<string, unknown> | null, path: string): unknown {
  let cur: unknown = attrs;
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** a string (or number) usable as an identifier: non-empty and short enough for the schema */
function ident(v: unknown, max = MAX_ID): string | null {
  const s = typeof v === 'string' ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
  return s !== '' && s.length <= max ? s : null;
}

function firstIdent(attrs: Record<string, unknown> | null, paths: readonly string[]): string | null {
  for (const p of paths) {
    const v = ident(attr(attrs, p));
    if (v !== null) return v;
  }
  return null;
}

// TaskChannelUniqueName values and Flex's attributes.channelType values seen in practice
const CHANNEL_NAMES: Record<string, Channel> = {
  voice: 'voice', call: 'voice', phone: 'voice', pstn: 'voice', callback: 'voice',
  chat: 'chat', web: 'chat', webchat: 'chat',
  sms: 'sms', mms: 'sms',
  email: 'email',
  video: 'video',
  whatsapp: 'messaging', messenger: 'messaging', facebook: 'messaging', gbm: 'messaging', line: 'messaging', rcs: 'messaging', messaging: 'messaging', telegram: 'messaging', apple: 'messaging',
  social: 'social', twitter: 'social', x: 'social', instagram: 'social',
  web_form: 'web_form', form: 'web_form',
};

function channelName(name: unknown, o: TwilioOptions): Channel | null {
  if (typeof name !== 'string') return null;
  const k = name.trim().toLowerCase();
  return o.channels[k] ?? CHANNEL_NAMES[k] ?? null;
}

/**
 * TaskChannelUniqueName decides, refined by the attributes where it is vague: Flex routes
 * SMS, WhatsApp and web chat all as `chat` (attributes.channelType tells them apart), and
 * workspaces without multitasking put every task, calls included, on `default`.
 */
export function channelOf(ev: TrEvent, o: TwilioOptions): Channel {
  const a = ev.taskAttributes;
  const raw = ev.taskChannel?.trim().toLowerCase() ?? 'default';
  if (o.channels[raw]) return o.channels[raw];
  const fromAttrs = channelName(attr(a, 'channelType'), o) ?? channelName(attr(a, 'channel'), o);
  if (raw === 'chat') return fromAttrs ?? 'chat';
  const named = CHANNEL_NAMES[raw];
  if (named) return named;
  if (attr(a, 'call_sid') !== undefined || attr(a, 'CallSid') !== undefined || attr(a, 'callSid') !== undefined) return 'voice';
  return fromAttrs ?? channelName(attr(a, 'type'), o) ?? o.defaultChannel;
}

export function directionOf(ev: TrEvent): Direction {
  const a = ev.taskAttributes;
  for (const p of ['direction', 'conversations.direction']) {
    const v = attr(a, p);
    if (typeof v === 'string') {
      const d = v.trim().toLowerCase();
      // Twilio voice says outbound-api / outbound-dial for calls the platform places
      if (d.startsWith('outbound')) return 'outbound';
      if (d === 'inbound') return 'inbound';
    }
  }
  const initiated = attr(a, 'initiatedBy') ?? attr(a, 'conversations.initiated_by');
  return typeof initiated === 'string' && initiated.toLowerCase() === 'agent' ? 'outbound' : 'inbound';
}

/** pseudonymous customer key; for outbound tasks `from` is our own number, so other attributes come first */
export function customerOf(ev: TrEvent, direction: Direction, tenant: string, o: TwilioOptions): string | null {
  const raw = firstIdent(ev.taskAttributes, direction === 'outbound' ? o.outboundCustomerAttributes : o.customerAttributes);
  return raw === null ? null : pseudonymize(tenant, raw);
}

export function topicOf(ev: TrEvent, o: TwilioOptions): string | null {
  return firstIdent(ev.taskAttributes, o.topicAttributes);
}

export function resolutionOf(ev: TrEvent, o: TwilioOptions): string | null {
  return firstIdent(ev.taskAttributes, o.resolutionAttributes);
}

/** the conversation a task belongs to: Flex links the tasks of one transferred contact through it */
export function conversationOf(ev: TrEvent, o: TwilioOptions): string | null {
  return o.contactIdAttribute === '' ? null : ident(attr(ev.taskAttributes, o.contactIdAttribute));
}

export function agentOf(ev: TrEvent, o: TwilioOptions): string | null {
  if (o.agentIdAttribute) {
    const v = ident(attr(ev.workerAttributes, o.agentIdAttribute), MAX_AGENT);
    if (v !== null) return v;
  }
  if (o.agentId === 'sid') return ident(ev.workerSid, MAX_AGENT) ?? ident(ev.workerName, MAX_AGENT);
  return ident(ev.workerName, MAX_AGENT) ?? ident(ev.workerSid, MAX_AGENT);
}

export function teamOf(ev: TrEvent, o: TwilioOptions): string | null {
  return firstIdent(ev.workerAttributes, o.teamAttributes);
}

// TaskRouter's stock activities are Offline/Idle/Busy/Reserved, Flex's Offline/Available/Unavailable/Break
const ACTIVITY_STATES: Record<string, AgentState> = {
  available: 'available', idle: 'available', ready: 'available',
  offline: 'offline', 'logged out': 'offline',
  busy: 'busy', reserved: 'busy', 'on a task': 'busy', 'on task': 'busy', 'on call': 'busy', 'on a call': 'busy', talking: 'busy',
  'wrap up': 'after_call_work', wrapup: 'after_call_work', 'wrap-up': 'after_call_work', wrapping: 'after_call_work', acw: 'after_call_work', 'after call work': 'after_call_work',
};

/** worker activity name → agent state; every activity not named is some kind of away (break, lunch, training) */
export function activityState(name: string | null, o: TwilioOptions): AgentState | null {
  if (name === null) return null;
  const k = name.trim().toLowerCase();
  return o.activityStates[k] ?? ACTIVITY_STATES[k] ?? 'away';
}

export const isTimeoutCancel = (reason: string | null) => reason !== null && /ttl|time ?out|timed out|expired/i.test(reason);
