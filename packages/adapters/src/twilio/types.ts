// The one internal shape both Twilio feeds are read into: the workspace event callback
// (PascalCase form parameters) and Event Streams (snake_case data.payload) carry the same
// TaskRouter event under two spellings, so the lifecycle mapping sees neither.

export interface TrTransfer {
  /** TaskTransferSid (TT…): the same transfer across initiated/completed */
  sid: string | null;
  /** WK… or WQ… sid of the target */
  to: string | null;
  /** QUEUE | WORKER */
  type: string | null;
  /** COLD | WARM */
  mode: string | null;
  initiatingReservationSid: string | null;
  initiatingWorkerSid: string | null;
}

export interface TrEvent {
  /** e.g. `reservation.accepted` */
  type: string;
  /** the event's own sid (EV…) */
  sid: string | null;
  /** event time, epoch ms */
  at: number;
  taskSid: string | null;
  /** TaskAttributes parsed from its JSON string; null when absent or not JSON */
  taskAttributes: Record<string, unknown> | null;
  taskAgeS: number | null;
  taskAgeInQueueS: number | null;
  taskCreatedAt: number | null;
  taskQueueEnteredAt: number | null;
  taskCanceledReason: string | null;
  taskCompletedReason: string | null;
  taskQueueSid: string | null;
  taskQueueName: string | null;
  taskChannel: string | null;
  workerSid: string | null;
  workerName: string | null;
  workerAttributes: Record<string, unknown> | null;
  workerActivityName: string | null;
  workerPreviousActivityName: string | null;
  workerTimeInPreviousActivityMs: number | null;
  reservationSid: string | null;
  transfer: TrTransfer;
}
