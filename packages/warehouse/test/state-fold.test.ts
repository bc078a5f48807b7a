import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';
// the state folding the aggregator writes with (src/state-writer.ts)
import { foldStateRows, newer, type AgentStateRow, type ContactStateRow } from '../src/state-writer';

const T = Date.parse('2026-11-22T10:00:00Z');
let n = 0;
const ev = (type: ContactEventInit['type'], at: number, extra: Partial<ContactEventInit> = {}): ContactEvent =>
  makeEvent({ event_id: `e${String(n++).padStart(4, '0')}`, tenant_id: 't', contact_id: 'c1', type, occurred_at: T + at, channel: 'voice', direction: 'inbound', source: 'api', queue_id: 'q1', ...extra });
const agentEv = (state: ContactEventInit['agent_state'], at: number, extra: Partial<ContactEventInit> = {}) =>
  ev('agent_state_changed', at, { contact_id: 'agent:a1', agent_id: 'a1', team_id: 'team-1', agent_state: state, ...extra });

/** What a reader sees after any number of batches: per key the newest row, as argMax((ver, event_id)) picks it. */
function stateAfter(batches: ContactEvent[][]): { contacts: Map<string, ContactStateRow>; agents: Map<string, AgentStateRow> } {
  const contacts = new Map<string, ContactStateRow>();
  const agents = new Map<string, AgentStateRow>();
  for (const b of batches) {
    const f = foldStateRows(b);
    for (const r of f.contacts) {
      const k = `${r.tenant_id}/${r.kind}/${r.contact_id}`;
      const had = contacts.get(k);
      if (!had || newer(r, had)) contacts.set(k, r);
    }
    for (const r of f.agents) {
      const k = `${r.tenant_id}/${r.agent_id}`;
      const had = agents.get(k);
      if (!had || newer(r, had)) agents.set(k, r);
    }
  }
  return { contacts, agents };
}
const summary = (s: ReturnType<typeof stateAfter>) => ({
  contacts: Object.fromEntries([...s.contacts].map(([k, r]) => [k, `${r.state}@${r.since - T}:${r.queue_id}`])),
  agents: Object.fromEntries([...s.agents].map(([k, r]) => [k, `${r.state}@${r.since - T}`])),
});

describe('foldStateRows', () => {
  it('ticket rows carry the event\'s priority; the first agent reply is a `reply` row, later replies none (SLA clocks, docs/sla.md)', () => {
    const f = foldStateRows([
      ev('contact_created', 0, { channel: 'email', priority: 'urgent' }),
      ev('agent_message', 60_000, { channel: 'email', priority: 'urgent', agent_id: 'a1', first_response: true, response_ms: 60_000 }),
      ev('agent_message', 120_000, { channel: 'email', priority: 'urgent', agent_id: 'a1', first_response: false, response_ms: 10_000 }),
      ev('contact_created', 0, { contact_id: 'c2', channel: 'email' }),
    ]);
    expect(f.contacts.map((r) => [r.contact_id, r.kind, r.state, r.since - T, r.priority])).toEqual([
      ['c1', 'ticket', 'open', 0, 'urgent'],
      ['c1', 'reply', 'replied', 60_000, 'urgent'],
      ['c2', 'ticket', 'open', 0, ''],
    ]);
  });

  it('keeps one row per contact machine: the queue flow and the ticket', () => {
    const f = foldStateRows([ev('contact_created', 0), ev('queued', 1000), ev('answered', 21_000, { wait_ms: 20_000, agent_id: 'a1', team_id: 'team-1' })]);
    expect(f.contacts.map((r) => [r.kind, r.state, r.since - T, r.team_id])).toEqual([
      ['ticket', 'open', 0, ''],
      ['queue', 'in_service', 21_000, 'team-1'],
    ]);
    expect(f.agents).toEqual([]);
  });

  it('ignores events that say nothing about the queue or the ticket (a first leg wrapping up after the second leg queued)', () => {
    const transfer = [
      ev('queued', 0), ev('answered', 5000, { wait_ms: 5000 }),
      ev('transferred', 60_000), ev('contact_ended', 60_000, { talk_ms: 55_000, hold_ms: 0 }), ev('queued', 60_000, { queue_id: 'q2' }),
      ev('wrapup_completed', 90_000, { acw_ms: 30_000, handle_ms: 85_000 }), ev('survey_response', 95_000, { survey_kind: 'csat', score: 5 }),
    ];
    expect(summary(stateAfter([transfer]))).toEqual({ contacts: { 't/queue/c1': 'queued@60000:q2' }, agents: {} });
  });

  it('orders same-millisecond events by lifecycle: a leg ends before the next is queued, created before resolved before reopened', () => {
    const sameMs = [ev('queued', 0), ev('contact_ended', 0), ev('reopened', 0), ev('resolved', 0), ev('contact_created', 0)];
    // every order of arrival gives the same state
    fc.assert(fc.property(fc.shuffledSubarray(sameMs, { minLength: sameMs.length, maxLength: sameMs.length }), (order) => {
      expect(summary(stateAfter([order]))).toEqual({ contacts: { 't/queue/c1': 'queued@0:q1', 't/ticket/c1': 'open@0:q1' }, agents: {} });
    }), { seed: 42, numRuns: 60 });
  });

  it('lets the event that happened last win, however the events are delivered and batched', () => {
    const history = [
      ev('contact_created', 0), ev('queued', 2000), ev('answered', 9000, { wait_ms: 7000 }), ev('contact_ended', 70_000),
      ev('wrapup_completed', 80_000), ev('resolved', 80_000, { resolution_ms: 80_000 }),
      ev('reopened', 500_000), ev('queued', 500_000, { queue_id: 'q2' }),
      agentEv('available', 1000), agentEv('busy', 9000), agentEv('after_call_work', 70_000), agentEv('available', 80_000), agentEv('away', 81_000),
    ];
    const want = summary(stateAfter([history]));
    expect(want).toEqual({ contacts: { 't/queue/c1': 'queued@500000:q2', 't/ticket/c1': 'open@500000:q1' }, agents: { 't/a1': 'away@81000' } });
    // any permutation, cut into any batches (a replay of a batch included)
    fc.assert(fc.property(
      fc.shuffledSubarray(history, { minLength: history.length, maxLength: history.length }),
      fc.array(fc.nat(history.length), { maxLength: 4 }),
      fc.boolean(),
      (order, cuts, replay) => {
        const at = [...new Set([0, ...cuts, history.length])].sort((a, b) => a - b);
        const batches = at.slice(1).map((end, i) => order.slice(at[i], end));
        if (replay) batches.push(batches[0]!);
        expect(summary(stateAfter(batches))).toEqual(want);
      },
    ), { seed: 7, numRuns: 200 });
  });

  it('a late event older than the current state changes nothing', () => {
    const s = stateAfter([[ev('queued', 0), ev('answered', 4000, { wait_ms: 4000 })], [ev('queued', 0)], [ev('abandoned', 3000, { wait_ms: 3000 })]]);
    expect(summary(s).contacts).toEqual({ 't/queue/c1': 'in_service@4000:q1' });
  });

  it('orders one agent\'s same-millisecond changes by their order in the batch; rows of separate batches never merge keys across tenants or agents', () => {
    const f = foldStateRows([agentEv('after_call_work', 0), agentEv('available', 0), agentEv('away', 0), agentEv('busy', 0, { agent_id: 'a2' }), agentEv('offline', 0, { tenant_id: 'u' })]);
    expect(f.agents.map((r) => `${r.tenant_id}/${r.agent_id}:${r.state}`).sort()).toEqual(['t/a1:away', 't/a2:busy', 'u/a1:offline']);
  });

  it('is deterministic: the same batch folds to the same rows (a replay writes an identical block)', () => {
    const batch = [ev('queued', 0), agentEv('busy', 0), ev('answered', 100, { wait_ms: 100 }), agentEv('available', 0), ev('contact_created', 0, { contact_id: 'c2' })];
    expect(foldStateRows(batch)).toEqual(foldStateRows([...batch]));
  });
});
