// POST /v1/adapters/twilio. One URL serves both feeds: the workspace's EventCallbackUrl posts
// one event form-encoded, an Event Streams webhook sink posts a JSON array of CloudEvents.
// Twilio waits 15 s (callbacks) or 5 s (sinks) and wants 204; the handling here does no I/O.
import { RecordError, mapRecords, type DeliveryOutcome, type HttpDelivery, type MapContext, type VendorEndpoint } from '../common';
import { TWILIO_SOURCE } from './agent-state';
import { twilioEventStreamsFormat, twilioTaskRouterFormat } from './formats';
import { verifyTwilioSignature } from './signature';

const FORM = 'application/x-www-form-urlencoded';

function formRecord(body: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(body)) if (!(k in out)) out[k] = v;
  return out;
}

function cloudEvents(body: string): unknown[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new RecordError('body is not JSON (Event Streams sends a JSON array of CloudEvents)');
  }
  if (Array.isArray(doc)) return doc;
  if (doc && typeof doc === 'object') return [doc];
  throw new RecordError('body is neither a CloudEvent nor an array of them');
}

export const twilioEndpoint: VendorEndpoint = {
  vendor: 'twilio',
  source: TWILIO_SOURCE,
  contentTypes: [FORM, 'application/json', 'application/cloudevents-batch+json', 'application/cloudevents+json'],
  verify: verifyTwilioSignature,
  credentialHeaders: ['x-twilio-signature'],
  handle(delivery: HttpDelivery, ctx: MapContext): DeliveryOutcome {
    if (delivery.contentType === FORM) {
      const params = formRecord(delivery.rawBody);
      if (Object.keys(params).length === 0) throw new RecordError('empty form body');
      return mapRecords(twilioTaskRouterFormat, [params], ctx);
    }
    return mapRecords(twilioEventStreamsFormat, cloudEvents(delivery.rawBody), ctx);
  },
  // the event callback documentation asks for 204 No Content with a JSON content type
  reply: () => ({ status: 204, headers: { 'content-type': 'application/json' } }),
};
