// Reading a workspace callback (form parameters) or an Event Streams CloudEvent into TrEvent.
// Both feeds spell the same field two ways (TaskQueueName / task_queue_name), so each field is
// looked up under its callback name first, then its Event Streams name.
import { RecordError, asObject, optString, toEpochMs } from '../common';
import type { TrEvent } from './types';

export const CLOUDEVENT_PREFIX = 'com.twilio.taskrouter.';

type Rec = Record<string, unknown>;

function str(r: Rec, pascal: string, snake: string): string | null {
  return optString(r[pascal]) ?? optString(r[snake]);
}

function num(r: Rec, pascal: string, snake: string): number | null {
  const v = r[pascal] ?? r[snake];
  if (v === undefined || v === null || v === '') return null;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : null;
}

/** The task's own dates only back up the remembered lifecycle: one that cannot be read is left out, not fatal. */
function time(r: Rec, pascal: string, snake: string): number | null {
  const key = r[pascal] !== undefined && r[pascal] !== '' ? pascal : snake;
  const v = r[key];
  if (v === undefined || v === null || v === '') return null;
  try {
    return toEpochMs(v, key);
  } catch (err) {
    if (err instanceof RecordError) return null;
    throw err;
  }
}

/** TaskAttributes / WorkerAttributes are JSON strings; garbage in them is treated as no attributes, not as a bad record. */
function attributes(r: Rec, pascal: string, snake: string): Record<string, unknown> | null {
  const v = r[pascal] ?? r[snake];
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  if (typeof v !== 'string' || v.trim() === '') return null;
  try {
    const parsed: unknown = JSON.parse(v);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function read(r: Rec, type: string, at: number): TrEvent {
  return {
    type,
    sid: str(r, 'Sid', 'sid'),
    at,
    taskSid: str(r, 'TaskSid', 'task_sid'),
    taskAttributes: attributes(r, 'TaskAttributes', 'task_attributes'),
    taskAgeS: num(r, 'TaskAge', 'task_age'),
    taskAgeInQueueS: num(r, 'TaskAgeInQueue', 'task_age_in_queue'),
    taskCreatedAt: time(r, 'TaskDateCreated', 'task_date_created'),
    taskQueueEnteredAt: time(r, 'TaskQueueEnteredDate', 'task_queue_entered_date'),
    // Event Streams also carries the cancel/complete reason as plain `reason`
    taskCanceledReason: str(r, 'TaskCanceledReason', 'task_canceled_reason') ?? (type === 'task.canceled' ? str(r, 'Reason', 'reason') : null),
    taskCompletedReason: str(r, 'TaskCompletedReason', 'task_completed_reason') ?? (type === 'task.completed' ? str(r, 'Reason', 'reason') : null),
    taskQueueSid: str(r, 'TaskQueueSid', 'task_queue_sid'),
    taskQueueName: str(r, 'TaskQueueName', 'task_queue_name'),
    taskChannel: str(r, 'TaskChannelUniqueName', 'task_channel_unique_name'),
    workerSid: str(r, 'WorkerSid', 'worker_sid'),
    workerName: str(r, 'WorkerName', 'worker_name'),
    workerAttributes: attributes(r, 'WorkerAttributes', 'worker_attributes'),
    workerActivityName: str(r, 'WorkerActivityName', 'worker_activity_name'),
    workerPreviousActivityName: str(r, 'WorkerPreviousActivityName', 'worker_previous_activity_name'),
    // the ms field exists since 2018 (callbacks) / schema v2 (Event Streams); the seconds one is the fallback
    workerTimeInPreviousActivityMs:
      num(r, 'WorkerTimeInPreviousActivityMs', 'worker_time_in_previous_activity_ms') ??
      ((s) => (s === null ? null : Math.round(s * 1000)))(num(r, 'WorkerTimeInPreviousActivity', 'worker_time_in_previous_activity')),
    reservationSid: str(r, 'ReservationSid', 'reservation_sid'),
    transfer: {
      sid: str(r, 'TaskTransferSid', 'task_transfer_sid'),
      to: str(r, 'TransferTo', 'transfer_to'),
      type: str(r, 'TransferType', 'transfer_type'),
      mode: str(r, 'TransferMode', 'transfer_mode'),
      initiatingReservationSid: str(r, 'TransferInitiatingReservationSid', 'transfer_initiating_reservation_sid'),
      initiatingWorkerSid: str(r, 'TransferInitiatingWorkerSid', 'transfer_initiating_worker_sid'),
    },
  };
}

/** One workspace event callback, as its decoded form parameters. */
export function fromCallback(record: unknown): TrEvent {
  const r = asObject(record, 'callback');
  const type = optString(r.EventType);
  if (!type) throw new RecordError('EventType: required');
  // TimestampMs (since 2018) has the precision the durations need; Timestamp is whole seconds
  const at = r.TimestampMs !== undefined && r.TimestampMs !== '' ? toEpochMs(r.TimestampMs, 'TimestampMs') : toEpochMs(r.Timestamp, 'Timestamp');
  return read(r, type, at);
}

/** The TaskRouter event type of a CloudEvent, or null for other Twilio products (and test events). */
export function cloudEventType(record: Rec): string | null {
  const t = optString(record.type);
  return t !== null && t.startsWith(CLOUDEVENT_PREFIX) ? t.slice(CLOUDEVENT_PREFIX.length) : null;
}

/** One Event Streams CloudEvent whose type is com.twilio.taskrouter.*. */
export function fromCloudEvent(record: unknown): TrEvent {
  const ce = asObject(record, 'cloudevent');
  const type = cloudEventType(ce);
  if (type === null) throw new RecordError(`type: not a ${CLOUDEVENT_PREFIX}* event`);
  const data = asObject(ce.data, 'data');
  // schema v1 put the fields straight into data; later versions wrap them in data.payload
  const payload = data.payload === undefined ? data : asObject(data.payload, 'data.payload');
  const stamps: [string, unknown][] = [
    ['data.payload.timestamp_ms', payload.timestamp_ms],
    ['data.payload.timestamp', payload.timestamp],
    ['data.timestamp', data.timestamp],
    ['time', ce.time],
  ];
  const stamp = stamps.find(([, v]) => v !== undefined && v !== null && v !== '');
  if (!stamp) throw new RecordError('data.payload.timestamp: missing or not a timestamp');
  return read(payload, type, toEpochMs(stamp[1], stamp[0]));
}
