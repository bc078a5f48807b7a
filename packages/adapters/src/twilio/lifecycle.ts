// TaskRouter lifecycle → normalized events. TaskRouter sends moments, never durations:
//   task.created → contact_created          task-queue.entered → queued
//   reservation.accepted → answered (wait = accepted − queue entry)
//   reservation.wrapup → contact_ended (talk = wrap-up − accepted; no hold: TaskRouter never sees it)
//   reservation.completed → wrapup_completed (acw = completed − wrap-up, handle = talk + acw)
//   task.canceled in a queue → abandoned     task.transfer-initiated → transferred
//   worker.activity.update (+ the reservation moments) → agent_state_changed
// The agent's segment is the reservation, not the task: a task transferred within TaskRouter
// keeps its sid and gets one reservation per agent, each with its own talk and wrap-up (as Flex
// Insights counts segments), so task.wrapup / task.completed add nothing and are ignored.
import type { ContactEvent, ContactEventInit, EventType } from '@switchboard/events';
import { RecordError, adapterEvent, eventId, type MapContext, type MapResult } from '../common';
import { TWILIO_SOURCE, applyWorkerFact, type WorkerFact } from './agent-state';
import {
  activityState, agentOf, attr, channelOf, conversationOf, customerOf, directionOf, isTimeoutCancel, resolutionOf, teamOf, topicOf,
} from './dimensions';
import { twilioOptions, type TwilioOptions } from './options';
import {
  addQueueEntry, loadTask, queueEntryAt, queueName, rememberQueueName, reservationOf, saveTask,
  type ReservationState, type TaskDims, type TaskState,
} from './state';
import type { TrEvent } from './types';

const TASK_SID = /^WT[0-9a-f]{32}$/i;
const MAX_ATTRIBUTE = 1024;

interface Task {
  ev: TrEvent;
  ctx: MapContext;
  o: TwilioOptions;
  sid: string;
  t: TaskState;
  contactId: string;
  dims: TaskDims;
}

const none = (ignored = 1): MapResult => ({ events: [], ignored });

function openTask(ev: TrEvent, ctx: MapContext, o: TwilioOptions): Task {
  if (ev.taskSid === null) throw new RecordError('TaskSid: required');
  const t = loadTask(ctx.state, ev.taskSid);
  // the first contact id decided wins, so a conversation id added to the attributes mid-task does not split the contact
  const contactId = (t.contactId ??= conversationOf(ev, o) ?? ev.taskSid);
  if (ev.taskAttributes !== null || t.dims === null) {
    const direction = directionOf(ev);
    t.dims = { channel: channelOf(ev, o), direction, customer: customerOf(ev, direction, ctx.tenant, o), topic: topicOf(ev, o) };
  }
  return { ev, ctx, o, sid: ev.taskSid, t, contactId, dims: t.dims };
}

function contactEvent(k: Task, type: EventType, id: string, at: number, extra: Partial<ContactEventInit> = {}): ContactEvent {
  const attributes: Record<string, string> = { ...(k.contactId !== k.sid ? { task_sid: k.sid } : {}), ...extra.attributes };
  return adapterEvent({
    event_id: id,
    tenant_id: k.ctx.tenant,
    contact_id: k.contactId,
    type,
    occurred_at: at,
    channel: k.dims.channel,
    direction: k.dims.direction,
    customer_id: k.dims.customer,
    topic: k.dims.topic,
    source: TWILIO_SOURCE,
    ...extra,
    attributes,
  });
}

/** queue_id: the queue's name where known (this event, or an earlier one naming the same sid), else its sid */
function queueOf(k: Task): string | null {
  const { ev, ctx } = k;
  rememberQueueName(ctx.state, ev.taskQueueSid, ev.taskQueueName);
  return ev.taskQueueName ?? queueName(ctx.state, ev.taskQueueSid) ?? ev.taskQueueSid;
}

/**
 * Time in queue up to `at`. The queue entry seen in task-queue.entered (ms precision) is
 * preferred; the record's own fields are the fallback when that delivery has not arrived or was
 * forgotten: TaskQueueEnteredDate (whole seconds), task_age_in_queue, then TaskAge (since the
 * task was created, which for <Enqueue>d calls is when it queued). `from` names the fallback used.
 */
function waitAt(k: Task, at: number): { ms: number; from: string | null } {
  const { ev, t } = k;
  const entry = queueEntryAt(t, at);
  const entered = ev.taskQueueEnteredAt !== null && ev.taskQueueEnteredAt <= at ? ev.taskQueueEnteredAt : null;
  // a record entered date a second or more after the remembered entry means we missed a re-queue
  if (entry && !(entered !== null && entered >= entry.at + 1000)) return { ms: at - entry.at, from: null };
  if (entered !== null) return { ms: at - entered, from: 'task_queue_entered_date' };
  if (ev.taskAgeInQueueS !== null && ev.taskAgeInQueueS >= 0) return { ms: Math.round(ev.taskAgeInQueueS * 1000), from: 'task_age_in_queue' };
  if (ev.taskAgeS !== null && ev.taskAgeS >= 0) return { ms: Math.round(ev.taskAgeS * 1000), from: 'task_age' };
  const created = t.createdAt ?? ev.taskCreatedAt;
  if (created !== null && created <= at) return { ms: at - created, from: 'task_created' };
  throw new RecordError('TaskAge: required to derive wait_ms when the queue entry (task-queue.entered) was not seen');
}

/** where an agent's segment started, when its reservation.accepted was not seen: the task's creation */
function fallbackStart(k: Task): number | null {
  const { ev, t } = k;
  if (ev.taskAgeS !== null && ev.taskAgeS >= 0) return ev.at - Math.round(ev.taskAgeS * 1000);
  return t.createdAt ?? ev.taskCreatedAt;
}

const span = (from: number, to: number) => Math.max(0, Math.round(to - from));
const clip = (s: string) => (s.length > MAX_ATTRIBUTE ? s.slice(0, MAX_ATTRIBUTE) : s);

function contactEnded(k: Task, rs: string, r: ReservationState, endAt: number): ContactEvent {
  const start = r.acceptedAt ?? fallbackStart(k);
  return contactEvent(k, 'contact_ended', eventId('twilio', k.sid, 'ended', rs), endAt, {
    queue_id: r.queue,
    agent_id: r.agent,
    team_id: r.team,
    talk_ms: start === null ? null : span(start, endAt),
    hold_ms: null,
    attributes: { reservation_sid: rs, ...(r.acceptedAt === null && start !== null ? { talk_from: 'task_age' } : {}) },
  });
}

function workerFact(k: Task, r: ReservationState, kind: WorkerFact['kind'], rs: string, fallbackPrevious: WorkerFact['fallbackPrevious'], fallbackPreviousMs: number | null): ContactEvent[] {
  if (r.workerKey === null || r.agent === null) return [];
  return applyWorkerFact(k.ctx.state, {
    workerKey: r.workerKey, kind, at: k.ev.at, reservation: rs, fallbackPrevious, fallbackPreviousMs,
    agent: r.agent, team: r.team, queue: r.queue, channel: k.dims.channel, tenant: k.ctx.tenant,
  });
}

/** the reservation the event is about, filled with the agent and queue when first seen */
function reservation(k: Task): { rs: string; r: ReservationState } {
  const { ev, o } = k;
  if (ev.reservationSid === null) throw new RecordError('ReservationSid: required');
  const r = reservationOf(k.t, ev.reservationSid);
  if (r.agent === null) {
    const agent = agentOf(ev, o);
    if (agent === null) throw new RecordError('WorkerName: required (WorkerSid at least): the agent of the reservation');
    r.agent = agent;
    r.workerKey = ev.workerSid ?? ev.workerName;
    r.team = teamOf(ev, o);
  }
  r.queue ??= queueOf(k);
  return { rs: ev.reservationSid, r };
}

function taskCreated(k: Task): MapResult {
  k.t.createdAt ??= k.ev.at;
  // a task Flex created for a transfer carries the first task's sid as its conversation: the contact
  // was transferred, not created again
  const leg = k.contactId !== k.sid && TASK_SID.test(k.contactId);
  const e = leg
    ? contactEvent(k, 'transferred', eventId('twilio', k.sid, 'transferred', 'leg'), k.ev.at, { attributes: { transfer_kind: 'new_task' } })
    : contactEvent(k, 'contact_created', eventId('twilio', k.sid, 'created'), k.ev.at);
  return { events: [e], ignored: 0 };
}

function queueEntered(k: Task): MapResult {
  const queue = queueOf(k);
  if (queue === null) throw new RecordError('TaskQueueSid: required');
  addQueueEntry(k.t, { at: k.ev.at, sid: k.ev.taskQueueSid, name: queue });
  // per queue: a task moved or transferred to another queue is offered there too
  return { events: [contactEvent(k, 'queued', eventId('twilio', k.sid, 'queued', k.ev.taskQueueSid ?? queue), k.ev.at, { queue_id: queue })], ignored: 0 };
}

function accepted(k: Task): MapResult {
  const { rs, r } = reservation(k);
  r.acceptedAt ??= k.ev.at;
  const wait = waitAt(k, r.acceptedAt);
  const events = [contactEvent(k, 'answered', eventId('twilio', k.sid, 'answered', rs), r.acceptedAt, {
    queue_id: r.queue, agent_id: r.agent, team_id: r.team, wait_ms: span(0, wait.ms),
    attributes: { reservation_sid: rs, ...(wait.from ? { wait_from: wait.from } : {}) },
  })];
  // the wrap-up came first (unordered delivery): its contact_ended was waiting for this accept
  if (r.wrapupAt !== null && r.completedAt === null) {
    events.push(contactEnded(k, rs, r, r.wrapupAt));
    r.ended = true;
  }
  if (r.completedAt === null) events.push(...workerFact(k, r, 'accepted', rs, 'available', null));
  return { events, ignored: 0 };
}

function wrapup(k: Task): MapResult {
  const { rs, r } = reservation(k);
  // overtaken by its completion, which was already taken as having had no wrap-up
  if (r.completedAt !== null && r.wrapupAt === null) return none();
  r.wrapupAt ??= k.ev.at;
  const events: ContactEvent[] = [];
  if (r.acceptedAt !== null) {
    events.push(contactEnded(k, rs, r, r.wrapupAt));
    r.ended = true;
  } // else: talk time needs the accept; contact_ended waits for it (or for reservation.completed)
  if (r.completedAt === null) events.push(...workerFact(k, r, 'wrapup', rs, 'busy', r.acceptedAt === null ? null : r.wrapupAt - r.acceptedAt));
  return { events, ignored: 0 };
}

function completed(k: Task): MapResult {
  const { rs, r } = reservation(k);
  r.completedAt ??= k.ev.at;
  // no wrap-up seen: the task went from assigned straight to completed (or its wrap-up is lost)
  const endAt = r.wrapupAt ?? r.completedAt;
  const events: ContactEvent[] = [];
  if (!r.ended || r.wrapupAt === null) {
    events.push(contactEnded(k, rs, r, endAt));
    r.ended = true;
  }
  const start = r.acceptedAt ?? fallbackStart(k);
  if (start === null) throw new RecordError('TaskAge: required to derive handle_ms when the reservation.accepted was not seen');
  const talk = span(start, endAt);
  const acw = span(endAt, r.completedAt);
  events.push(contactEvent(k, 'wrapup_completed', eventId('twilio', k.sid, 'wrapup', rs), r.completedAt, {
    queue_id: r.queue, agent_id: r.agent, team_id: r.team,
    acw_ms: acw, handle_ms: talk + acw, resolution_code: resolutionOf(k.ev, k.o),
    attributes: { reservation_sid: rs, ...(r.acceptedAt === null ? { handle_from: 'task_age' } : {}) },
  }));
  const before = r.wrapupAt !== null ? 'after_call_work' : 'busy';
  const since = r.wrapupAt ?? r.acceptedAt;
  events.push(...workerFact(k, r, 'closed', rs, before, since === null ? null : r.completedAt - since));
  return { events, ignored: 0 };
}

function canceled(k: Task): MapResult {
  const { ev, o, t } = k;
  const entry = queueEntryAt(t, ev.at);
  const queue = queueOf(k) ?? entry?.name ?? entry?.sid ?? null;
  // canceled before reaching a queue (hung up in the IVR, workflow skipped it): not an abandon from a queue
  if (queue === null) return none();
  if (isTimeoutCancel(ev.taskCanceledReason) && o.timeoutCancel === 'ignored') return none();
  const wait = waitAt(k, ev.at);
  return {
    events: [contactEvent(k, 'abandoned', eventId('twilio', k.sid, 'abandoned'), ev.at, {
      queue_id: queue, wait_ms: span(0, wait.ms),
      attributes: { ...(ev.taskCanceledReason ? { cancel_reason: clip(ev.taskCanceledReason) } : {}), ...(wait.from ? { wait_from: wait.from } : {}) },
    })],
    ignored: 0,
  };
}

/** the last agent segment of the task, for what happens after it (a survey) */
function lastSegment(t: TaskState): ReservationState | null {
  let last: ReservationState | null = null;
  for (const r of Object.values(t.reservations)) if (r.acceptedAt !== null && (last === null || r.acceptedAt > (last.acceptedAt ?? 0))) last = r;
  return last;
}

function surveyScore(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

function taskCompleted(k: Task): MapResult {
  const { ev, o, t } = k;
  const seg = lastSegment(t);
  const dims = { queue_id: seg?.queue ?? queueOf(k), agent_id: seg?.agent ?? null, team_id: seg?.team ?? null };
  const events: ContactEvent[] = [];
  for (const s of o.surveys) {
    const score = surveyScore(attr(ev.taskAttributes, s.path));
    // an answer outside its scale would fail validation downstream; it is not an answer we can read
    if (score === null || score < s.min || score > s.max) continue;
    // keyed by the contact: the legs of one conversation copy the same answer into their attributes
    events.push(contactEvent(k, 'survey_response', eventId('twilio', k.contactId, 'survey', s.kind), ev.at, {
      ...dims, survey_kind: s.kind, score, scale_min: s.min, scale_max: s.max,
    }));
  }
  if (o.resolveOnComplete) {
    const created = t.createdAt ?? ev.taskCreatedAt ?? (ev.taskAgeS !== null ? ev.at - Math.round(ev.taskAgeS * 1000) : null);
    events.push(contactEvent(k, 'resolved', eventId('twilio', k.sid, 'resolved'), ev.at, {
      ...dims, resolution_ms: created === null ? null : span(created, ev.at), resolution_code: resolutionOf(ev, o),
    }));
  }
  return events.length > 0 ? { events, ignored: 0 } : none();
}

function transfer(k: Task): MapResult {
  const { ev, t } = k;
  const tr = ev.transfer;
  // initiated and completed describe one transfer: both must give one key
  const key = tr.sid ?? tr.initiatingReservationSid ?? (ev.type === 'task.transfer-initiated' ? ev.sid : null) ?? String(ev.at);
  if (ev.type === 'task.transfer-completed' && t.transfers.includes(key)) return none();
  const from =
    (tr.initiatingReservationSid !== null ? t.reservations[tr.initiatingReservationSid] : undefined) ??
    (tr.initiatingWorkerSid !== null ? Object.values(t.reservations).find((r) => r.workerKey === tr.initiatingWorkerSid) : undefined);
  if (!t.transfers.includes(key)) t.transfers.push(key);
  const attributes: Record<string, string> = {};
  if (tr.to) attributes.transfer_to = tr.to;
  if (tr.type) attributes.transfer_type = tr.type.toLowerCase();
  if (tr.mode) attributes.transfer_mode = tr.mode.toLowerCase();
  return {
    events: [contactEvent(k, 'transferred', eventId('twilio', k.sid, 'transferred', key), ev.at, {
      queue_id: from?.queue ?? queueOf(k), agent_id: from?.agent ?? null, team_id: from?.team ?? null, attributes,
    })],
    ignored: 0,
  };
}

function activityUpdate(ev: TrEvent, ctx: MapContext, o: TwilioOptions): MapResult {
  const agent = agentOf(ev, o);
  if (agent === null) throw new RecordError('WorkerName: required (WorkerSid at least)');
  const activity = activityState(ev.workerActivityName, o);
  if (activity === null) throw new RecordError('WorkerActivityName: required');
  const events = applyWorkerFact(ctx.state, {
    workerKey: ev.workerSid ?? agent, kind: 'activity', at: ev.at, activity,
    fallbackPrevious: activityState(ev.workerPreviousActivityName, o), fallbackPreviousMs: ev.workerTimeInPreviousActivityMs,
    agent, team: teamOf(ev, o), queue: null, channel: o.agentChannel, tenant: ctx.tenant,
  });
  // an activity change under a task in progress leaves the agent busy: nothing to tell
  return events.length > 0 ? { events, ignored: 0 } : none();
}

const TASK_HANDLERS: Record<string, (k: Task) => MapResult> = {
  'task.created': taskCreated,
  'task-queue.entered': queueEntered,
  'reservation.accepted': accepted,
  'reservation.wrapup': wrapup,
  'reservation.completed': completed,
  'task.canceled': canceled,
  'task.completed': taskCompleted,
  'task.transfer-initiated': transfer,
  'task.transfer-completed': transfer,
};

/** Maps one TaskRouter event, whichever feed it came from. */
export function mapTrEvent(ev: TrEvent, ctx: MapContext): MapResult {
  const o = twilioOptions(ctx.options);
  if (ev.type === 'worker.activity.update') return activityUpdate(ev, ctx, o);
  const handler = TASK_HANDLERS[ev.type];
  if (!handler) return none();
  const k = openTask(ev, ctx, o);
  const out = handler(k);
  saveTask(ctx.state, k.sid, k.t);
  return out;
}
