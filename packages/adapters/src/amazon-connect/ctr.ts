// One contact record (CTR) → the normalized events it implies, without memory: the versioning
// and the links between transfer legs live in ctr-versions.ts. Field names follow the contact
// record data model (format version 2017-03-10); CTR timestamps are whole seconds in UTC.
import type { Channel, ContactEvent, ContactEventInit, Direction } from '@switchboard/events';
import {
  adapterEvent, asObject, eventId, optEpochMs, optString, pseudonymize, requireString, secondsToMs, toEpochMs,
} from '../common';
import { ID_PREFIX, SOURCE, TRANSFER_METHODS, arnId, channelOf, obj, queueOf, teamOf, type Obj } from './dimensions';
import type { AmazonConnectOptions } from './options';

/** What the mapping reads from one CTR version. */
export interface CtrLeg {
  contactId: string;
  initialContactId: string | null;
  previousContactId: string | null;
  nextContactId: string | null;
  method: string | null;
  channel: Channel;
  lastUpdate: number;
  initiatedAt: number;
  disconnectedAt: number | null;
  transferCompletedAt: number | null;
  disconnectReason: string | null;
  queue: string | null;
  enqueuedAt: number | null;
  dequeuedAt: number | null;
  queueMs: number | null;
  agent: string | null;
  team: string | null;
  connectedAt: number | null;
  interactionMs: number | null;
  holdMs: number | null;
  acwStartAt: number | null;
  acwEndAt: number | null;
  acwMs: number | null;
  customer: string | null;
  attributes: Record<string, string>;
  firstResponse: { at: number; ms: number } | null;
}

/** How this leg relates to its contact, decided with the memory of earlier legs. */
export interface LegContext {
  contactId: string;
  direction: Direction;
  /** InitiationTimestamp of the contact's first leg, when known (resolution_ms) */
  contactCreatedAt: number | null;
  /** a later leg named this one as its PreviousContactId although this record names no next leg */
  transferredByLink: boolean;
}

export interface Derived {
  /** stable per leg: which derived event this is (the last part of its event_id) */
  key: string;
  event: ContactEvent;
}

/** A leg's transfer, kept so that the next leg can emit it when the leg itself named no successor. */
export interface TransferBasis {
  leg: string;
  contactId: string;
  at: number;
  channel: Channel;
  direction: Direction;
  queue: string | null;
  agent: string | null;
  team: string | null;
  customer: string | null;
  topic: string | null;
  attributes: Record<string, string>;
}

const MONITOR = 'MONITOR';
const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'resolved']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', 'unresolved']);
const MAX_ATTRIBUTE_LEN = 1024;
// attributes hold free text (up to 32 KB in Connect); ids such as topic stop at the schema's 256
const MAX_ID_LEN = 256;

export function isCtrShape(r: Obj): boolean {
  return 'ContactId' in r || 'AWSContactTraceRecordFormatVersion' in r;
}

/** The CTR's fields, or null for records that are no contact of ours (supervisor monitoring, tasks when ignored). */
export function parseCtr(record: unknown, tenant: string, opts: AmazonConnectOptions): CtrLeg | null {
  const r = asObject(record, 'contact record');
  const contactId = requireString(r.ContactId, 'ContactId');
  const method = optString(r.InitiationMethod)?.toUpperCase() ?? null;
  // a supervisor's monitoring leg is no customer contact; counting it would double the call
  if (method === MONITOR) return null;
  const segment = obj(r.SegmentAttributes);
  const subtype = optString(obj(segment?.['connect:Subtype'])?.ValueString);
  const channel = channelOf(r.Channel, subtype, opts);
  if (channel === 'ignore') return null;

  const attributes: Record<string, string> = {};
  const attrs = obj(r.Attributes);
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (typeof v === 'string') attributes[k] = v;

  const q = obj(r.Queue);
  const a = obj(r.Agent);
  const endpoint = obj(r.CustomerEndpoint);
  const address = optString(endpoint?.Address);
  const customerKey = address ?? (opts.customerAttribute ? optString(attributes[opts.customerAttribute]) : null);
  const chat = obj(obj(r.ChatMetrics)?.ChatContactMetrics);
  const frtMs = chat && typeof chat.AgentFirstResponseTimeInMillis === 'number' ? Math.round(chat.AgentFirstResponseTimeInMillis) : null;
  const frtAt = chat ? optEpochMs(chat.AgentFirstResponseTimestamp, 'ChatMetrics.ChatContactMetrics.AgentFirstResponseTimestamp') : null;

  return {
    contactId,
    initialContactId: optString(r.InitialContactId),
    previousContactId: optString(r.PreviousContactId),
    nextContactId: optString(r.NextContactId),
    method,
    channel,
    lastUpdate: toEpochMs(r.LastUpdateTimestamp, 'LastUpdateTimestamp'),
    initiatedAt: toEpochMs(r.InitiationTimestamp, 'InitiationTimestamp'),
    disconnectedAt: optEpochMs(r.DisconnectTimestamp, 'DisconnectTimestamp'),
    transferCompletedAt: optEpochMs(r.TransferCompletedTimestamp, 'TransferCompletedTimestamp'),
    disconnectReason: optString(r.DisconnectReason),
    queue: queueOf(q),
    enqueuedAt: q ? optEpochMs(q.EnqueueTimestamp, 'Queue.EnqueueTimestamp') : null,
    dequeuedAt: q ? optEpochMs(q.DequeueTimestamp, 'Queue.DequeueTimestamp') : null,
    queueMs: q ? secondsToMs(q.Duration) : null,
    agent: a ? optString(a.Username) ?? arnId(a.ARN) : null,
    team: a ? teamOf(a.HierarchyGroups, a.RoutingProfile, opts) : null,
    connectedAt: a ? optEpochMs(a.ConnectedToAgentTimestamp, 'Agent.ConnectedToAgentTimestamp') : null,
    interactionMs: a ? secondsToMs(a.AgentInteractionDuration) : null,
    holdMs: a ? secondsToMs(a.CustomerHoldDuration) : null,
    acwStartAt: a ? optEpochMs(a.AfterContactWorkStartTimestamp, 'Agent.AfterContactWorkStartTimestamp') : null,
    acwEndAt: a ? optEpochMs(a.AfterContactWorkEndTimestamp, 'Agent.AfterContactWorkEndTimestamp') : null,
    acwMs: a ? secondsToMs(a.AfterContactWorkDuration) : null,
    customer: customerKey !== null ? pseudonymize(tenant, customerKey) : null,
    attributes,
    firstResponse: frtMs !== null && frtMs >= 0 && frtAt !== null ? { at: frtAt, ms: frtMs } : null,
  };
}

/** the first leg of a contact: not a transfer, and not pointing at an earlier initial contact */
export function isInitialLeg(leg: CtrLeg): boolean {
  return !(leg.method !== null && TRANSFER_METHODS.has(leg.method)) && (leg.initialContactId === null || leg.initialContactId === leg.contactId);
}

/** the leg itself says it handed the contact on (to another leg, or out of Connect) */
export function namesTransfer(leg: CtrLeg): boolean {
  return leg.nextContactId !== null || leg.transferCompletedAt !== null;
}

/** the first of the named attributes that has a value, cut to the length an id may have */
function firstAttribute(leg: CtrLeg, names: string[]): string | null {
  for (const n of names) {
    const v = leg.attributes[n]?.trim();
    if (v) return v.slice(0, MAX_ID_LEN);
  }
  return null;
}

function passThrough(leg: CtrLeg, opts: AmazonConnectOptions): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of opts.passAttributes) {
    const v = leg.attributes[n];
    if (v !== undefined) out[n] = v.slice(0, MAX_ATTRIBUTE_LEN);
  }
  return out;
}

export function topicOf(leg: CtrLeg, opts: AmazonConnectOptions): string | null {
  return firstAttribute(leg, opts.topicAttributes);
}

/** time in queue: Connect's own Queue.Duration, else the enqueue→dequeue (or →disconnect) span */
function waitMs(leg: CtrLeg, until: number | null): number | null {
  if (leg.queueMs !== null) return leg.queueMs;
  if (leg.enqueuedAt === null || until === null) return null;
  return Math.max(0, until - leg.enqueuedAt);
}

export function transferBasis(leg: CtrLeg, ctx: LegContext, opts: AmazonConnectOptions): TransferBasis | null {
  const at = leg.transferCompletedAt ?? leg.disconnectedAt;
  if (at === null) return null;
  const handled = leg.connectedAt !== null;
  return {
    leg: leg.contactId, contactId: ctx.contactId, at, channel: leg.channel, direction: ctx.direction, queue: leg.queue,
    agent: handled ? leg.agent : null, team: handled ? leg.team : null, customer: leg.customer, topic: topicOf(leg, opts),
    attributes: passThrough(leg, opts),
  };
}

export function transferredEvent(tenant: string, b: TransferBasis): ContactEvent {
  return adapterEvent({
    event_id: eventId(ID_PREFIX, 'ctr', b.leg, 'transferred'), tenant_id: tenant, contact_id: b.contactId, type: 'transferred',
    occurred_at: b.at, channel: b.channel, direction: b.direction, source: SOURCE, queue_id: b.queue, agent_id: b.agent,
    team_id: b.team, customer_id: b.customer, topic: b.topic, attributes: { ...b.attributes },
  });
}

/**
 * Every event this version of the leg implies. Pure: the same record and context give the
 * same events, and a newer version of the record gives a superset (plus corrections that the
 * aggregator ignores, since it keeps the first event per id).
 */
export function deriveLegEvents(leg: CtrLeg, ctx: LegContext, tenant: string, opts: AmazonConnectOptions): { derived: Derived[]; skipped: number } {
  const out: Derived[] = [];
  let skipped = 0;
  const topic = topicOf(leg, opts);
  const attributes = passThrough(leg, opts);
  const handled = leg.connectedAt !== null;
  const transferred = namesTransfer(leg) || ctx.transferredByLink;
  const add = (key: string, init: Omit<ContactEventInit, 'event_id' | 'tenant_id' | 'contact_id' | 'channel' | 'direction' | 'source'>) => {
    out.push({
      key,
      event: adapterEvent({
        event_id: eventId(ID_PREFIX, 'ctr', leg.contactId, ...key.split(':')), tenant_id: tenant, contact_id: ctx.contactId,
        channel: leg.channel, direction: ctx.direction, source: SOURCE, queue_id: leg.queue, customer_id: leg.customer, topic,
        attributes: { ...attributes }, ...init,
      }),
    });
  };
  const agentDims = { agent_id: leg.agent, team_id: leg.team };

  if (isInitialLeg(leg)) add('contact_created', { type: 'contact_created', occurred_at: leg.initiatedAt });

  if (leg.enqueuedAt !== null) {
    add('queued', { type: 'queued', occurred_at: leg.enqueuedAt });
    if (handled) {
      const wait = waitMs(leg, leg.dequeuedAt ?? leg.connectedAt);
      if (wait !== null) add('answered', { type: 'answered', occurred_at: leg.connectedAt!, wait_ms: wait, ...agentDims });
    } else if (!transferred && leg.disconnectReason !== 'CONTACT_FLOW_DISCONNECT') {
      // left the queue without an agent: the customer gave up, unless a flow moved the contact on
      // (queue transfer, callback) or ended it itself (e.g. a maximum queue time): a flow-out
      const at = leg.dequeuedAt ?? leg.disconnectedAt;
      const wait = waitMs(leg, at);
      if (at !== null && wait !== null) add('abandoned', { type: 'abandoned', occurred_at: at, wait_ms: wait });
    }
  }

  if (handled && leg.firstResponse !== null) {
    add('agent_message:first', { type: 'agent_message', occurred_at: leg.firstResponse.at, response_ms: leg.firstResponse.ms, first_response: true, ...agentDims });
  }

  if (transferred) {
    const b = transferBasis(leg, ctx, opts);
    if (b) out.push({ key: 'transferred', event: transferredEvent(tenant, b) });
  }

  let talk = leg.interactionMs;
  if (handled && talk === null) {
    const end = leg.acwStartAt ?? leg.disconnectedAt;
    if (end !== null) talk = Math.max(0, end - leg.connectedAt! - (leg.holdMs ?? 0));
  }
  if (handled && leg.disconnectedAt !== null) {
    add('contact_ended', { type: 'contact_ended', occurred_at: leg.disconnectedAt, talk_ms: talk, hold_ms: leg.holdMs, ...agentDims });
  }
  const code = firstAttribute(leg, opts.resolutionCodeAttributes);
  if (handled && leg.acwEndAt !== null) {
    const acw = leg.acwMs ?? (leg.acwStartAt !== null ? Math.max(0, leg.acwEndAt - leg.acwStartAt) : 0);
    add('wrapup_completed', {
      type: 'wrapup_completed', occurred_at: leg.acwEndAt, acw_ms: acw, handle_ms: (talk ?? 0) + (leg.holdMs ?? 0) + acw,
      resolution_code: code, ...agentDims,
    });
  }

  // surveys and resolution belong to the contact's outcome, so only its last leg reports them
  // (attributes are copied onto every later leg; emitting them from each would repeat them)
  if (!transferred && leg.disconnectedAt !== null) {
    const dims = handled ? agentDims : {};
    for (const s of opts.surveys) {
      const raw = leg.attributes[s.attribute]?.trim();
      if (!raw) continue;
      const score = Number(raw);
      // an answer off its scale (or not a number) is dropped alone, not the whole record
      if (!Number.isFinite(score) || score < s.min || score > s.max) {
        skipped++;
        continue;
      }
      add(`survey:${s.attribute}`, {
        type: 'survey_response', occurred_at: leg.disconnectedAt, survey_kind: s.kind, score, scale_min: s.min, scale_max: s.max, ...dims,
      });
    }
    const flag = opts.resolvedAttribute ? leg.attributes[opts.resolvedAttribute]?.trim().toLowerCase() : undefined;
    const resolved = flag !== undefined && TRUE_WORDS.has(flag) ? true : flag !== undefined && FALSE_WORDS.has(flag) ? false : opts.resolveHandled && handled;
    if (resolved && handled) {
      const at = leg.acwEndAt ?? leg.disconnectedAt;
      add('resolved', {
        type: 'resolved', occurred_at: at, resolution_code: code,
        resolution_ms: ctx.contactCreatedAt !== null ? Math.max(0, at - ctx.contactCreatedAt) : null, ...agentDims,
      });
    } else if (resolved && leg.enqueuedAt === null) {
      // marked resolved without ever reaching a queue: the IVR or bot settled it
      add('self_service_resolved', { type: 'self_service_resolved', occurred_at: leg.disconnectedAt });
    }
  }
  return { derived: out, skipped };
}
