// Mapping options, dimensions read from attributes, and the agent timeline under multitasking.
import { describe, expect, it } from 'vitest';
import { MemoryState, pseudonymize } from '../src/common';
import { TENANT, callbackFormat, fixture, run, streamsFormat } from './twilio-helpers';

const call = fixture<Record<string, string>[]>('callback-voice-call.json');
const chats = fixture<{ data: { payload: Record<string, unknown> } }[]>('es-chat.json');

const withAttrs = (r: Record<string, string>, attrs: Record<string, unknown>) => ({ ...r, TaskAttributes: JSON.stringify(attrs) });
const base = JSON.parse(call[1]!.TaskAttributes!) as Record<string, unknown>;

describe('options', () => {
  it('names agents by sid or by a worker attribute', () => {
    const accepted = call[4]!;
    expect(run(callbackFormat, [accepted], { options: { agentId: 'sid' } }).events[0]!.agent_id).toBe('WK522b276a356bdf39013dfabea2cd43e1');
    expect(run(callbackFormat, [accepted], { options: { agentIdAttribute: 'contact_uri' } }).events[0]!.agent_id).toBe('client:alice');
    // no such attribute: back to the friendly name
    expect(run(callbackFormat, [accepted], { options: { agentIdAttribute: 'employee_no' } }).events[0]!.agent_id).toBe('alice');
  });

  it('maps custom activities to states', () => {
    const login = call[0]!;
    const lunch = { ...login, WorkerActivityName: 'Lunch', WorkerPreviousActivityName: 'Available', TimestampMs: String(Number(login.TimestampMs) + 60_000) };
    const wrap = { ...login, WorkerActivityName: 'After Call', WorkerPreviousActivityName: 'Lunch', TimestampMs: String(Number(login.TimestampMs) + 120_000) };
    const out = run(callbackFormat, [login, lunch, wrap], { options: { activityStates: { 'after call': 'after_call_work' } } });
    expect(out.events.map((e) => [e.agent_state, e.previous_agent_state, e.previous_state_ms])).toEqual([
      ['available', 'offline', 54_000_000], ['away', 'available', 60_000], ['after_call_work', 'away', 60_000],
    ]);
  });

  it('reads surveys from configured attributes and scales, or not at all', () => {
    const done = chats[chats.length - 1]!;
    const attrs = { ...JSON.parse(done.data.payload.task_attributes as string), post_call: { effort: '2' } };
    const rec = { ...done, data: { ...done.data, payload: { ...done.data.payload, task_attributes: JSON.stringify(attrs) } } };
    const out = run(streamsFormat, [rec], { options: { surveyAttributes: { csat: null, ces: 'post_call.effort' }, surveyScales: { ces: [1, 5] } } });
    expect(out.events.map((e) => [e.survey_kind, e.score, e.scale_min, e.scale_max])).toEqual([['ces', 2, 1, 5]]);
    // out of its scale: not an answer we can read, and not an invalid event either
    expect(run(streamsFormat, [rec], { options: { surveyAttributes: { csat: 'post_call.effort' }, surveyScales: { csat: [3, 5] } } }).events).toEqual([]);
  });

  it('can emit resolved at task.completed', () => {
    const done = { ...call[7]!, EventType: 'task.completed', TaskCompletedReason: 'Task completed' };
    const out = run(callbackFormat, [call[1]!, done], { options: { resolveOnComplete: true, surveyAttributes: { csat: null, nps: null, ces: null } } });
    expect(out.events.map((e) => [e.type, e.resolution_ms, e.resolution_code])).toEqual([['contact_created', null, null], ['resolved', 452_610, 'resolved']]);
  });

  it('overrides channels, and picks the default channel for tasks nothing identifies', () => {
    const created = call[1]!;
    const plain = withAttrs({ ...created, TaskChannelUniqueName: 'default' }, { from: 'lead-42' });
    expect(run(callbackFormat, [plain]).events[0]!.channel).toBe('web_form');
    expect(run(callbackFormat, [plain], { options: { defaultChannel: 'email' } }).events[0]!.channel).toBe('email');
    // a workspace without multitasking puts calls on `default` too: the call_sid gives them away
    expect(run(callbackFormat, [{ ...created, TaskChannelUniqueName: 'default' }]).events[0]!.channel).toBe('voice');
    expect(run(callbackFormat, [{ ...created, TaskChannelUniqueName: 'callback-requests' }], { options: { channels: { 'Callback-Requests': 'voice' } } }).events[0]!.channel).toBe('voice');
    expect(run(callbackFormat, [withAttrs({ ...created, TaskChannelUniqueName: 'chat' }, { from: 'x', channelType: 'whatsapp' })]).events[0]!.channel).toBe('messaging');
  });

  it('takes the customer of an outbound call from `to`, never storing the number', () => {
    const created = withAttrs(call[1]!, { ...base, direction: 'outbound-api', from: '+18005550100', to: '+14155550999' });
    const e = run(callbackFormat, [created]).events[0]!;
    expect([e.direction, e.customer_id]).toEqual(['outbound', pseudonymize(TENANT, '+14155550999')]);
    expect(JSON.stringify(e)).not.toContain('4155550999');
  });

  it('rejects records under a misconfiguration, naming the option', () => {
    const out = run(callbackFormat, [call[1]!], { options: { timeoutCancel: 'sometimes', surveyScales: { csat: [5, 1] } } });
    expect(out.rejected).toHaveLength(1);
    expect(out.rejected[0]!.reason).toMatch(/^twilio options: .*timeoutCancel.*surveyScales\.csat/);
  });

  it('keeps one contact id per task once decided, and treats unreadable attributes as none', () => {
    const state = new MemoryState();
    const created = run(callbackFormat, [call[1]!], { state }).events[0]!;
    const entered = run(callbackFormat, [withAttrs(call[2]!, { ...base, conversations: { conversation_id: 'CRM-1234' } })], { state }).events[0]!;
    expect(entered.contact_id).toBe(created.contact_id);
    const garbled = run(callbackFormat, [{ ...call[2]!, TaskAttributes: '{oops' }], { state }).events[0]!;
    // the dimensions remembered from the task's earlier events stand in
    expect([garbled.contact_id, garbled.customer_id, garbled.topic]).toEqual([created.contact_id, created.customer_id, created.topic]);
  });
});

describe('agent timeline', () => {
  const accepted = call[4]!;
  const t0 = Number(accepted.TimestampMs);
  const resv = (sid: string, type: string, dt: number, extra: Record<string, string> = {}) =>
    ({ ...accepted, EventType: type, ReservationSid: sid, TimestampMs: String(t0 + dt), ...extra });
  const states = (records: Record<string, string>[]) =>
    run(callbackFormat, records).events.filter((e) => e.type === 'agent_state_changed').map((e) => [e.agent_state, e.previous_agent_state, e.previous_state_ms]);

  it('stays busy while any of several concurrent tasks is in progress', () => {
    expect(states([
      call[0]!,
      resv('WR1', 'reservation.accepted', 0),
      resv('WR2', 'reservation.accepted', 10_000),
      resv('WR1', 'reservation.wrapup', 60_000),
      resv('WR1', 'reservation.completed', 70_000),
      resv('WR2', 'reservation.wrapup', 100_000),
      resv('WR2', 'reservation.completed', 130_000),
    ])).toEqual([
      ['available', 'offline', 54_000_000],
      ['busy', 'available', 172_730],
      ['after_call_work', 'busy', 100_000],
      ['available', 'after_call_work', 30_000],
    ]);
  });

  it('keeps a break taken during wrap-up for when the wrap-up ends', () => {
    const brk = { ...call[0]!, WorkerActivityName: 'Break', WorkerPreviousActivityName: 'Available', TimestampMs: String(t0 + 65_000) };
    expect(states([call[0]!, resv('WR1', 'reservation.accepted', 0), resv('WR1', 'reservation.wrapup', 60_000), brk, resv('WR1', 'reservation.completed', 90_000)])).toEqual([
      ['available', 'offline', 54_000_000],
      ['busy', 'available', 172_730],
      ['after_call_work', 'busy', 60_000],
      ['away', 'after_call_work', 30_000],
    ]);
  });

  it('logging off drops reservations whose end never came', () => {
    const off = { ...call[0]!, WorkerActivityName: 'Offline', WorkerPreviousActivityName: 'Available', TimestampMs: String(t0 + 3_600_000) };
    expect(states([call[0]!, resv('WR1', 'reservation.accepted', 0), off])).toEqual([
      ['available', 'offline', 54_000_000],
      ['busy', 'available', 172_730],
      ['offline', 'busy', 3_600_000],
    ]);
  });
});
