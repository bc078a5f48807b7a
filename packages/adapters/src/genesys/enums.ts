// Genesys spells one enum differently per API: the analytics detail record says `voice`,
// `inbound`, `consultTransfer`; the detail events say `VOICE`, `INBOUND`, `CONSULT_TRANSFER`.
// Everything is compared through norm() so both casings (and the underscores) map alike.
import type { Channel, Direction } from '@switchboard/events';
import { RecordError } from '../common';

export const SOURCE = 'genesys';
export const ID_PREFIX = 'genesys';

/** `CONSULT_TRANSFER`, `consultTransfer` and `consult-transfer` all become `consulttransfer`. */
export function norm(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase().replace(/[\s_-]/g, '') : '';
}

// Sessions that are not a customer contact in themselves: a cobrowse or screen share rides
// along a call or chat, internal messages are agent-to-agent.
const NON_CONTACT_MEDIA = new Set(['cobrowse', 'screenshare', 'screenmonitoring', 'internalmessage', 'unknown', 'outdatedsdkversion']);

/**
 * mediaType (+ messageType for `message`) → contact-event channel; null for media that are not a
 * customer contact. A callback is a voice call the agent places back; SMS keeps its own
 * channel, every other messaging provider (WhatsApp, Messenger, web messaging…) is messaging.
 */
export function channelOf(mediaType: unknown, messageType?: unknown): Channel | null {
  switch (norm(mediaType)) {
    case 'voice':
    case 'callback':
      return 'voice';
    case 'chat':
      return 'chat';
    case 'email':
      return 'email';
    case 'video':
      return 'video';
    case 'message':
      return norm(messageType) === 'sms' ? 'sms' : 'messaging';
    default:
      return null;
  }
}

export function isContactMedia(mediaType: unknown): boolean {
  const m = norm(mediaType);
  return m !== '' && !NON_CONTACT_MEDIA.has(m) && channelOf(mediaType) !== null;
}

export function directionOf(value: unknown): Direction | null {
  const d = norm(value);
  return d === 'inbound' || d === 'outbound' ? d : null;
}

/**
 * Disconnects that hand the customer on to someone else. The no-answer / not-available /
 * do-not-disturb "transfers" are routing bouncing an alert to the next agent, not a transfer
 * of a conversation the agent handled, so they do not count.
 */
const TRANSFER_DISCONNECTS = new Set(['transfer', 'consulttransfer', 'forwardtransfer', 'conferencetransfer']);
export function isTransferDisconnect(value: unknown): boolean {
  return TRANSFER_DISCONNECTS.has(norm(value));
}

/** `tel:+15551234` and `+15551234` are the same caller; the scheme is not part of the key. */
export function addressKey(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const s = value.trim().replace(/^(tel|sip|mailto):/i, '');
  return s === '' ? null : s;
}

/** A millisecond measure as Genesys sends it (a number, sometimes a numeric string). */
export function msValue(value: unknown, field: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0) throw new RecordError(`${field}: must be a non-negative number of milliseconds`);
  return Math.round(n);
}

export function optMs(value: unknown, field: string): number | null {
  return value === undefined || value === null || value === '' ? null : msValue(value, field);
}
