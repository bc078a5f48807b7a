import { z } from 'zod';
import { VENDORS, VENDOR_ENDPOINTS, type Vendor } from '@switchboard/adapters';
import { jsonEventSchema } from '@switchboard/events';
import {
  AUTH_ERRORS, ERROR_REF, TENANT_HEADER, errorBodySchema, errorResponse, jsonResponse, jsonSchema,
  type OpenApiFragment, type OpenApiOperation,
} from '@switchboard/service-kit';

// The ingest service's part of the OpenAPI document (docs/api.md, "The contract"): the event
// body is the zod schema validateEvent checks with; the vendor endpoints take what each
// vendor sends and answer as each vendor expects (docs/adapters.md).

const fieldError = z.object({
  index: z.number().int().describe('position of the event in the body (the line, for NDJSON)'),
  field: z.string().describe('dotted path of the field; empty for the event as a whole'),
  reason: z.string(),
});

const accepted = z.object({
  accepted: z.number().int().describe('events published to Kafka'),
  rejected: z.number().int().describe('events refused (only with partial=true)'),
  errors: z.array(fieldError).optional().describe('the refused events\' problems (the first 100)'),
  errors_truncated: z.boolean().optional(),
});

const invalidBatch = errorBodySchema.extend({
  accepted: z.literal(0).optional(),
  rejected: z.number().int().optional().describe('events with a problem'),
  errors: z.array(fieldError).optional().describe('every problem, up to the first 100: event index, field, reason'),
  errors_truncated: z.boolean().optional(),
});

const unreachable = errorBodySchema.extend({
  accepted: z.number().int().describe('events published before Kafka became unreachable'),
  not_published: z.number().int(),
});

const NDJSON = { schema: { type: 'string', description: 'one event (a JSON object) per line' } };

const eventsPost: OpenApiOperation = {
  operationId: 'postEvents',
  summary: 'Publish contact events',
  description: 'Atomic by default: if any event is invalid, none is published and the 400 lists every problem (index, field, reason). `?partial=true` publishes the valid ones and lists the rest in the 202. Re-sending is always safe: `event_id` is the idempotency key downstream. At most INGEST_MAX_EVENTS events per request.',
  parameters: [
    { name: 'partial', in: 'query', required: false, description: '`true`: publish the valid events and report the invalid ones', schema: { type: 'string', enum: ['true', 'false'], default: 'false' } },
    TENANT_HEADER,
  ],
  requestBody: {
    required: true,
    content: {
      'application/json': { schema: { oneOf: [{ type: 'array', items: jsonSchema(jsonEventSchema) }, jsonSchema(jsonEventSchema)] } },
      'application/x-ndjson': NDJSON,
    },
  },
  responses: {
    '202': jsonResponse(accepted, 'published (with partial=true: the valid ones)'),
    '400': jsonResponse(invalidBatch, 'invalid events (nothing published), or a body that is not events'),
    ...AUTH_ERRORS,
    '413': errorResponse('more than INGEST_MAX_EVENTS events, or a body over MAX_BODY_BYTES'),
    '415': errorResponse('a content type other than JSON or NDJSON'),
    '503': { ...jsonResponse(unreachable, 'Kafka is unreachable: retry the whole request after Retry-After seconds'), headers: { 'Retry-After': { schema: { type: 'integer' } } } },
  },
};

const recordRejection = z.object({ index: z.number().int(), reason: z.string() });

/** What each vendor is answered: the shape its sender expects. */
const VENDOR_REPLIES: Record<Vendor, { status: string; reply: Record<string, unknown>; errors?: z.ZodType }> = {
  'amazon-connect': {
    status: '200',
    reply: jsonResponse(z.object({ requestId: z.string(), timestamp: z.number().int() }), 'Kinesis Data Firehose\'s HTTP endpoint answer: the delivery\'s request id'),
    // Firehose reads errorMessage; it is the one endpoint whose errors are not the shared shape
    errors: z.object({ requestId: z.string(), timestamp: z.number().int(), errorMessage: z.string() }),
  },
  twilio: { status: '204', reply: { description: 'taken (Twilio expects 204 No Content)' } },
  genesys: {
    status: '202',
    reply: jsonResponse(z.object({ accepted: z.number().int(), ignored: z.number().int(), rejected: z.array(recordRejection).describe('records dead-lettered, with their reason') }), 'taken'),
  },
  zendesk: {
    status: '200',
    reply: jsonResponse(z.object({ events: z.number().int(), ignored: z.number().int(), rejected: z.number().int() }), 'taken'),
  },
};

function adapterPost(vendor: Vendor): OpenApiOperation {
  const endpoint = VENDOR_ENDPOINTS.get(vendor)!;
  const { status, reply, errors } = VENDOR_REPLIES[vendor];
  // a delivery refused before its body is read (no credential header) gets the shared shape
  const error = (description: string) => (errors
    ? { description, content: { 'application/json': { schema: { anyOf: [jsonSchema(errors, 'output'), { $ref: ERROR_REF }] } } } }
    : errorResponse(description));
  return {
    operationId: `postAdapter${vendor.split('-').map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`,
    summary: `${vendor} deliveries`,
    description: `Verified with the vendor's credential (${endpoint.credentialHeaders.join(', ')}) or an API key; records that cannot be mapped go to the dead-letter topic with their reason, the rest to Kafka. See docs/adapters.md.`,
    parameters: [
      { name: 'tenant', in: 'query', required: false, description: 'try only this tenant\'s credentials', schema: { type: 'string' } },
      ...endpoint.credentialHeaders.map((h) => ({ name: h, in: 'header' as const, required: false, description: 'the vendor\'s signature or access key', schema: { type: 'string' } })),
      TENANT_HEADER,
    ],
    requestBody: {
      required: true,
      content: Object.fromEntries(endpoint.contentTypes.map((t) => [t, { schema: t.includes('json') && !t.includes('ndjson') ? { type: ['object', 'array'] } : { type: 'string' } }])),
    },
    responses: {
      [status]: reply,
      '400': error('the delivery cannot be read at all'),
      '401': error('no credential verifies the delivery'),
      '403': error('the API key\'s tenant differs from X-Tenant-Id'),
      '413': error('the body, or its gzip inflation, is over the limit'),
      '415': error('a content type or encoding the vendor does not send'),
      '503': error('Kafka is unreachable: redeliver later (event ids make it safe)'),
    },
  };
}

export function ingestOpenApi(): OpenApiFragment {
  return {
    tag: { name: 'ingest', description: 'Events in: our schema, and vendor webhooks (the ingest service)' },
    paths: {
      '/v1/events': { post: eventsPost },
      ...Object.fromEntries(VENDORS.map((v) => [`/v1/adapters/${v}`, { post: adapterPost(v) }])),
    },
  };
}
