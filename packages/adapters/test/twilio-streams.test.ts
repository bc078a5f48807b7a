// Event Streams CloudEvents → events: abandons, chat/SMS through Flex's chat channel, a
// transfer by a new task, surveys from attributes, and the sample day the end-to-end test uses.
import { describe, expect, it } from 'vitest';
import { MemoryState, eventId, pseudonymize } from '../src/common';
import { TENANT, at, callbackFormat, ev, fixture, jsonLines, run, streamsFormat } from './twilio-helpers';

type CloudEvent = { type: string; data: { payload: Record<string, unknown> } & Record<string, unknown> } & Record<string, unknown>;
const abandoned = fixture<CloudEvent[]>('es-abandoned.json');
const chats = fixture<CloudEvent[]>('es-chat.json');

const CAROL = 'WK28b92b56ee64b92ebb72d865f172ef00';
const SALES = 'WQ59248c4dae276a021cb296d2ee0e6a0c';

describe('abandoned contacts', () => {
  const short = 'WT9c8b1b4f4979a6592528f358ca79677c';
  const long = 'WT074e0390fe45ccd8d2362c9edd401dee';
  const ttl = 'WTd08f893cd58beb4a94691d1af2bcf876';
  const c = (task: string, from: string, channel: 'voice' | 'chat' = 'voice', topic: string | null = null) => ({ contact_id: task, customer_id: pseudonymize(TENANT, from), channel, topic });

  it('maps a canceled task in a queue to abandoned, wait measured from the queue entry', () => {
    const out = run(streamsFormat, abandoned);
    expect(out.rejected).toEqual([]);
    expect(out.ignored).toBe(0);
    expect(out.events).toEqual([
      ev({ ...c(short, '+14155550304'), event_id: `twilio:${short}:created`, type: 'contact_created', occurred_at: at('2026-12-01T09:31:00.000Z') }),
      ev({ ...c(short, '+14155550304'), event_id: `twilio:${short}:queued:WQacd14c7a6c04c1dd6dc6c2d66d487a28`, type: 'queued', occurred_at: at('2026-12-01T09:31:00.250Z'), queue_id: 'Billing' }),
      // 3.4 s: a short abandon, which the KPIs keep apart
      ev({ ...c(short, '+14155550304'), event_id: `twilio:${short}:abandoned`, type: 'abandoned', occurred_at: at('2026-12-01T09:31:03.650Z'), queue_id: 'Billing',
        wait_ms: 3_400, attributes: { cancel_reason: 'hangup' } }),
      ev({ ...c(long, '+14155550305'), event_id: `twilio:${long}:created`, type: 'contact_created', occurred_at: at('2026-12-01T09:40:00.000Z') }),
      ev({ ...c(long, '+14155550305'), event_id: `twilio:${long}:queued:WQc95ee47689a0aaec70c3eb9502446577`, type: 'queued', occurred_at: at('2026-12-01T09:40:00.250Z'), queue_id: 'Tech Support' }),
      ev({ ...c(long, '+14155550305'), event_id: `twilio:${long}:abandoned`, type: 'abandoned', occurred_at: at('2026-12-01T09:40:48.250Z'), queue_id: 'Tech Support',
        wait_ms: 48_000, attributes: { cancel_reason: 'hangup' } }),
      ev({ ...c(ttl, 'zoe@example.org', 'chat'), event_id: `twilio:${ttl}:created`, type: 'contact_created', occurred_at: at('2026-12-01T11:50:00.000Z') }),
      ev({ ...c(ttl, 'zoe@example.org', 'chat'), event_id: `twilio:${ttl}:queued:${SALES}`, type: 'queued', occurred_at: at('2026-12-01T11:50:00.250Z'), queue_id: 'Sales' }),
      // the TTL ran out with nobody answering: offered and never served, an abandon by default
      ev({ ...c(ttl, 'zoe@example.org', 'chat'), event_id: `twilio:${ttl}:abandoned`, type: 'abandoned', occurred_at: at('2026-12-01T12:00:00.250Z'), queue_id: 'Sales',
        wait_ms: 600_000, attributes: { cancel_reason: 'Task TTL Exceeded' } }),
    ]);
  });

  it('can leave TTL and workflow timeouts out (timeoutCancel: ignored)', () => {
    const out = run(streamsFormat, abandoned, { options: { timeoutCancel: 'ignored' } });
    expect(out.events.filter((e) => e.type === 'abandoned').map((e) => e.contact_id)).toEqual([short, long]);
    expect(out.ignored).toBe(1);
  });

  it('does not count a task canceled before it reached a queue', () => {
    const [created, , canceled] = abandoned;
    const { task_queue_sid: _s, task_queue_name: _n, task_queue_entered_date: _d, ...payload } = canceled!.data.payload;
    const beforeQueue = { ...canceled!, data: { ...canceled!.data, payload } };
    const out = run(streamsFormat, [created, beforeQueue]);
    expect(out.events.map((e) => e.type)).toEqual(['contact_created']);
    expect(out.ignored).toBe(1);
  });
});

describe('chat and SMS through Flex', () => {
  const chat = 'WTcb5ed26aa5f307f03275e33a812c0943';
  const chatR = 'WRf6ffade4423085b5e5728ad828591411';
  const sms = 'WT19bf51085ee985adbefc5d53984c98cf';
  const smsR = 'WR087f90a62defe85188532a3d1eb80dff';
  const carol = { contact_id: 'agent:carol', agent_id: 'carol', team_id: 'Green', queue_id: 'Sales' };
  const chatC = { contact_id: chat, channel: 'chat' as const, customer_id: pseudonymize(TENANT, 'li.wei@example.com'), topic: 'pricing' };
  const smsC = { contact_id: sms, channel: 'sms' as const, customer_id: pseudonymize(TENANT, '+14155550777') };
  const seg = (task: string, r: string) => ({ queue_id: 'Sales', agent_id: 'carol', team_id: 'Green', attributes: { reservation_sid: r }, contact_id: task });

  it('tells web chat from SMS by attributes.channelType, and reads a survey answer from the completed task', () => {
    const out = run(streamsFormat, chats);
    expect(out.rejected).toEqual([]);
    expect(out.events).toEqual([
      ev({ ...carol, queue_id: null, event_id: eventId('twilio', 'worker', CAROL, 'activity', at('2026-12-01T09:00:00.000Z')), type: 'agent_state_changed',
        occurred_at: at('2026-12-01T09:00:00.000Z'), agent_state: 'available', previous_agent_state: 'offline', previous_state_ms: 50_000_000 }),
      ev({ ...chatC, event_id: `twilio:${chat}:created`, type: 'contact_created', occurred_at: at('2026-12-01T09:20:00.000Z') }),
      ev({ ...chatC, event_id: `twilio:${chat}:queued:${SALES}`, type: 'queued', occurred_at: at('2026-12-01T09:20:00.150Z'), queue_id: 'Sales' }),
      ev({ ...chatC, ...seg(chat, chatR), event_id: `twilio:${chat}:answered:${chatR}`, type: 'answered', occurred_at: at('2026-12-01T09:20:08.150Z'), wait_ms: 8_000 }),
      ev({ ...carol, channel: 'chat', event_id: `twilio:worker:${CAROL}:busy:${chatR}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:20:08.150Z'),
        agent_state: 'busy', previous_agent_state: 'available', previous_state_ms: 1_208_150 }),
      ev({ ...chatC, ...seg(chat, chatR), event_id: `twilio:${chat}:ended:${chatR}`, type: 'contact_ended', occurred_at: at('2026-12-01T09:35:08.150Z'), talk_ms: 900_000 }),
      ev({ ...carol, channel: 'chat', event_id: `twilio:worker:${CAROL}:acw:${chatR}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:35:08.150Z'),
        agent_state: 'after_call_work', previous_agent_state: 'busy', previous_state_ms: 900_000 }),
      ev({ ...chatC, ...seg(chat, chatR), event_id: `twilio:${chat}:wrapup:${chatR}`, type: 'wrapup_completed', occurred_at: at('2026-12-01T09:35:53.150Z'), acw_ms: 45_000, handle_ms: 945_000 }),
      ev({ ...carol, channel: 'chat', event_id: `twilio:worker:${CAROL}:free:${chatR}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T09:35:53.150Z'),
        agent_state: 'available', previous_agent_state: 'after_call_work', previous_state_ms: 45_000 }),
      ev({ ...smsC, event_id: `twilio:${sms}:created`, type: 'contact_created', occurred_at: at('2026-12-01T10:00:00.000Z') }),
      ev({ ...smsC, event_id: `twilio:${sms}:queued:${SALES}`, type: 'queued', occurred_at: at('2026-12-01T10:00:00.150Z'), queue_id: 'Sales' }),
      ev({ ...smsC, ...seg(sms, smsR), event_id: `twilio:${sms}:answered:${smsR}`, type: 'answered', occurred_at: at('2026-12-01T10:00:04.150Z'), wait_ms: 4_000 }),
      ev({ ...carol, channel: 'sms', event_id: `twilio:worker:${CAROL}:busy:${smsR}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T10:00:04.150Z'),
        agent_state: 'busy', previous_agent_state: 'available', previous_state_ms: 1_451_000 }),
      ev({ ...smsC, ...seg(sms, smsR), event_id: `twilio:${sms}:ended:${smsR}`, type: 'contact_ended', occurred_at: at('2026-12-01T10:05:04.150Z'), talk_ms: 300_000 }),
      ev({ ...carol, channel: 'sms', event_id: `twilio:worker:${CAROL}:acw:${smsR}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T10:05:04.150Z'),
        agent_state: 'after_call_work', previous_agent_state: 'busy', previous_state_ms: 300_000 }),
      ev({ ...smsC, ...seg(sms, smsR), event_id: `twilio:${sms}:wrapup:${smsR}`, type: 'wrapup_completed', occurred_at: at('2026-12-01T10:05:19.150Z'), acw_ms: 15_000, handle_ms: 315_000 }),
      ev({ ...carol, channel: 'sms', event_id: `twilio:worker:${CAROL}:free:${smsR}`, type: 'agent_state_changed', occurred_at: at('2026-12-01T10:05:19.150Z'),
        agent_state: 'available', previous_agent_state: 'after_call_work', previous_state_ms: 15_000 }),
      ev({ ...smsC, queue_id: 'Sales', agent_id: 'carol', team_id: 'Green', event_id: `twilio:${sms}:survey:csat`, type: 'survey_response', occurred_at: at('2026-12-01T10:05:19.190Z'),
        survey_kind: 'csat', score: 4, scale_min: 1, scale_max: 5 }),
    ]);
  });

  it('maps the same lifecycle fact to the same event from either feed', () => {
    // the chat's accept, re-spelled as a workspace callback
    const p = chats[3]!.data.payload;
    const callback = {
      EventType: 'reservation.accepted', Sid: p.sid, TimestampMs: String(at(p.timestamp as string)), TaskSid: p.task_sid, TaskAttributes: p.task_attributes,
      TaskAge: String(p.task_age), TaskChannelUniqueName: p.task_channel_unique_name, TaskQueueSid: p.task_queue_sid, TaskQueueName: p.task_queue_name,
      ReservationSid: p.reservation_sid, WorkerSid: p.worker_sid, WorkerName: p.worker_name, WorkerAttributes: p.worker_attributes,
    };
    const state = new MemoryState();
    run(streamsFormat, chats.slice(0, 3), { state });
    const fromCallback = run(callbackFormat, [callback], { state }).events;
    const fromStream = run(streamsFormat, [chats[3]], { state }).events;
    expect(fromCallback.map((e) => e.event_id)).toEqual([`twilio:${chat}:answered:${chatR}`, `twilio:worker:${CAROL}:busy:${chatR}`]);
    expect(fromStream).toEqual(fromCallback);
  });

  it('ties a task Flex created for a transfer to the first task, as a transfer and not a new contact', () => {
    const created = chats[1]!;
    const legSid = 'WT5e0c1f2b3a4d5e6f708192a3b4c5d6e7';
    const attrs = { ...JSON.parse(created.data.payload.task_attributes as string), conversations: { conversation_id: chat } };
    const leg = { ...created, data: { ...created.data, payload: { ...created.data.payload, task_sid: legSid, task_attributes: JSON.stringify(attrs) } } };
    expect(run(streamsFormat, [leg]).events).toEqual([
      ev({ ...chatC, event_id: `twilio:${legSid}:transferred:leg`, type: 'transferred', occurred_at: at('2026-12-01T09:20:00.000Z'),
        attributes: { task_sid: legSid, transfer_kind: 'new_task' } }),
    ]);
  });

  it('ignores CloudEvents of other products and the sink test event', () => {
    const other = { specversion: '1.0', type: 'com.twilio.messaging.message.delivered', source: '/2010-04-01/Accounts/AC1/Messages/SM1', id: 'EZ1', time: '2026-12-01T09:00:00Z', data: {} };
    const test = { specversion: '1.0', type: 'com.twilio.eventstreams.test-event', source: 'Sink', id: 'AC1', time: '2026-12-01T09:00:00Z', data: { test_id: 'x' } };
    expect(run(streamsFormat, [other, test])).toEqual({ events: [], ignored: 2, rejected: [] });
  });

  it('rejects a CloudEvent without its payload or time, naming the field', () => {
    const e = chats[1]!;
    const { data: _d, ...noData } = e;
    const { timestamp: _t, ...payload } = e.data.payload;
    const { timestamp: _dt, ...data } = e.data;
    const { time: _time, ...rest } = e;
    const noTime = { ...rest, data: { ...data, payload } };
    expect(run(streamsFormat, [noData, noTime]).rejected).toEqual([
      { index: 0, reason: 'data: must be an object' },
      { index: 1, reason: 'data.payload.timestamp: missing or not a timestamp' },
    ]);
  });
});

describe('sample day (Event Streams as JSON lines)', () => {
  const records = jsonLines('sample-day.jsonl');

  it('maps every record without a rejection, to valid events with unique ids', () => {
    const out = run(streamsFormat, records);
    expect(records).toHaveLength(77);
    expect(out.rejected).toEqual([]);
    // reservation.created ×2, task.wrapup, and task.transfer-completed of an already counted transfer
    expect(out.ignored).toBe(4);
    const byType: Record<string, number> = {};
    for (const e of out.events) byType[e.type] = (byType[e.type] ?? 0) + 1;
    expect(byType).toEqual({
      agent_state_changed: 39, contact_created: 12, queued: 13, answered: 9, contact_ended: 9, wrapup_completed: 9,
      abandoned: 4, transferred: 1, survey_response: 4,
    });
    expect(new Set(out.events.map((e) => e.event_id)).size).toBe(out.events.length);
    expect(new Set(out.events.filter((e) => e.queue_id).map((e) => e.queue_id))).toEqual(new Set(['Billing', 'Tech Support', 'Sales']));
    expect(out.events.filter((e) => e.type === 'abandoned').map((e) => e.wait_ms)).toEqual([3_400, 48_000, 2_000, 600_000]);
    // one contact, two answers (one per queue), one transfer
    const transferred = out.events.find((e) => e.type === 'transferred')!;
    expect(out.events.filter((e) => e.type === 'answered' && e.contact_id === transferred.contact_id).map((e) => [e.queue_id, e.agent_id])).toEqual([
      ['Billing', 'alice'], ['Tech Support', 'bob'],
    ]);
    expect(out.events.every((e) => e.tenant_id === TENANT && e.source === 'twilio' && e.hold_ms === null)).toBe(true);
  });

  it('is deterministic: a second backfill of the day gives the same ids', () => {
    const a = run(streamsFormat, records).events.map((e) => e.event_id);
    const b = run(streamsFormat, records).events.map((e) => e.event_id);
    expect(b).toEqual(a);
  });
});
