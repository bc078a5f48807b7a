// The memory TaskRouter forces on us: it sends no durations, only the moments of a task's
// lifecycle, one per delivery, unordered and at least once. What is kept per task is those
// moments (and the dimensions seen first), bounded, so a duration can be computed whichever of
// its two ends arrives last. Everything in it can be lost (restart, eviction): the mapping then
// falls back to what the record itself carries.
import type { Channel, Direction } from '@switchboard/events';
import type { AdapterState } from '../common';

const MAX_QUEUES = 8;
const MAX_RESERVATIONS = 8;
const MAX_TRANSFERS = 8;

export interface QueueEntry {
  at: number;
  sid: string | null;
  name: string | null;
}

/** one reservation = one agent's segment of the task */
export interface ReservationState {
  workerKey: string | null;
  agent: string | null;
  team: string | null;
  queue: string | null;
  acceptedAt: number | null;
  wrapupAt: number | null;
  completedAt: number | null;
  /** contact_ended already emitted (at wrap-up, or late once the accept arrived) */
  ended: boolean;
}

/** contact dimensions from the task attributes, for the rare event that arrives without them */
export interface TaskDims {
  channel: Channel;
  direction: Direction;
  customer: string | null;
  topic: string | null;
}

export interface TaskState {
  /** the contact id first decided for the task, so every later event agrees with it */
  contactId: string | null;
  dims: TaskDims | null;
  createdAt: number | null;
  queues: QueueEntry[];
  reservations: Record<string, ReservationState>;
  /** keys of transfers already emitted (initiated and completed describe one transfer) */
  transfers: string[];
}

const taskKey = (taskSid: string) => `twilio:task:${taskSid}`;
const queueKey = (queueSid: string) => `twilio:queue:${queueSid}`;

export function loadTask(state: AdapterState, taskSid: string): TaskState {
  const t = state.get<TaskState>(taskKey(taskSid));
  // copied so that a mapping that throws halfway leaves the stored version untouched
  return t
    ? { ...t, queues: [...t.queues], reservations: Object.fromEntries(Object.entries(t.reservations).map(([k, v]) => [k, { ...v }])), transfers: [...t.transfers] }
    : { contactId: null, dims: null, createdAt: null, queues: [], reservations: {}, transfers: [] };
}

export function saveTask(state: AdapterState, taskSid: string, t: TaskState): void {
  if (t.queues.length > MAX_QUEUES) t.queues = t.queues.slice(-MAX_QUEUES);
  const rs = Object.keys(t.reservations);
  for (const k of rs.slice(0, Math.max(0, rs.length - MAX_RESERVATIONS))) delete t.reservations[k];
  if (t.transfers.length > MAX_TRANSFERS) t.transfers = t.transfers.slice(-MAX_TRANSFERS);
  state.set(taskKey(taskSid), t);
}

export function reservationOf(t: TaskState, sid: string): ReservationState {
  return (t.reservations[sid] ??= { workerKey: null, agent: null, team: null, queue: null, acceptedAt: null, wrapupAt: null, completedAt: null, ended: false });
}

/** records a queue entry once, kept in time order */
export function addQueueEntry(t: TaskState, e: QueueEntry): void {
  if (t.queues.some((q) => q.at === e.at && q.sid === e.sid)) return;
  t.queues.push(e);
  t.queues.sort((a, b) => a.at - b.at);
}

/** the queue entry in force at `at`: the latest one not after it */
export function queueEntryAt(t: TaskState, at: number): QueueEntry | null {
  let found: QueueEntry | null = null;
  for (const q of t.queues) if (q.at <= at) found = q;
  return found;
}

/** Queue names are not on every event; remembering them by sid keeps queue_id readable and stable. */
export function rememberQueueName(state: AdapterState, sid: string | null, name: string | null): void {
  if (sid !== null && name !== null && state.get<string>(queueKey(sid)) !== name) state.set(queueKey(sid), name);
}

export function queueName(state: AdapterState, sid: string | null): string | null {
  return sid === null ? null : state.get<string>(queueKey(sid)) ?? null;
}
