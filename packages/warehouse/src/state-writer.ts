import type { ClickHouseClient } from '@clickhouse/client';
import type { AgentState, ContactEvent, EventType } from '@switchboard/events';
import { RowBinary, tokenedInsert, type InsertStats } from './insert';

/**
 * Current state for GET /v1/realtime, folded from each batch and written to `contact_state`
 * and `agent_state` (migration 0009). The aggregator stays stateless: a batch writes, per key,
 * the newest state it saw; ClickHouse keeps every batch's row and readers take the newest by
 * version, so batches may land in any order, twice, or from a replay.
 *
 * Two state machines per contact, each only moved by the events that say something about it:
 *  - `queue`: queued → queued; answered → in_service; abandoned, blocked, contact_ended,
 *    resolved → ended. Other events (wrapup_completed, surveys, transfers …) do not move it: a
 *    transferred call's first leg wraps up after its second leg is queued, and must not take
 *    the contact out of the queue.
 *  - `ticket`: contact_created, reopened → open; resolved → resolved. Its rows carry the
 *    event's priority (migration 0016), which the SLA clocks of open tickets go by.
 *  - `reply`: the first agent reply (agent_message with first_response) → replied, so the
 *    first-reply clock of an open ticket stops (docs/sla.md, "Open tickets now").
 * Agents: agent_state_changed → its agent_state.
 *
 * Out-of-order events: the version is occurred_at (ms) × 16 + a tie-break, so the event that
 * happened last wins however late it arrives (a late `queued` never overrides an `answered`
 * that followed it). Events of one contact in the same millisecond are ordered by lifecycle
 * rank (CONTACT_RANK): a leg's end before the next leg's queueing (a transfer emits
 * contact_ended and queued together), queued before answered/abandoned, created before
 * resolved before reopened. Agent events carry no such order, so same-millisecond changes of
 * one agent take their order within the partition batch (one agent's events share a
 * partition, so the producer's order); across two batches they tie, and event_id decides.
 */

export type ContactMachine = 'queue' | 'ticket' | 'reply';
export type ContactStateName = 'queued' | 'in_service' | 'ended' | 'open' | 'resolved' | 'replied';

/** event type → (machine, state it enters, rank among same-millisecond events of that machine) */
export const CONTACT_TRANSITIONS: Partial<Record<EventType, { machine: ContactMachine; state: ContactStateName; rank: number }>> = {
  contact_ended: { machine: 'queue', state: 'ended', rank: 0 },
  resolved: { machine: 'queue', state: 'ended', rank: 0 },
  queued: { machine: 'queue', state: 'queued', rank: 1 },
  answered: { machine: 'queue', state: 'in_service', rank: 2 },
  abandoned: { machine: 'queue', state: 'ended', rank: 3 },
  blocked: { machine: 'queue', state: 'ended', rank: 3 },
};
export const TICKET_TRANSITIONS: Partial<Record<EventType, { state: ContactStateName; rank: number }>> = {
  contact_created: { state: 'open', rank: 0 },
  resolved: { state: 'resolved', rank: 1 },
  reopened: { state: 'open', rank: 2 },
};

/** ties within one millisecond resolve by this sub-version (0…15) */
const TIE_SLOTS = 16;

export interface ContactStateRow {
  tenant_id: string;
  kind: ContactMachine;
  contact_id: string;
  /** occurred_at × 16 + tie-break */
  ver: number;
  state: ContactStateName;
  /** epoch ms of the event that entered the state */
  since: number;
  queue_id: string;
  team_id: string;
  channel: string;
  /** the event's priority ('' without one) */
  priority: string;
  event_id: string;
}

export interface AgentStateRow {
  tenant_id: string;
  agent_id: string;
  ver: number;
  state: AgentState;
  since: number;
  queue_id: string;
  team_id: string;
  channel: string;
  event_id: string;
}

/** The order readers use: newest version, then the larger event_id. */
export function newer(a: { ver: number; event_id: string }, b: { ver: number; event_id: string }): boolean {
  return a.ver !== b.ver ? a.ver > b.ver : a.event_id > b.event_id;
}

const NONE: ContactStateRow[] = [];

/** The Enum8 codes of the state tables (migration 0009), as RowBinary writes an enum. */
export const CONTACT_KIND_CODE: Record<ContactMachine, number> = { queue: 1, ticket: 2, reply: 3 };
export const CONTACT_STATE_CODE: Record<ContactStateName, number> = { queued: 1, in_service: 2, ended: 3, open: 4, resolved: 5, replied: 6 };
export const AGENT_STATE_CODE: Record<AgentState, number> = { available: 1, busy: 2, after_call_work: 3, away: 4, offline: 5 };

/** The state rows an event yields (none, one, or one per machine: `resolved` ends the queue flow and the ticket). */
export function contactStateRows(e: ContactEvent): ContactStateRow[] {
  const q = CONTACT_TRANSITIONS[e.type];
  const t = TICKET_TRANSITIONS[e.type];
  const row = (kind: ContactMachine, state: ContactStateName, rank: number): ContactStateRow => ({
    tenant_id: e.tenant_id, kind, contact_id: e.contact_id, ver: e.occurred_at * TIE_SLOTS + rank, state,
    since: e.occurred_at, queue_id: e.queue_id ?? '', team_id: e.team_id ?? '', channel: e.channel, priority: e.priority ?? '', event_id: e.event_id,
  });
  // a contact has one first reply (its event_id is stable across replays), so one `reply` row
  if (e.type === 'agent_message' && e.first_response === true) return [row('reply', 'replied', 0)];
  if (!q && !t) return NONE;
  if (q && t) return [row('queue', q.state, q.rank), row('ticket', t.state, t.rank)];
  return q ? [row('queue', q.state, q.rank)] : [row('ticket', t!.state, t!.rank)];
}

/**
 * Folds a batch into the newest state per contact machine and per agent. Deterministic for a
 * given batch (same records → same rows), so a replay writes identical blocks.
 */
export function foldStateRows(events: Iterable<ContactEvent>): { contacts: ContactStateRow[]; agents: AgentStateRow[] } {
  const contacts = new Map<string, ContactStateRow>();
  const agents = new Map<string, AgentStateRow>();
  /** same-millisecond changes of one agent seen so far in this batch */
  const agentTies = new Map<string, number>();
  for (const e of events) {
    for (const row of contactStateRows(e)) {
      const k = `${row.tenant_id}\u0001${row.kind}\u0001${row.contact_id}`;
      const had = contacts.get(k);
      if (!had || newer(row, had)) contacts.set(k, row);
    }
    if (e.type === 'agent_state_changed' && e.agent_id && e.agent_state) {
      const tieKey = `${e.tenant_id}\u0001${e.agent_id}\u0001${e.occurred_at}`;
      const tie = Math.min(agentTies.get(tieKey) ?? 0, TIE_SLOTS - 1);
      agentTies.set(tieKey, tie + 1);
      const row: AgentStateRow = {
        tenant_id: e.tenant_id, agent_id: e.agent_id, ver: e.occurred_at * TIE_SLOTS + tie, state: e.agent_state,
        since: e.occurred_at, queue_id: e.queue_id ?? '', team_id: e.team_id ?? '', channel: e.channel, event_id: e.event_id,
      };
      const k = `${e.tenant_id}\u0001${e.agent_id}`;
      const had = agents.get(k);
      if (!had || newer(row, had)) agents.set(k, row);
    }
  }
  return { contacts: [...contacts.values()], agents: [...agents.values()] };
}


/**
 * Writes a batch's state rows, each table one block under its own token derived from the
 * batch's (`${token}:contact_state`, `${token}:agent_state`): a replay of the batch is dropped
 * by ClickHouse's deduplication window, and would change nothing anyway (same rows, same
 * versions, newest wins).
 */
export class StateWriter {
  constructor(private readonly client: ClickHouseClient, private readonly stats?: InsertStats) {}

  async write(events: Iterable<ContactEvent>, dedupToken: string): Promise<{ contacts: number; agents: number }> {
    const { contacts, agents } = foldStateRows(events);
    if (contacts.length > 0) {
      const out = new RowBinary(contacts.length * 128);
      for (const r of contacts) {
        out.string(r.tenant_id);
        out.uint8(CONTACT_KIND_CODE[r.kind]);
        out.string(r.contact_id);
        out.uint64(r.ver);
        out.uint8(CONTACT_STATE_CODE[r.state]);
        out.int64(r.since);
        out.string(r.queue_id);
        out.string(r.team_id);
        out.string(r.channel);
        out.string(r.priority);
        out.string(r.event_id);
      }
      await this.insert('contact_state', dedupToken, ['tenant_id', 'kind', 'contact_id', 'ver', 'state', 'since', 'queue_id', 'team_id', 'channel', 'priority', 'event_id'], out, contacts.length);
    }
    if (agents.length > 0) {
      const out = new RowBinary(agents.length * 128);
      for (const r of agents) {
        out.string(r.tenant_id);
        out.string(r.agent_id);
        out.uint64(r.ver);
        out.uint8(AGENT_STATE_CODE[r.state]);
        out.int64(r.since);
        out.string(r.queue_id);
        out.string(r.team_id);
        out.string(r.channel);
        out.string(r.event_id);
      }
      await this.insert('agent_state', dedupToken, ['tenant_id', 'agent_id', 'ver', 'state', 'since', 'queue_id', 'team_id', 'channel', 'event_id'], out, agents.length);
    }
    return { contacts: contacts.length, agents: agents.length };
  }

  /** One block under a token derived from the batch's, so the token covers the whole batch. */
  private async insert(table: string, token: string, columns: string[], out: RowBinary, rowCount: number): Promise<void> {
    await tokenedInsert(this.client, { table, columns, binary: { bytes: out.bytes(), rowCount }, token: `${token}:${table}` }, this.stats);
  }
}
