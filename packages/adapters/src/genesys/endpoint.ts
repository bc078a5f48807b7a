// POST /v1/adapters/genesys. Genesys itself signs nothing it pushes: detail events reach us
// through an Amazon EventBridge API destination (or a notification relay), and those can only
// add a fixed header to each request. So the credential is a shared token in
// X-Switchboard-Token (an EventBridge connection of type "API key" with that header name);
// Authorization stays free for the API-key auth in front of the route.
import { RecordError, mapRecords, safeEqual, type DeliveryOutcome, type HttpDelivery, type MapContext, type RecordFormat, type VendorEndpoint } from '../common';
import { SOURCE } from './enums';
import { isNotification } from './detail-event';

export const TOKEN_HEADER = 'X-Switchboard-Token';

function header(d: HttpDelivery, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of Object.entries(d.headers)) if (k.toLowerCase() === want) return v;
  return undefined;
}

/**
 * The records of a delivery: one detail event (EventBridge sends one per request), an array
 * of them, a details query / job page ({conversations: […]}), or JSON lines of either.
 */
export function parseGenesysBody(rawBody: string): unknown[] {
  const text = rawBody.trim();
  if (text === '') throw new RecordError('body: empty');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    try {
      return text.split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
    } catch {
      throw new RecordError('body: not JSON (an event, an array, {"conversations": [...]}, or JSON lines)');
    }
  }
  if (Array.isArray(parsed)) return parsed;
  if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { conversations?: unknown }).conversations)) {
    return (parsed as { conversations: unknown[] }).conversations;
  }
  return [parsed];
}

function isConversationRecord(r: unknown): boolean {
  return !!r && typeof r === 'object' && !Array.isArray(r) && 'conversationId' in r && 'participants' in r;
}

export function makeGenesysEndpoint(conversation: RecordFormat, detailEvent: RecordFormat): VendorEndpoint {
  // one delivery may mix detail events and conversation records: each record says which it is
  const either: RecordFormat = {
    ...conversation,
    map(record, ctx) {
      const format = isNotification(record) ? detailEvent : isConversationRecord(record) ? conversation : null;
      if (!format) throw new RecordError('neither a Genesys detail event ({topicName, eventBody} or EventBridge) nor a conversation detail record');
      return format.map(record, ctx);
    },
  };
  return {
    vendor: 'genesys',
    source: SOURCE,
    contentTypes: ['application/json', 'application/x-ndjson'],
    credentialHeaders: [TOKEN_HEADER.toLowerCase()],

    verify(d: HttpDelivery, secret: string): string | null {
      if (!secret) return 'no Genesys token is configured for this tenant';
      const token = header(d, TOKEN_HEADER);
      if (token === undefined || token.trim() === '') return `missing ${TOKEN_HEADER} header`;
      return safeEqual(token.trim(), secret) ? null : `${TOKEN_HEADER} does not match the tenant's Genesys token`;
    },

    handle(d: HttpDelivery, ctx: MapContext): DeliveryOutcome {
      return mapRecords(either, parseGenesysBody(d.rawBody), ctx);
    },

    // EventBridge retries only on 429 and 5xx: a record we cannot map is reported, not retried
    reply(_d: HttpDelivery, outcome: DeliveryOutcome) {
      return { status: 202, body: { accepted: outcome.events.length, ignored: outcome.ignored, rejected: outcome.rejected } };
    },
  };
}
