// Per-tenant mapping options (the `options` of the tenant's zendesk credential, or the
// backfill CLI's --options). Zendesk feeds carry ids only, so names for groups and agents and
// the place the contact reason lives are the tenant's to say.
import { CHANNELS, type Channel } from '@switchboard/events';
import { RecordError } from '../common';

export interface ZendeskOptions {
  /** id of the custom ticket field holding the contact reason (Top Topics, FCR) */
  topicField: string | null;
  /** else the first ticket tag with this prefix, prefix removed (e.g. "topic_" → "billing") */
  topicTagPrefix: string | null;
  /** group id → queue name; unlisted groups keep their id */
  groups: Readonly<Record<string, string>>;
  /** agent (user) id → agent name; unlisted agents keep their id */
  agents: Readonly<Record<string, string>>;
  /** via.channel → channel, overriding the built-in table (e.g. {"api": "chat"}) */
  channels: Readonly<Record<string, Channel>>;
  /** channel of tickets whose via.channel says nothing about the customer's channel (rule, system, merge…) */
  defaultChannel: Channel;
}

const DEFAULTS: ZendeskOptions = { topicField: null, topicTagPrefix: null, groups: {}, agents: {}, channels: {}, defaultChannel: 'email' };
const cache = new WeakMap<object, ZendeskOptions>();

const isChannel = (v: unknown): v is Channel => typeof v === 'string' && (CHANNELS as readonly string[]).includes(v);

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new RecordError(`options.${field}: must map ids to names`);
  const out: Record<string, string> = {};
  for (const [k, name] of Object.entries(v)) {
    if (typeof name !== 'string' || name.trim() === '') throw new RecordError(`options.${field}.${k}: must be a non-empty name`);
    out[k] = name;
  }
  return out;
}

/** Options are operator configuration: a mistake there rejects records with the reason instead of guessing. */
export function zendeskOptions(raw: Record<string, unknown> | undefined): ZendeskOptions {
  if (!raw) return DEFAULTS;
  const hit = cache.get(raw);
  if (hit) return hit;
  const topicField = raw.topicField;
  if (topicField !== undefined && topicField !== null && typeof topicField !== 'string' && typeof topicField !== 'number') {
    throw new RecordError('options.topicField: must be the custom field id');
  }
  const prefix = raw.topicTagPrefix;
  if (prefix !== undefined && prefix !== null && typeof prefix !== 'string') throw new RecordError('options.topicTagPrefix: must be a string');
  const channels: Record<string, Channel> = {};
  for (const [k, c] of Object.entries(stringMap(raw.channels, 'channels'))) {
    if (!isChannel(c)) throw new RecordError(`options.channels.${k}: must be one of ${CHANNELS.join(', ')}`);
    channels[k.toLowerCase()] = c;
  }
  const defaultChannel = raw.defaultChannel ?? DEFAULTS.defaultChannel;
  if (!isChannel(defaultChannel)) throw new RecordError(`options.defaultChannel: must be one of ${CHANNELS.join(', ')}`);
  const parsed: ZendeskOptions = {
    topicField: topicField === undefined || topicField === null ? null : String(topicField),
    topicTagPrefix: prefix ? prefix : null,
    groups: stringMap(raw.groups, 'groups'),
    agents: stringMap(raw.agents, 'agents'),
    channels,
    defaultChannel,
  };
  cache.set(raw, parsed);
  return parsed;
}
