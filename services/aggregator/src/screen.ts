import { ContactEventCodec, DecodeError, semanticProblems, type ContactEvent } from '@switchboard/events';
import type { KafkaMessage } from 'kafkajs';

export interface ScreenPolicy {
  /** events older than this (by event time, against the aggregator's clock) are dead-lettered */
  lateHorizonMs: number;
  /** events further ahead of the aggregator's clock than this are dead-lettered */
  maxFutureSkewMs: number;
}

export type Screened = { ok: true; event: ContactEvent } | { ok: false; reason: string };

/** Decides whether a Kafka record may count: it must decode, make sense, and fall inside the lateness horizon. */
export function screenMessage(codec: ContactEventCodec, msg: KafkaMessage, policy: ScreenPolicy, now: number): Screened {
  if (!msg.value) return { ok: false, reason: 'empty message value' };
  let event: ContactEvent;
  try {
    event = codec.decode(msg.value);
  } catch (err) {
    return { ok: false, reason: err instanceof DecodeError ? `undecodable: ${err.message}` : `undecodable: ${String(err)}` };
  }
  const problems = semanticProblems(event);
  if (problems.length > 0) return { ok: false, reason: `invalid: ${problems.map((p) => `${p.field} ${p.reason}`).join('; ')}` };
  if (event.occurred_at < now - policy.lateHorizonMs) {
    return { ok: false, reason: `late: occurred_at ${new Date(event.occurred_at).toISOString()} is older than the ${Math.round(policy.lateHorizonMs / 3600_000)} h lateness horizon` };
  }
  if (event.occurred_at > now + policy.maxFutureSkewMs) {
    return { ok: false, reason: `future: occurred_at ${new Date(event.occurred_at).toISOString()} is ahead of the aggregator clock by more than ${Math.round(policy.maxFutureSkewMs / 1000)} s` };
  }
  return { ok: true, event };
}
