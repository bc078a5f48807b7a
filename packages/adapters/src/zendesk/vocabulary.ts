// Zendesk's words → contact-event enums: via channels, ticket statuses, topics.
import { PRIORITIES, type Channel, type Direction, type Priority } from '@switchboard/events';
import type { ZendeskOptions } from './options';

/**
 * via.channel of the ticket's creation → the customer's channel. `api` / `web_service`
 * (webhooks spell the API channel so) are mostly contact forms of the company's own site, so
 * they count as web forms; a tenant whose API tickets are something else maps them with
 * options.channels. Channels that describe Zendesk itself (rule, system, merge, closed_ticket
 * follow-ups…) fall to options.defaultChannel.
 */
const CHANNEL_TABLE: Readonly<Record<string, Channel>> = {
  email: 'email',
  web: 'web_form',
  web_form: 'web_form',
  web_widget: 'web_form',
  help_center: 'web_form',
  mobile: 'web_form',
  api: 'web_form',
  web_service: 'web_form',
  chat: 'chat',
  chat_transcript: 'chat',
  voice: 'voice',
  phone: 'voice',
  sms: 'sms',
  twitter: 'social',
  twitter_dm: 'social',
  twitter_favorite: 'social',
  facebook: 'social',
  facebook_post: 'social',
  facebook_message: 'social',
  instagram: 'social',
  instagram_dm: 'social',
  mobile_sdk: 'messaging',
  native_messaging: 'messaging',
  any_channel: 'messaging',
  whatsapp: 'messaging',
  line: 'messaging',
  wechat: 'messaging',
  telegram: 'messaging',
  viber: 'messaging',
  apple_business_chat: 'messaging',
  google_rcs: 'messaging',
  google_business_messages: 'messaging',
  kakaotalk: 'messaging',
  messagebird_sms: 'sms',
};

export function channelOf(via: string | null, opts: ZendeskOptions): Channel {
  if (via === null) return opts.defaultChannel;
  const v = via.toLowerCase();
  const own = opts.channels[v];
  if (own) return own;
  const known = CHANNEL_TABLE[v];
  if (known) return known;
  // Sunshine Conversations integrations are named after the app: sunshine_conversations_whatsapp…
  if (v.startsWith('sunshine_conversations')) return v.includes('twitter') || v.includes('facebook_post') ? 'social' : 'messaging';
  if (v.startsWith('twitter') || v.startsWith('facebook') || v.startsWith('instagram') || v.startsWith('x_corp')) return 'social';
  return opts.defaultChannel;
}

/**
 * Zendesk has no direction; two cases are outbound: a Talk call placed by the agent
 * (via.source.rel "outbound") and a ticket an agent opened in the agent interface (via web)
 * for someone else, i.e. proactive outreach. Tickets created through the API or by e-mail
 * on a customer's behalf stay inbound: integrations and forwarded mails are customers asking.
 */
export function directionOf(args: { via: string | null; sourceRel: string | null; submitterId: string | null; requesterId: string | null }): Direction {
  const via = args.via?.toLowerCase() ?? null;
  if (via === 'voice') return args.sourceRel?.toLowerCase() === 'outbound' ? 'outbound' : 'inbound';
  if (via === 'web' && args.submitterId !== null && args.requesterId !== null && args.submitterId !== args.requesterId) return 'outbound';
  return 'inbound';
}

/** Zendesk's ticket priority (webhooks write HIGH, audits high); anything else (a blank "-") is none. */
export function priorityOf(value: unknown): Priority | null {
  const p = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return (PRIORITIES as readonly string[]).includes(p) ? (p as Priority) : null;
}

/** Lower-case status (webhooks write OPEN, audits open); on-hold is spelled hold in both. */
export function statusOf(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().toLowerCase() : null;
}

const RESOLVED = new Set(['solved', 'closed']);
const UNRESOLVED = new Set(['new', 'open', 'pending', 'hold']);

/**
 * A status change as the event model sees it. Entering solved (or closed without being solved, which a
 * merge does) resolves; leaving solved/closed for an open status reopens; solved → closed is
 * the same resolution aging. Deleted / archived / scrubbed are housekeeping, not outcomes.
 */
export function statusTransition(previous: string | null, next: string | null): 'resolved' | 'reopened' | null {
  if (next === null) return null;
  if (RESOLVED.has(next) && (previous === null || UNRESOLVED.has(previous))) return 'resolved';
  if (UNRESOLVED.has(next) && previous !== null && RESOLVED.has(previous)) return 'reopened';
  return null;
}

export const isResolvedStatus = (s: string | null): boolean => s !== null && RESOLVED.has(s);

const MAX_TOPIC = 256;

export function topicFromTags(tags: unknown, opts: ZendeskOptions): string | null {
  if (opts.topicTagPrefix === null || !Array.isArray(tags)) return null;
  for (const t of tags) {
    if (typeof t === 'string' && t.startsWith(opts.topicTagPrefix) && t.length > opts.topicTagPrefix.length) {
      return t.slice(opts.topicTagPrefix.length).slice(0, MAX_TOPIC);
    }
  }
  return null;
}

export function topicFromField(value: unknown): string | null {
  if (typeof value === 'string' && value.trim() !== '') return value.trim().slice(0, MAX_TOPIC);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}
