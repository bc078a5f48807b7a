// Zendesk signs every webhook request: X-Zendesk-Webhook-Signature =
// base64(HMAC-SHA256(signing secret, X-Zendesk-Webhook-Signature-Timestamp + raw body)).
// The timestamp (ISO-8601, e.g. 2021-03-25T05:09:27Z) is signed too, so checking its age
// turns a captured request into one that cannot be replayed later.
import { createHmac } from 'node:crypto';
import { RecordError, safeEqual, toEpochMs, type HttpDelivery } from '../common';

export const SIGNATURE_HEADER = 'x-zendesk-webhook-signature';
export const TIMESTAMP_HEADER = 'x-zendesk-webhook-signature-timestamp';
/** how far the signed timestamp may lie from the receiver's clock, either way */
export const MAX_SIGNATURE_AGE_MS = 5 * 60_000;

export function zendeskSignature(secret: string, timestamp: string, rawBody: string): string {
  return createHmac('sha256', secret).update(timestamp + rawBody, 'utf8').digest('base64');
}

export function header(delivery: HttpDelivery, name: string): string | undefined {
  const direct = delivery.headers[name];
  if (direct !== undefined) return direct;
  for (const [k, v] of Object.entries(delivery.headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** null when the delivery is signed with `secret` and fresh, else why not */
export function verifyZendeskSignature(delivery: HttpDelivery, secret: string): string | null {
  const signature = header(delivery, SIGNATURE_HEADER)?.trim();
  const timestamp = header(delivery, TIMESTAMP_HEADER)?.trim();
  if (!signature) return 'missing X-Zendesk-Webhook-Signature header';
  if (!timestamp) return 'missing X-Zendesk-Webhook-Signature-Timestamp header';
  if (!safeEqual(zendeskSignature(secret, timestamp, delivery.rawBody), signature)) return 'X-Zendesk-Webhook-Signature does not match the body and the signing secret';
  let signedAt: number;
  try {
    signedAt = toEpochMs(timestamp, 'X-Zendesk-Webhook-Signature-Timestamp');
  } catch (err) {
    if (err instanceof RecordError) return err.reason;
    throw err;
  }
  const skew = delivery.now - signedAt;
  if (Math.abs(skew) > MAX_SIGNATURE_AGE_MS) {
    return `X-Zendesk-Webhook-Signature-Timestamp ${timestamp} is ${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? 'old' : 'in the future'} (at most ${MAX_SIGNATURE_AGE_MS / 1000} s; a replayed request?)`;
  }
  return null;
}
