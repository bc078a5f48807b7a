// TaskRouter workspace callbacks → events: the lifecycle, transfers, redelivery, disorder and
// forgotten state. Fixtures are decoded callback form parameters, as TaskRouter posts them.
import { describe, expect, it } from 'vitest';
import { MemoryState, RecordError, eventId, pseudonymize } from '../src/common';
import { TENANT, at, callbackFormat, ev, fixture, run } from './twilio-helpers';

const call = fixture<Record<string, string>[]>('callback-voice-call.json');
const xfer = fixture<Record<string, string>[]>('callback-transfer.json');

const ALICE = 'WK522b276a356bdf39013dfabea2cd43e1';
const BOB = 'WK48181acd22b3edaebc8a447868a7df7c';
const BILLING = 'WQacd14c7a6c04c1dd6dc6c2d66d487a28';
const TECH = 'WQc95ee47689a0aaec70c3eb9502446577';

describe('answered voice call (workspace callbacks)', () => {
  const task = 'WT00642c1d62daefae0537bce70ec349c3';
  const resv = 'WR595800ecd03b286afb06049e7663b766';
  const customer = pseudonymize(TENANT, '+14155550101');
  const contact = { contact_id: task, customer_id: customer, topic: 'billing_question' };
  const alice = { contact_id: 'agent:alice', agent_id: 'alice', team_id: 'Blue' };
  const seg = { ...contact, queue_id: 'Billing', agent_id: 'alice', team_id: 'Blue', attributes: { reservation_sid: resv } };

  // 42.25 s in queue, 352 s talking (35 s of it on hold in the conference: TaskRouter never hears
  // of hold, so it stays in talk and hold_ms is null), 58 s of wrap-up
  const expected = [
    ev({ ...alice, event_id: eventId('twilio', 'worker', ALICE, 'activity', at('2026-12-01T09:00:00.000Z')), type: 'agent_state_changed',
      occurred_at: at('2026-12-01T09:00:00.000Z'), agent_state: 'available', previous_agent_state: 'offline', previous_state_ms: 54_000_000 }),
    ev({ ...contact, event_id: `twilio:${task}:created`, type: 'contact_created', occurred_at: at('2026-12-01T09:02:10.120Z') }),
    ev({ ...contact, event_id: `twilio:${task}:queued:${BILLING}`, type: 'queued', occurred_at: at('2026-12-01T09:02:10.480Z'), queue_id: 'Billing' }),
    ev({ ...seg, event_id: `twilio:${task}:answered:${resv}`, type: 'answered', occurred_at: at('2026-12-01T09:02:52.730Z'), wait_ms: 42_250 }),
    ev({ ...alice, event_id: `twilio:worker:${ALICE}:busy:${resv}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:02:52.730Z'),
      queue_id: 'Billing', agent_state: 'busy', previous_agent_state: 'available', previous_state_ms: 172_730 }),
    ev({ ...seg, event_id: `twilio:${task}:ended:${resv}`, type: 'contact_ended', occurred_at: at('2026-12-01T09:08:44.730Z'), talk_ms: 352_000, hold_ms: null }),
    ev({ ...alice, event_id: `twilio:worker:${ALICE}:acw:${resv}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:08:44.730Z'),
      queue_id: 'Billing', agent_state: 'after_call_work', previous_agent_state: 'busy', previous_state_ms: 352_000 }),
    ev({ ...seg, event_id: `twilio:${task}:wrapup:${resv}`, type: 'wrapup_completed', occurred_at: at('2026-12-01T09:09:42.730Z'),
      acw_ms: 58_000, handle_ms: 410_000, resolution_code: 'resolved' }),
    ev({ ...alice, event_id: `twilio:worker:${ALICE}:free:${resv}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:09:42.730Z'),
      queue_id: 'Billing', agent_state: 'available', previous_agent_state: 'after_call_work', previous_state_ms: 58_000 }),
  ];

  it('maps the lifecycle to exact events, durations derived from the moments', () => {
    const out = run(callbackFormat, call);
    expect(out.rejected).toEqual([]);
    expect(out.events).toEqual(expected);
    // reservation.created and task.wrapup add nothing
    expect(out.ignored).toBe(2);
  });

  it('ignores fields it does not know', () => {
    const noisy = call.map((r) => ({ ...r, AddonsData: '{"x":1}', OperatingUnitSid: 'OU0123', SomethingNew: 'yes' }));
    expect(run(callbackFormat, noisy).events).toEqual(expected);
  });

  it('gives a redelivered callback the same events, ids and all', () => {
    const state = new MemoryState();
    for (const r of call) {
      const first = run(callbackFormat, [r], { state });
      const again = run(callbackFormat, [r], { state });
      expect(again).toEqual(first);
    }
  });

  it('replaying the whole lifecycle repeats its events under the same ids, and no agent state but the latest', () => {
    const state = new MemoryState();
    run(callbackFormat, call, { state });
    const replay = run(callbackFormat, call, { state }).events;
    // older agent moments cannot be placed on the timeline again; the last one is re-sent as it was
    expect(replay).toEqual([...expected.filter((e) => e.type !== 'agent_state_changed'), expected[8]]);
  });

  it('derives talk time when the wrap-up arrives before the accept', () => {
    const [login, created, entered, reserved, accepted, wrapup, taskWrapup, completed] = call;
    const out = run(callbackFormat, [login, created, entered, reserved, wrapup, taskWrapup, accepted, completed]);
    const contactEvents = out.events.filter((e) => e.type !== 'agent_state_changed');
    // contact_ended waited for the accept, then came with the right talk time
    expect(contactEvents).toEqual([expected[1], expected[2], expected[3], expected[5], expected[7]]);
    // the agent timeline can only be told in arrival order: the late accept is too old to place
    expect(out.events.filter((e) => e.type === 'agent_state_changed')).toEqual([
      expected[0],
      ev({ ...alice, event_id: `twilio:worker:${ALICE}:acw:${resv}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:08:44.730Z'),
        queue_id: 'Billing', agent_state: 'after_call_work', previous_agent_state: 'available', previous_state_ms: 524_730 }),
      expected[8],
    ]);
  });

  it('takes a completion without a wrap-up as talk up to completion, and a wrap-up arriving after it as too late', () => {
    const [login, created, entered, , accepted, wrapup, , completed] = call;
    const out = run(callbackFormat, [login, created, entered, accepted, completed, wrapup]);
    expect(out.events.filter((e) => e.type === 'contact_ended' || e.type === 'wrapup_completed').map((e) => [e.type, e.occurred_at, e.talk_ms, e.acw_ms, e.handle_ms])).toEqual([
      ['contact_ended', at('2026-12-01T09:09:42.730Z'), 410_000, null, null],
      ['wrapup_completed', at('2026-12-01T09:09:42.730Z'), null, 0, 410_000],
    ]);
    expect(out.ignored).toBe(1);
  });

  it('falls back to TaskAge when the memory of the task is gone (restart)', () => {
    const completed = call[7]!;
    const out = run(callbackFormat, [completed]);
    // TaskAge 452 s at completion: talk is counted from the task's creation, flagged as such
    expect(out.events).toEqual([
      ev({ ...seg, event_id: `twilio:${task}:ended:${resv}`, type: 'contact_ended', occurred_at: at('2026-12-01T09:09:42.730Z'), talk_ms: 452_000,
        attributes: { reservation_sid: resv, talk_from: 'task_age' } }),
      ev({ ...seg, event_id: `twilio:${task}:wrapup:${resv}`, type: 'wrapup_completed', occurred_at: at('2026-12-01T09:09:42.730Z'),
        acw_ms: 0, handle_ms: 452_000, resolution_code: 'resolved', attributes: { reservation_sid: resv, handle_from: 'task_age' } }),
      ev({ ...alice, event_id: `twilio:worker:${ALICE}:free:${resv}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:09:42.730Z'),
        queue_id: 'Billing', agent_state: 'available', previous_agent_state: 'busy', previous_state_ms: null }),
    ]);
  });

  it('takes the wait from the record when task-queue.entered was not seen', () => {
    const out = run(callbackFormat, [call[4]!]);
    // TaskQueueEnteredDate is whole seconds: 09:02:10 → 09:02:52.730
    expect(out.events[0]).toEqual(ev({ ...seg, event_id: `twilio:${task}:answered:${resv}`, type: 'answered', occurred_at: at('2026-12-01T09:02:52.730Z'),
      wait_ms: 42_730, attributes: { reservation_sid: resv, wait_from: 'task_queue_entered_date' } }));
  });

  it('rejects a record missing what it needs, with the field named', () => {
    const accepted = call[4]!;
    const { TaskSid: _t, ...noTask } = accepted;
    const { ReservationSid: _r, ...noResv } = accepted;
    const { EventType: _e, ...noType } = accepted;
    const { WorkerName: _n, WorkerSid: _s, ...noWorker } = accepted;
    const badTime = { ...accepted, TimestampMs: 'yesterday' };
    const out = run(callbackFormat, [noTask, noResv, noType, noWorker, badTime, 'not an object']);
    expect(out.events).toEqual([]);
    expect(out.rejected).toEqual([
      { index: 0, reason: 'TaskSid: required' },
      { index: 1, reason: 'ReservationSid: required' },
      { index: 2, reason: 'EventType: required' },
      { index: 3, reason: 'WorkerName: required (WorkerSid at least): the agent of the reservation' },
      { index: 4, reason: 'TimestampMs: timestamp "yesterday" has no UTC offset' },
      { index: 5, reason: 'callback: must be an object' },
    ]);
    expect(() => callbackFormat.map(noTask, { tenant: TENANT, state: new MemoryState() })).toThrow(RecordError);
  });

  it('reads Timestamp (whole seconds) when TimestampMs is absent', () => {
    const { TimestampMs: _ms, ...created } = call[1]!;
    expect(run(callbackFormat, [created]).events[0]!.occurred_at).toBe(at('2026-12-01T09:02:10.000Z'));
  });
});

describe('transfer within TaskRouter (one task, a reservation per agent)', () => {
  const task = 'WTc27c99bd57f85c80a748d65a4b46e4fa';
  const r1 = 'WRc15155320a4957a171f192c9d19f598d';
  const r2 = 'WR933d6a9766475879bea9681f3b1574b1';
  const contact = { contact_id: task, customer_id: pseudonymize(TENANT, '+14155550206'), topic: 'internet_down' };
  const leg1 = { ...contact, queue_id: 'Billing', agent_id: 'alice', team_id: 'Blue', attributes: { reservation_sid: r1 } };
  const leg2 = { ...contact, queue_id: 'Tech Support', agent_id: 'bob', team_id: 'Blue', attributes: { reservation_sid: r2 } };
  const alice = { contact_id: 'agent:alice', agent_id: 'alice', team_id: 'Blue', queue_id: 'Billing' };
  const bob = { contact_id: 'agent:bob', agent_id: 'bob', team_id: 'Blue', queue_id: 'Tech Support' };

  it('keeps one contact; each agent gets their own answer, talk and wrap-up; the transfer is counted once', () => {
    const out = run(callbackFormat, xfer);
    expect(out.rejected).toEqual([]);
    expect(out.events).toEqual([
      ev({ ...contact, event_id: `twilio:${task}:created`, type: 'contact_created', occurred_at: at('2026-12-01T09:50:00.000Z') }),
      ev({ ...contact, event_id: `twilio:${task}:queued:${BILLING}`, type: 'queued', occurred_at: at('2026-12-01T09:50:00.400Z'), queue_id: 'Billing' }),
      ev({ ...leg1, event_id: `twilio:${task}:answered:${r1}`, type: 'answered', occurred_at: at('2026-12-01T09:50:15.400Z'), wait_ms: 15_000 }),
      // no activity seen for alice yet: TaskRouter only reserves available workers, for how long is unknown
      ev({ ...alice, event_id: `twilio:worker:${ALICE}:busy:${r1}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:50:15.400Z'),
        agent_state: 'busy', previous_agent_state: 'available', previous_state_ms: null }),
      ev({ ...contact, event_id: `twilio:${task}:transferred:TTc27c99bd57f85c80a748d65a4b46e4fa`, type: 'transferred', occurred_at: at('2026-12-01T09:52:15.400Z'),
        queue_id: 'Billing', agent_id: 'alice', team_id: 'Blue', attributes: { transfer_to: TECH, transfer_type: 'queue', transfer_mode: 'cold' } }),
      ev({ ...leg1, event_id: `twilio:${task}:ended:${r1}`, type: 'contact_ended', occurred_at: at('2026-12-01T09:52:15.800Z'), talk_ms: 120_400 }),
      ev({ ...alice, event_id: `twilio:worker:${ALICE}:acw:${r1}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:52:15.800Z'),
        agent_state: 'after_call_work', previous_agent_state: 'busy', previous_state_ms: 120_400 }),
      ev({ ...contact, event_id: `twilio:${task}:queued:${TECH}`, type: 'queued', occurred_at: at('2026-12-01T09:52:16.300Z'), queue_id: 'Tech Support' }),
      ev({ ...leg2, event_id: `twilio:${task}:answered:${r2}`, type: 'answered', occurred_at: at('2026-12-01T09:52:36.300Z'), wait_ms: 20_000 }),
      ev({ ...bob, event_id: `twilio:worker:${BOB}:busy:${r2}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:52:36.300Z'),
        agent_state: 'busy', previous_agent_state: 'available', previous_state_ms: null }),
      // task.transfer-completed: the same transfer, already counted
      // alice's segment stays in Billing although the task has moved on
      ev({ ...leg1, event_id: `twilio:${task}:wrapup:${r1}`, type: 'wrapup_completed', occurred_at: at('2026-12-01T09:52:37.300Z'), acw_ms: 21_500, handle_ms: 141_900 }),
      ev({ ...alice, event_id: `twilio:worker:${ALICE}:free:${r1}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:52:37.300Z'),
        agent_state: 'available', previous_agent_state: 'after_call_work', previous_state_ms: 21_500 }),
      ev({ ...leg2, event_id: `twilio:${task}:ended:${r2}`, type: 'contact_ended', occurred_at: at('2026-12-01T09:57:36.300Z'), talk_ms: 300_000 }),
      ev({ ...bob, event_id: `twilio:worker:${BOB}:acw:${r2}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:57:36.300Z'),
        agent_state: 'after_call_work', previous_agent_state: 'busy', previous_state_ms: 300_000 }),
      ev({ ...leg2, event_id: `twilio:${task}:wrapup:${r2}`, type: 'wrapup_completed', occurred_at: at('2026-12-01T09:58:16.300Z'), acw_ms: 40_000, handle_ms: 340_000 }),
      ev({ ...bob, event_id: `twilio:worker:${BOB}:free:${r2}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:58:16.300Z'),
        agent_state: 'available', previous_agent_state: 'after_call_work', previous_state_ms: 40_000 }),
    ]);
    expect(out.ignored).toBe(1);
  });

  it('counts the transfer from task.transfer-completed when the initiation was never seen, under the same id', () => {
    const completedOnly = xfer.filter((r) => r.EventType !== 'task.transfer-initiated');
    const t = run(callbackFormat, completedOnly).events.filter((e) => e.type === 'transferred');
    expect(t.map((e) => [e.event_id, e.agent_id, e.occurred_at])).toEqual([
      [`twilio:${task}:transferred:TTc27c99bd57f85c80a748d65a4b46e4fa`, 'alice', at('2026-12-01T09:52:36.350Z')],
    ]);
  });
});
