// POST /v1/adapters/zendesk: a webhook subscribed to Zendesk ticket events sends one event
// per request as application/json, signed with the webhook's signing secret.
import { mapRecords, RecordError, type DeliveryOutcome, type HttpDelivery, type HttpReply, type MapContext, type VendorEndpoint } from '../common';
import { SOURCE } from './events';
import { verifyZendeskSignature } from './signature';
import { webhookFormat } from './webhook';

function handle(delivery: HttpDelivery, ctx: MapContext): DeliveryOutcome {
  let body: unknown;
  try {
    body = JSON.parse(delivery.rawBody);
  } catch {
    throw new RecordError('body is not JSON');
  }
  // Zendesk sends one object; an array is accepted for replays of several payloads
  if (Array.isArray(body)) return mapRecords(webhookFormat, body, ctx);
  if (body === null || typeof body !== 'object') throw new RecordError('body must be a Zendesk event payload object');
  return mapRecords(webhookFormat, [body], ctx);
}

/** Any 2xx ends Zendesk's retries; the counts help whoever reads the webhook's activity log. */
function reply(_delivery: HttpDelivery, outcome: DeliveryOutcome): HttpReply {
  return { status: 200, body: { events: outcome.events.length, ignored: outcome.ignored, rejected: outcome.rejected.length } };
}

export const zendeskWebhookEndpoint: VendorEndpoint = {
  vendor: 'zendesk',
  source: SOURCE,
  contentTypes: ['application/json'],
  verify: verifyZendeskSignature,
  credentialHeaders: ['x-zendesk-webhook-signature'],
  handle,
  reply,
};
