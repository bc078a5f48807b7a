import { describe, expect, it } from 'vitest';
import { RecordError } from '../src/common';
import { amazonConnectFormats } from '../src/amazon-connect/index';
import { clone, ctxOf, ev, fixture, mapValid, t, type Json } from './amazon-connect-helpers';

const agentFormat = amazonConnectFormats.find((f) => f.name === 'amazon-connect-agent-event')!;
const any = amazonConnectFormats.find((f) => f.name === 'amazon-connect')!;

const login: Json = fixture('agent-login.json');
const QUEUE = { ARN: 'arn:aws:connect:eu-west-2:111122223333:instance/4f0c1d2e-aaaa-bbbb-cccc-0123456789ab/queue/9a8b7c6d', Name: 'Billing' };

interface Snap {
  status: string;
  since: string;
  type?: string;
  contacts?: { state: string; since: string; connected?: string }[];
}

function snapshot(s: Snap): Json {
  const out = clone(login.CurrentAgentSnapshot);
  out.AgentStatus = { ARN: `${login.InstanceARN}/agent-state/${s.status}`, Name: s.status, StartTimestamp: s.since, ...(s.type ? { Type: s.type } : {}) };
  out.Contacts = (s.contacts ?? []).map((c, i) => ({
    ContactId: `c0ffee00-00${10 + i}-4a4a-9b9b-0000000000aa`, InitialContactId: null, Channel: 'VOICE', InitiationMethod: 'INBOUND',
    State: c.state, StateStartTimestamp: c.since, ConnectedToAgentTimestamp: c.connected ?? null, QueueTimestamp: '2026-11-24T08:09:50.000Z', Queue: QUEUE,
  }));
  return out;
}

function agentEvent(id: string, type: string, at: string, current: Snap | null, previous: Snap | null): Json {
  const r = clone(login);
  r.EventId = id;
  r.EventType = type;
  r.EventTimestamp = at;
  r.CurrentAgentSnapshot = current ? snapshot(current) : null;
  r.PreviousAgentSnapshot = previous ? snapshot(previous) : null;
  return r;
}

const change = (id: string, init: { at: string; state: string; previous: string | null; ms: number | null }) =>
  ev({
    event_id: `amzn:agent:${id}`, contact_id: 'agent:jdoe', type: 'agent_state_changed', occurred_at: t(init.at), channel: 'voice', direction: 'inbound',
    agent_id: 'jdoe', team_id: 'Billing Team A', agent_state: init.state as 'available', previous_agent_state: init.previous as 'available' | null,
    previous_state_ms: init.ms,
  });

// one agent's morning: log in available, take a call, hold it, wrap up, back to available, lunch, log out
const available: Snap = { status: 'Available', since: '2026-11-24T08:00:00.120Z', type: 'ROUTABLE' };
const ringing: Snap = { ...available, contacts: [{ state: 'CONNECTING', since: '2026-11-24T08:10:00.000Z' }] };
const talking: Snap = { ...available, contacts: [{ state: 'CONNECTED', since: '2026-11-24T08:10:03.500Z', connected: '2026-11-24T08:10:03.500Z' }] };
const holding: Snap = { ...available, contacts: [{ state: 'CONNECTED_ONHOLD', since: '2026-11-24T08:12:00.000Z', connected: '2026-11-24T08:10:03.500Z' }] };
const wrapping: Snap = { ...available, contacts: [{ state: 'ENDED', since: '2026-11-24T08:15:00.250Z', connected: '2026-11-24T08:10:03.500Z' }] };
const lunch: Snap = { status: 'Lunch', since: '2026-11-24T08:30:00.000Z', type: 'CUSTOM' };
const offline: Snap = { status: 'Offline', since: '2026-11-24T09:30:00.000Z', type: 'OFFLINE' };

const morning = [
  agentEvent('e-01', 'LOGIN', '2026-11-24T08:00:00.120Z', available, null),
  agentEvent('e-02', 'HEART_BEAT', '2026-11-24T08:02:00.120Z', available, available),
  agentEvent('e-03', 'STATE_CHANGE', '2026-11-24T08:10:00.000Z', ringing, available),
  agentEvent('e-04', 'STATE_CHANGE', '2026-11-24T08:10:03.500Z', talking, ringing),
  agentEvent('e-05', 'STATE_CHANGE', '2026-11-24T08:12:00.000Z', holding, talking),
  agentEvent('e-06', 'STATE_CHANGE', '2026-11-24T08:15:00.250Z', wrapping, holding),
  agentEvent('e-07', 'STATE_CHANGE', '2026-11-24T08:16:00.000Z', available, wrapping),
  agentEvent('e-08', 'STATE_CHANGE', '2026-11-24T08:30:00.000Z', lunch, available),
  agentEvent('e-09', 'STATE_CHANGE', '2026-11-24T09:30:00.000Z', offline, lunch),
  agentEvent('e-10', 'LOGOUT', '2026-11-24T09:30:00.400Z', offline, offline),
];

const morningEvents = [
  change('e-01', { at: '2026-11-24T08:00:00.120Z', state: 'available', previous: 'offline', ms: null }),
  change('e-04', { at: '2026-11-24T08:10:03.500Z', state: 'busy', previous: 'available', ms: t('2026-11-24T08:10:03.500Z') - t('2026-11-24T08:00:00.120Z') }),
  change('e-06', { at: '2026-11-24T08:15:00.250Z', state: 'after_call_work', previous: 'busy', ms: t('2026-11-24T08:15:00.250Z') - t('2026-11-24T08:10:03.500Z') }),
  change('e-07', { at: '2026-11-24T08:16:00.000Z', state: 'available', previous: 'after_call_work', ms: t('2026-11-24T08:16:00.000Z') - t('2026-11-24T08:15:00.250Z') }),
  // the status has said Available since 08:00; the memory knows the agent became available again at 08:16
  change('e-08', { at: '2026-11-24T08:30:00.000Z', state: 'away', previous: 'available', ms: t('2026-11-24T08:30:00.000Z') - t('2026-11-24T08:16:00.000Z') }),
  change('e-09', { at: '2026-11-24T09:30:00.000Z', state: 'offline', previous: 'away', ms: 3600_000 }),
];

function mapAll(records: Json[], ctx = ctxOf()) {
  const events = [];
  let ignored = 0;
  for (const r of records) {
    const m = mapValid(agentFormat, r, ctx);
    events.push(...m.events);
    ignored += m.ignored;
  }
  return { events, ignored };
}

describe('amazon-connect agent events', () => {
  it('turns a morning of agent events into the contact-event state changes, once per real change', () => {
    // HEART_BEAT, ringing (still available), hold (still busy) and the LOGOUT after going offline change nothing
    expect(mapAll(morning)).toEqual({ events: morningEvents, ignored: 4 });
  });

  it('without memory (after a restart) falls back on the snapshot: the status start time', () => {
    const m = mapValid(agentFormat, morning[7], ctxOf());
    expect(m.events).toEqual([{ ...morningEvents[4]!, previous_state_ms: t('2026-11-24T08:30:00.000Z') - t('2026-11-24T08:00:00.120Z') }]);
  });

  it('gives a redelivered event the same id, and a late one does not wind the agent back', () => {
    const ctx = ctxOf();
    const first = mapAll(morning.slice(0, 8), ctx).events;
    const again = mapValid(agentFormat, clone(morning[3]), ctx).events;
    expect(again.map((e) => e.event_id)).toEqual(['amzn:agent:e-04']);
    // the memory still says away since 08:30: going offline at 09:30 lasted an hour
    expect(mapValid(agentFormat, morning[8], ctx).events).toEqual([morningEvents[5]]);
    expect(first).toEqual(morningEvents.slice(0, 5));
  });

  it('LOGOUT without a current snapshot means offline', () => {
    const r = agentEvent('e-20', 'LOGOUT', '2026-11-24T12:00:00.000Z', null, lunch);
    expect(mapValid(agentFormat, r, ctxOf()).events).toEqual([
      change('e-20', { at: '2026-11-24T12:00:00.000Z', state: 'offline', previous: 'away', ms: t('2026-11-24T12:00:00.000Z') - t('2026-11-24T08:30:00.000Z') }),
    ]);
  });

  it('a missed contact leaves an Available agent away; statuses without Type are read by name', () => {
    const missed: Snap = { status: 'Available', since: '2026-11-24T08:00:00.120Z', contacts: [{ state: 'MISSED', since: '2026-11-24T08:20:00.000Z' }] };
    const r = agentEvent('e-30', 'STATE_CHANGE', '2026-11-24T08:20:00.000Z', missed, { status: 'Available', since: '2026-11-24T08:00:00.120Z' });
    expect(mapValid(agentFormat, r, ctxOf()).events.map((e) => [e.agent_state, e.previous_agent_state])).toEqual([['away', 'available']]);
  });

  it('a chat agent with one chat ended and one still connected is busy', () => {
    const two: Snap = { ...available, contacts: [{ state: 'ENDED', since: '2026-11-24T08:20:00.000Z' }, { state: 'CONNECTED', since: '2026-11-24T08:18:00.000Z' }] };
    const r = agentEvent('e-40', 'STATE_CHANGE', '2026-11-24T08:20:00.000Z', two, talking);
    expect(mapValid(agentFormat, r, ctxOf())).toEqual({ events: [], ignored: 1 });
  });

  it('takes the team from the deepest hierarchy level, else the routing profile', () => {
    const r = clone(morning[0]);
    r.CurrentAgentSnapshot.Configuration.AgentHierarchyGroups = null;
    expect(mapValid(agentFormat, r, ctxOf()).events[0]?.team_id).toBe('Billing Voice');
  });

  it('refuses events without an id, a time or a username', () => {
    const reason = (spoil: (r: Json) => void) => {
      const r = clone(morning[3]);
      spoil(r);
      try {
        agentFormat.map(r, ctxOf());
      } catch (err) {
        if (err instanceof RecordError) return err.reason;
      }
      return 'no error';
    };
    expect(reason((r) => delete r.EventId)).toBe('EventId: required');
    expect(reason((r) => delete r.EventTimestamp)).toBe('EventTimestamp: missing or not a timestamp');
    expect(reason((r) => (r.EventTimestamp = 'yesterday'))).toBe('EventTimestamp: timestamp "yesterday" has no UTC offset');
    expect(reason((r) => {
      delete r.CurrentAgentSnapshot.Configuration.Username;
      delete r.PreviousAgentSnapshot.Configuration.Username;
    })).toBe('CurrentAgentSnapshot.Configuration.Username: required');
    expect(reason((r) => (r.CurrentAgentSnapshot = null))).toBe('CurrentAgentSnapshot: required');
    expect(reason((r) => (r.EventType = undefined))).toBe('EventType: required');
  });

  it('is told apart from contact records by shape; a CTR is refused by the agent format', () => {
    expect(mapValid(any, morning[0], ctxOf()).events).toEqual([morningEvents[0]]);
    expect(() => agentFormat.map(fixture('ctr-abandoned.json'), ctxOf())).toThrow(RecordError);
  });

  it('ignores unknown event types and fields', () => {
    const r = clone(morning[3]);
    r.NewTopLevel = { x: 1 };
    r.CurrentAgentSnapshot.NextAgentStatus = { Name: 'Lunch', ARN: 'x', EnqueueTimestamp: '2026-11-24T08:11:00.000Z' };
    expect(mapValid(agentFormat, r, ctxOf()).events).toEqual([morningEvents[1]]);
    const unknown = clone(morning[3]);
    unknown.EventType = 'SOMETHING_NEW';
    expect(mapValid(agentFormat, unknown, ctxOf())).toEqual({ events: [], ignored: 1 });
  });
});
