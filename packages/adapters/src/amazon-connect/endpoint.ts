// POST /v1/adapters/amazon-connect: an Amazon Data Firehose stream with an HTTP endpoint
// destination, reading the Kinesis stream(s) Connect writes contact records and agent events to.
import { RecordError, safeEqual, type DeliveryOutcome, type HttpDelivery, type HttpReply, type VendorEndpoint } from '../common';
import { SOURCE } from './dimensions';
import { parseEnvelope } from './firehose';
import { mapAny } from './formats';

const ACCESS_KEY = 'x-amz-firehose-access-key';
const REQUEST_ID = 'x-amz-firehose-request-id';

function header(d: HttpDelivery, name: string): string | undefined {
  const direct = d.headers[name];
  if (direct !== undefined) return direct;
  for (const [k, v] of Object.entries(d.headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** Firehose matches our answer to its request by requestId; the header carries the same id as the body. */
function requestIdOf(d: HttpDelivery): string {
  const h = header(d, REQUEST_ID);
  if (h) return h;
  try {
    const id = (JSON.parse(d.rawBody) as { requestId?: unknown }).requestId;
    return typeof id === 'string' ? id : '';
  } catch {
    return '';
  }
}

export const firehoseEndpoint: VendorEndpoint = {
  vendor: 'amazon-connect',
  source: SOURCE,
  // Firehose always sends application/json (Content-Encoding gzip only when configured)
  contentTypes: ['application/json'],
  credentialHeaders: ['x-amz-firehose-access-key'],

  verify(delivery, secret) {
    // Firehose copies the configured access key verbatim into this header; nothing is signed
    const key = header(delivery, ACCESS_KEY);
    if (key === undefined || key === '') return 'missing X-Amz-Firehose-Access-Key header';
    return safeEqual(key, secret) ? null : 'X-Amz-Firehose-Access-Key does not match the configured access key';
  },

  handle(delivery, ctx): DeliveryOutcome {
    const envelope = parseEnvelope(delivery.rawBody, header(delivery, 'content-encoding'));
    const out: DeliveryOutcome = { events: [], ignored: 0, rejected: [] };
    // positions count documents across the delivery, so a record holding several still names each
    let position = 0;
    for (const rec of envelope.records) {
      if (rec.error !== undefined) {
        out.rejected.push({ index: position++, reason: rec.error });
        continue;
      }
      rec.documents.forEach((doc, j) => {
        const where = rec.documents.length > 1 ? `records[${rec.index}] document ${j}` : `records[${rec.index}]`;
        try {
          const m = mapAny(doc, ctx);
          out.events.push(...m.events);
          out.ignored += m.ignored;
        } catch (err) {
          if (!(err instanceof RecordError)) throw err;
          out.rejected.push({ index: position, reason: `${where}: ${err.reason}` });
        }
        position++;
      });
    }
    return out;
  },

  reply(delivery): HttpReply {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: { requestId: requestIdOf(delivery), timestamp: delivery.now } };
  },

  errorReply(delivery, status, message): HttpReply {
    return { status, headers: { 'content-type': 'application/json' }, body: { requestId: requestIdOf(delivery), timestamp: delivery.now, errorMessage: message } };
  },
};
