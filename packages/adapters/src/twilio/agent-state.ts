// Agent states from two sources. TaskRouter's worker activity (Available, Break, Offline…) is
// what the agent chose; it does not change while the agent works a task (a Flex agent on a
// call stays "Available"), so occupancy would read 0. The reservation lifecycle therefore
// overlays busy (accepted → wrap-up) and after_call_work (wrap-up → completed) on the activity,
// the way the agent's time is really spent; previous_state_ms is measured on this merged
// timeline, not taken from WorkerTimeInPreviousActivityMs (which would count the busy time
// again as available). Without the worker's memory the record's own fields are used.
import type { AgentState, Channel, ContactEvent } from '@switchboard/events';
import { adapterEvent, eventId, type AdapterState } from '../common';

const MAX_OPEN = 16;
const MAX_STATE_MS = 90 * 24 * 3600_000;
export const TWILIO_SOURCE = 'twilio';

interface WorkerState {
  /** the activity in force, mapped */
  base: AgentState | null;
  /** the last state emitted, and since when */
  current: AgentState | null;
  since: number | null;
  /** reservations in progress: busy until wrap-up, acw until completed */
  open: Record<string, 'busy' | 'acw'>;
  /** what the last fact produced, re-emitted as is if the same delivery comes again */
  last: { key: string; events: ContactEvent[] } | null;
}

export interface WorkerFact {
  workerKey: string;
  kind: 'activity' | 'accepted' | 'wrapup' | 'closed';
  at: number;
  /** reservation sid (reservation facts) */
  reservation?: string;
  /** activity facts: the new activity, mapped */
  activity?: AgentState | null;
  /** used only when the worker's memory is missing: what the record says came before */
  fallbackPrevious: AgentState | null;
  fallbackPreviousMs: number | null;
  agent: string;
  team: string | null;
  queue: string | null;
  channel: Channel;
  tenant: string;
}

const key = (workerKey: string) => `twilio:worker:${workerKey}`;

function effective(w: WorkerState): AgentState {
  const phases = Object.values(w.open);
  if (phases.includes('busy')) return 'busy';
  if (phases.includes('acw')) return 'after_call_work';
  // TaskRouter reserves tasks only for workers in an available activity
  return w.base ?? 'available';
}

const clampMs = (ms: number | null) => (ms === null || !Number.isFinite(ms) || ms < 0 || ms > MAX_STATE_MS ? null : Math.round(ms));

/** Applies one fact to the worker's timeline; returns the agent_state_changed it causes (none if the state stays). */
export function applyWorkerFact(state: AdapterState, f: WorkerFact): ContactEvent[] {
  const factKey = `${f.kind}:${f.reservation ?? ''}:${f.at}`;
  const stored = state.get<WorkerState>(key(f.workerKey));
  const w: WorkerState = stored ? { ...stored, open: { ...stored.open } } : { base: null, current: null, since: null, open: {}, last: null };
  // a copy: the caller may extend the list it gets, the stored one must stay as sent
  if (w.last?.key === factKey) return [...w.last.events];

  if (w.since !== null && f.at < w.since) {
    // older than the timeline's head: too late to place it, but an ended reservation must not stay open
    if (f.kind === 'closed' && f.reservation !== undefined && f.reservation in w.open) {
      delete w.open[f.reservation];
      state.set(key(f.workerKey), w);
    }
    return [];
  }

  switch (f.kind) {
    case 'activity':
      w.base = f.activity ?? w.base;
      // an offline worker holds no tasks: reservations whose end we missed are dropped
      if (w.base === 'offline') w.open = {};
      break;
    case 'accepted':
      w.open[f.reservation!] = 'busy';
      break;
    case 'wrapup':
      w.open[f.reservation!] = 'acw';
      break;
    case 'closed':
      delete w.open[f.reservation!];
      break;
  }
  const openKeys = Object.keys(w.open);
  for (const k of openKeys.slice(0, Math.max(0, openKeys.length - MAX_OPEN))) delete w.open[k];

  const next = effective(w);
  const events: ContactEvent[] = [];
  if (next !== w.current) {
    const tag = f.kind === 'activity' ? 'activity' : f.kind === 'accepted' ? 'busy' : f.kind === 'wrapup' ? 'acw' : 'free';
    events.push(adapterEvent({
      event_id: eventId('twilio', 'worker', f.workerKey, tag, f.kind === 'activity' ? f.at : f.reservation!),
      tenant_id: f.tenant,
      contact_id: `agent:${f.agent}`,
      type: 'agent_state_changed',
      occurred_at: f.at,
      channel: f.channel,
      direction: 'inbound',
      queue_id: f.queue,
      agent_id: f.agent,
      team_id: f.team,
      source: TWILIO_SOURCE,
      agent_state: next,
      previous_agent_state: w.current ?? f.fallbackPrevious,
      previous_state_ms: clampMs(w.since !== null ? f.at - w.since : f.fallbackPreviousMs),
    }));
    w.current = next;
    w.since = f.at;
  }
  w.last = { key: factKey, events: [...events] };
  state.set(key(f.workerKey), w);
  return events;
}
