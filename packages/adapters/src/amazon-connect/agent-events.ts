// Agent event stream record → agent_state_changed. Each record carries the agent's whole
// snapshot before and after the change, so the states come from the record itself; the small
// per-agent memory only sharpens how long the previous state lasted, which the snapshot alone
// cannot always tell (an agent stays in status "Available" across the calls it takes).
import type { AgentState } from '@switchboard/events';
import { RecordError, adapterEvent, asObject, eventId, optEpochMs, optString, requireString, toEpochMs, type MapContext, type MapResult } from '../common';
import { ID_PREFIX, SOURCE, obj, teamOf, type Obj } from './dimensions';
import { parseOptions } from './options';

const BUSY = new Set(['CONNECTED', 'CONNECTED_ONHOLD']);
const MISSED = new Set(['MISSED', 'REJECTED', 'ERROR']);
const MAPPED_TYPES = new Set(['STATE_CHANGE', 'LOGIN', 'LOGOUT']);

interface AgentMemo {
  state: AgentState;
  /** when the agent entered it (EventTimestamp of the change) */
  since: number;
}

const agentKey = (tenant: string, username: string) => `amzn:agent:${tenant}:${username}`;

export function isAgentEventShape(r: Obj): boolean {
  return 'EventType' in r && ('AgentARN' in r || 'CurrentAgentSnapshot' in r || 'PreviousAgentSnapshot' in r);
}

function contactsOf(snapshot: Obj): Obj[] {
  return Array.isArray(snapshot.Contacts) ? snapshot.Contacts.map(obj).filter((c): c is Obj => c !== null) : [];
}

const stateOfContact = (c: Obj) => optString(c.State)?.toUpperCase() ?? '';

/**
 * The contact-event state of a snapshot. Contacts outrank the status: an agent stays "Available" in
 * Connect while talking, and is in after-contact work while a contact is ENDED but not yet
 * cleared. A missed or rejected contact leaves the agent unroutable until they act: away.
 */
export function agentStateOf(snapshot: Obj): AgentState {
  const contacts = contactsOf(snapshot);
  if (contacts.some((c) => BUSY.has(stateOfContact(c)))) return 'busy';
  if (contacts.some((c) => stateOfContact(c) === 'ENDED')) return 'after_call_work';
  const status = obj(snapshot.AgentStatus);
  const type = optString(status?.Type)?.toUpperCase();
  const name = optString(status?.Name)?.trim().toLowerCase();
  if (type === 'OFFLINE' || name === 'offline') return 'offline';
  if (contacts.some((c) => MISSED.has(stateOfContact(c)))) return 'away';
  if (type === 'ROUTABLE' || name === 'available') return 'available';
  return 'away';
}

/** When the snapshot's state began, as far as the snapshot tells. */
function snapshotStart(snapshot: Obj, state: AgentState): number | null {
  const contacts = contactsOf(snapshot);
  const times = (field: string, pick: (c: Obj) => unknown, which: (c: Obj) => boolean) =>
    contacts.filter(which).map((c) => optEpochMs(pick(c), `Contacts[].${field}`)).filter((t): t is number => t !== null);
  if (state === 'busy') {
    // busy since the earliest contact still connected (its hold, if any, is no new state)
    const ts = times('ConnectedToAgentTimestamp', (c) => c.ConnectedToAgentTimestamp ?? c.StateStartTimestamp, (c) => BUSY.has(stateOfContact(c)));
    return ts.length > 0 ? Math.min(...ts) : null;
  }
  if (state === 'after_call_work') {
    // after-contact work began when the last connected contact ended
    const ts = times('StateStartTimestamp', (c) => c.StateStartTimestamp, (c) => stateOfContact(c) === 'ENDED');
    return ts.length > 0 ? Math.max(...ts) : null;
  }
  return optEpochMs(obj(snapshot.AgentStatus)?.StartTimestamp, 'AgentStatus.StartTimestamp');
}

/** One agent event → agent_state_changed when the agent's contact-event state changed; heartbeats and configuration changes are ignored. */
export function mapAgentEvent(record: unknown, ctx: MapContext): MapResult {
  const opts = parseOptions(ctx.options);
  const r = asObject(record, 'agent event');
  const type = requireString(r.EventType, 'EventType').toUpperCase();
  if (!MAPPED_TYPES.has(type)) return { events: [], ignored: 1 };
  const id = requireString(r.EventId, 'EventId');
  const at = toEpochMs(r.EventTimestamp, 'EventTimestamp');
  const current = obj(r.CurrentAgentSnapshot);
  const previous = obj(r.PreviousAgentSnapshot);
  if (current === null && type !== 'LOGOUT') throw new RecordError('CurrentAgentSnapshot: required');
  const config = obj(current?.Configuration) ?? obj(previous?.Configuration);
  const username = optString(config?.Username);
  if (username === null) throw new RecordError('CurrentAgentSnapshot.Configuration.Username: required');

  const key = agentKey(ctx.tenant, username);
  const memo = ctx.state.get<AgentMemo>(key);
  const state: AgentState = type === 'LOGOUT' || current === null ? 'offline' : agentStateOf(current);
  const before: AgentState | null = previous !== null ? agentStateOf(previous) : type === 'LOGIN' ? 'offline' : memo?.state ?? null;
  if (before === state) return { events: [], ignored: 1 };

  // the later of what the snapshot says and when we saw the agent enter that state
  const starts: number[] = [];
  const fromSnapshot = previous !== null && before !== null ? snapshotStart(previous, before) : null;
  if (fromSnapshot !== null && fromSnapshot <= at) starts.push(fromSnapshot);
  if (memo && memo.state === before && memo.since <= at) starts.push(memo.since);
  const previousMs = starts.length > 0 ? at - Math.max(...starts) : null;

  const event = adapterEvent({
    event_id: eventId(ID_PREFIX, 'agent', id), tenant_id: ctx.tenant, contact_id: `agent:${username}`, type: 'agent_state_changed',
    occurred_at: at, channel: opts.agentEventChannel, direction: 'inbound', source: SOURCE, agent_id: username,
    team_id: teamOf(config?.AgentHierarchyGroups, config?.RoutingProfile, opts),
    agent_state: state, previous_agent_state: before, previous_state_ms: previousMs,
  });
  // keep the newest change: a late event must not wind the agent back
  if (!memo || memo.since <= at) ctx.state.set<AgentMemo>(key, { state, since: at });
  return { events: [event], ignored: 0 };
}
