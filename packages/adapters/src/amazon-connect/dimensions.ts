// The routing dimensions and enums both Amazon Connect feeds share, so a contact record and
// an agent event name the same agent and team the same way.
import type { Channel, Direction } from '@switchboard/events';
import { RecordError, optString } from '../common';
import type { AmazonConnectOptions } from './options';

export const SOURCE = 'amazon_connect';
/** event_id prefix, as in docs/api.md's example `amzn:ctr:9f1c:answered` */
export const ID_PREFIX = 'amzn';

export type Obj = Record<string, unknown>;

/** the object at `v`, or null when absent or not an object (Connect sends `null` for empty sections) */
export function obj(v: unknown): Obj | null {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
}

/** the resource id at the end of an ARN (…/queue/<id>, …/agent/<id>), for records that name nothing else */
export function arnId(arn: unknown): string | null {
  const s = optString(arn);
  if (s === null) return null;
  const tail = s.split('/').at(-1);
  return tail && tail !== '' ? tail : null;
}

/**
 * Connect channels → contact-event channel. Chat carries its real medium in the segment attribute
 * `connect:Subtype` (SMS, WhatsApp, Apple Messages for Business are chats to Connect).
 * A task is a routed work item with no conversation; the tenant chooses what it counts as.
 */
export function channelOf(channel: unknown, subtype: string | null, opts: AmazonConnectOptions): Channel | 'ignore' {
  const c = optString(channel)?.toUpperCase();
  switch (c) {
    case 'VOICE':
      return 'voice';
    case 'CHAT':
      if (subtype === 'connect:SMS') return 'sms';
      if (subtype === 'connect:WhatsApp' || subtype === 'connect:Apple') return 'messaging';
      return 'chat';
    case 'EMAIL':
      return 'email';
    case 'TASK':
      return opts.taskChannel;
    case undefined:
      throw new RecordError('Channel: required');
    default:
      throw new RecordError(`Channel: unknown value "${String(channel)}"`);
  }
}

/** Connect starts outbound work itself for these; everything else began with the customer. */
const OUTBOUND_METHODS = new Set(['OUTBOUND', 'EXTERNAL_OUTBOUND', 'CALLBACK', 'AGENT_REPLY', 'FLOW']);
export const TRANSFER_METHODS = new Set(['TRANSFER', 'QUEUE_TRANSFER']);

export function directionOf(method: string | null): Direction {
  return method !== null && OUTBOUND_METHODS.has(method) ? 'outbound' : 'inbound';
}

/**
 * The team: a hierarchy group name (CTRs call it GroupName, agent events Name), by default the
 * deepest level the agent has, which in Connect's hierarchies is the agent's own team; else the
 * routing profile's name.
 */
export function teamOf(hierarchy: unknown, routingProfile: unknown, opts: AmazonConnectOptions): string | null {
  const h = obj(hierarchy);
  if (h) {
    const levels = opts.teamHierarchyLevel !== null ? [opts.teamHierarchyLevel] : [5, 4, 3, 2, 1];
    for (const n of levels) {
      const g = obj(h[`Level${n}`]);
      const name = g ? optString(g.GroupName) ?? optString(g.Name) : null;
      if (name !== null) return name;
    }
  }
  const rp = obj(routingProfile);
  return rp ? optString(rp.Name) ?? arnId(rp.ARN) : null;
}

/** queue name (what supervisors read), else the queue id from its ARN */
export function queueOf(queue: Obj | null): string | null {
  return queue ? optString(queue.Name) ?? arnId(queue.ARN) : null;
}
