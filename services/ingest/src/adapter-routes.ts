import { gunzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import {
  ADAPTER_LETTER_HEADERS, MemoryState, RecordError, VENDORS, VENDOR_ENDPOINTS, describeInvalid, validateAdapterEvents,
  type AdapterState, type DeliveryOutcome, type HttpDelivery, type HttpReply, type Vendor, type VendorEndpoint,
} from '@switchboard/adapters';
import { BrokerUnavailableError, type EventPublisher, type RawDeadLetterPublisher } from '@switchboard/kafka';
import { HttpError, type TenantResolver } from '@switchboard/service-kit';
import type { Logger } from 'pino';
import { credentialsFor, type AdapterCredential } from './adapter-credentials';

export interface AdapterRouteDeps {
  publisher: EventPublisher;
  deadLetters: RawDeadLetterPublisher;
  metrics: Registry;
  tenantOf: TenantResolver;
  log: Logger;
  credentials: readonly AdapterCredential[];
  /**
   * The scheme and host the vendor calls (e.g. https://switchboard.example.com): signatures
   * cover the URL the vendor used, which a TLS-terminating proxy rewrites. Without it, the
   * request's X-Forwarded-Proto / Host are trusted.
   */
  publicBaseUrl?: string;
  /** memory per (tenant, vendor) for feeds that spread one fact over several deliveries */
  stateLimits?: { maxEntries: number; ttlMs: number };
  chunkSize?: number;
  retryAfterS?: number;
  /** a compressed body may not inflate past this (a small gzip can hold gigabytes) */
  maxInflatedBytes?: number;
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Vendors that compress (Firehose with GZIP content encoding) get their body inflated here, within a bound. */
function bodyText(req: FastifyRequest, headers: Record<string, string | undefined>, maxInflatedBytes: number): string {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const encoding = headers['content-encoding']?.trim().toLowerCase();
  if (!encoding || encoding === 'identity') return raw.toString('utf8');
  if (encoding !== 'gzip') throw new HttpError(415, `unsupported content encoding "${encoding}"; send gzip or none`);
  delete headers['content-encoding'];
  try {
    return gunzipSync(raw, { maxOutputLength: maxInflatedBytes }).toString('utf8');
  } catch (err) {
    throw new HttpError((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? 413 : 400, `gzip body cannot be inflated within ${maxInflatedBytes} bytes: ${(err as Error).message}`);
  }
}

function deliveryOf(req: FastifyRequest, publicBaseUrl: string | undefined, maxInflatedBytes: number): HttpDelivery {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) headers[k.toLowerCase()] = firstHeader(v);
  const rawBody = bodyText(req, headers, maxInflatedBytes);
  const base = publicBaseUrl?.replace(/\/+$/, '') ?? `${firstHeader(req.headers['x-forwarded-proto'])?.split(',')[0]?.trim() ?? req.protocol}://${firstHeader(req.headers['x-forwarded-host']) ?? req.headers.host ?? 'localhost'}`;
  return {
    url: base + req.url,
    method: req.method,
    headers,
    rawBody,
    contentType: (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase(),
    now: Date.now(),
  };
}

const hasApiKey = (req: FastifyRequest) => req.headers['x-api-key'] !== undefined || /^bearer /i.test(firstHeader(req.headers.authorization) ?? '');

/**
 * POST /v1/adapters/{vendor}: a vendor's webhook or push delivery → normalized events → Kafka.
 *
 * The tenant comes from the credential: the vendor secret that verifies the delivery (Twilio
 * and Zendesk signatures, Firehose's access key, a Genesys relay's token) names its tenant, so
 * a vendor that cannot send our API key still lands in the right tenant and no other. An API
 * key also works where the vendor can send one. Only with auth off and no secret configured for
 * the tenant is an unsigned delivery taken (local mode).
 *
 * Records the adapter cannot map, and mapped events that fail validation, are not answered with
 * an error: the vendor would redeliver the whole batch forever. They go to the dead-letter topic
 * with the reason and the raw delivery, for `npm run dlq -- replay` after a fix, and the rest is
 * published. A delivery is acknowledged only once Kafka has both.
 */
export function registerAdapterRoutes(app: FastifyInstance, deps: AdapterRouteDeps): void {
  const chunkSize = deps.chunkSize ?? 1000;
  const retryAfter = String(deps.retryAfterS ?? 5);
  const maxInflated = deps.maxInflatedBytes ?? 50 * 1024 * 1024;
  const states = new Map<string, AdapterState>();
  const stateOf = (tenant: string, vendor: Vendor) => {
    const key = `${tenant}\u0000${vendor}`;
    let s = states.get(key);
    if (!s) states.set(key, (s = new MemoryState(deps.stateLimits ?? { maxEntries: 200_000, ttlMs: 7 * 24 * 3600_000 })));
    return s;
  };
  const records = new Counter({ name: 'switchboard_adapter_records_total', help: 'Vendor records by outcome', labelNames: ['vendor', 'outcome'], registers: [deps.metrics] });
  const deliveries = new Counter({ name: 'switchboard_adapter_deliveries_total', help: 'Vendor deliveries by HTTP status', labelNames: ['vendor', 'status'], registers: [deps.metrics] });

  const answer = (reply: FastifyReply, endpoint: VendorEndpoint | undefined, delivery: HttpDelivery | undefined, status: number, message: string, extra: Record<string, unknown> = {}) => {
    const r: HttpReply = endpoint?.errorReply && delivery ? endpoint.errorReply(delivery, status, message) : { status, body: { error: message, ...extra } };
    if (endpoint) deliveries.inc({ vendor: endpoint.vendor, status: String(r.status) });
    for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v);
    if (status === 503) reply.header('retry-after', retryAfter);
    return reply.code(r.status).send(r.body ?? '');
  };

  /** the caller resolved before the body was read (API key or X-Tenant-Id) */
  const resolved = new WeakMap<FastifyRequest, ReturnType<TenantResolver>>();

  /** tenant and mapping options, or the reason the delivery is refused */
  const authenticate = (req: FastifyRequest, endpoint: VendorEndpoint, delivery: HttpDelivery): { tenant: string; options?: Record<string, unknown> } | { status: number; reason: string } => {
    const creds = credentialsFor(deps.credentials, endpoint.vendor);
    const named = (req.query as Record<string, unknown>).tenant;
    if (!hasApiKey(req) && creds.length > 0) {
      const candidates = typeof named === 'string' ? creds.filter((c) => c.tenant === named) : creds;
      let why = `no ${endpoint.vendor} credential${typeof named === 'string' ? ` of tenant ${named}` : ''} verifies this delivery`;
      for (const c of candidates) {
        const reason = endpoint.verify(delivery, c.secret);
        if (reason === null) return { tenant: c.tenant, ...(c.options ? { options: c.options } : {}) };
        why = reason;
      }
      return { status: 401, reason: why };
    }
    // API key (auth on) or X-Tenant-Id (auth off); throws 401/403 like every other route
    const rt = resolved.get(req) ?? deps.tenantOf(req);
    const own = creds.filter((c) => c.tenant === rt.tenant);
    if (own.length > 0) {
      for (const c of own) if (endpoint.verify(delivery, c.secret) === null) return { tenant: rt.tenant, ...(c.options ? { options: c.options } : {}) };
      return { status: 401, reason: `the delivery does not verify with tenant ${rt.tenant}'s ${endpoint.vendor} secret` };
    }
    return { tenant: rt.tenant };
  };

  app.register(async (scope) => {
    // signatures cover the exact bytes, so every body reaches the adapter unparsed
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    // Before a byte of the body is read or inflated: an API key is checked now (it throws
    // 401/403), and a delivery without one must at least carry the vendor's credential header.
    scope.addHook('onRequest', async (req, reply) => {
      // the vendor's own route (/v1/adapters/<vendor>); an unknown vendor is answered 404 by the handler
      const endpoint = VENDOR_ENDPOINTS.get(req.url.split('?')[0]!.split('/')[3] as Vendor);
      if (!endpoint) return;
      if (hasApiKey(req) || credentialsFor(deps.credentials, endpoint.vendor).length === 0) {
        // resolved once: the handler's credential check reads it from here
        resolved.set(req, deps.tenantOf(req));
        return;
      }
      if (!endpoint.credentialHeaders.some((h) => req.headers[h] !== undefined)) {
        return answer(reply, endpoint, undefined, 401, `no ${endpoint.vendor} credential: send ${endpoint.credentialHeaders.join(' or ')} (or an API key)`);
      }
    });

    // one route per vendor, each its own operation in the API's document (another name is a 404)
    for (const vendor of VENDORS) scope.post(`/v1/adapters/${vendor}`, (req, reply) => deliver(VENDOR_ENDPOINTS.get(vendor)!, req, reply));
  });

  async function deliver(endpoint: VendorEndpoint, req: FastifyRequest, reply: FastifyReply) {
    let delivery: HttpDelivery;
    try {
      delivery = deliveryOf(req, deps.publicBaseUrl, maxInflated);
    } catch (err) {
      if (err instanceof HttpError) return answer(reply, endpoint, undefined, err.statusCode, err.message);
      throw err;
    }
    if (!endpoint.contentTypes.includes(delivery.contentType)) {
      return answer(reply, endpoint, delivery, 415, `unsupported content type "${delivery.contentType || '(none)'}" for ${endpoint.vendor}; send ${endpoint.contentTypes.join(' or ')}`);
    }
    let auth: ReturnType<typeof authenticate>;
    try {
      auth = authenticate(req, endpoint, delivery);
    } catch (err) {
      if (err instanceof HttpError) return answer(reply, endpoint, delivery, err.statusCode, err.message);
      throw err;
    }
    if ('status' in auth) return answer(reply, endpoint, delivery, auth.status, auth.reason);

    let outcome: DeliveryOutcome;
    try {
      outcome = endpoint.handle(delivery, { tenant: auth.tenant, state: stateOf(auth.tenant, endpoint.vendor), ...(auth.options ? { options: auth.options } : {}) });
    } catch (err) {
      if (err instanceof RecordError) return answer(reply, endpoint, delivery, 400, `the ${endpoint.vendor} delivery cannot be read: ${err.reason}`);
      throw err;
    }
    // the adapter's output passes the same validation as POST /v1/events
    const { valid, invalid } = validateAdapterEvents(outcome.events, auth.tenant, endpoint.source, delivery.now);
    const problems = [...outcome.rejected.map((r) => `record ${r.index}: ${r.reason}`), ...invalid.map(describeInvalid)];
    records.inc({ vendor: endpoint.vendor, outcome: 'ignored' }, outcome.ignored);
    records.inc({ vendor: endpoint.vendor, outcome: 'rejected' }, outcome.rejected.length);
    try {
      if (problems.length > 0) {
        await deps.deadLetters.publishRaw([{
          key: `${auth.tenant}/${endpoint.vendor}`,
          value: delivery.rawBody,
          contentType: delivery.contentType,
          reason: `adapter ${endpoint.vendor}: ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? `; … ${problems.length - 20} more` : ''}`,
          headers: { [ADAPTER_LETTER_HEADERS.vendor]: endpoint.vendor, [ADAPTER_LETTER_HEADERS.tenant]: auth.tenant, [ADAPTER_LETTER_HEADERS.contentType]: delivery.contentType, [ADAPTER_LETTER_HEADERS.url]: delivery.url },
        }]);
        deps.log.warn({ vendor: endpoint.vendor, tenant: auth.tenant, problems: problems.slice(0, 5), count: problems.length }, 'vendor records dead-lettered');
      }
      for (let i = 0; i < valid.length; i += chunkSize) await deps.publisher.publish(valid.slice(i, i + chunkSize));
    } catch (err) {
      if (!(err instanceof BrokerUnavailableError)) throw err;
      return answer(reply, endpoint, delivery, 503, `${err.what} is unreachable; redeliver later (event ids make the redelivery safe)`);
    }
    records.inc({ vendor: endpoint.vendor, outcome: 'published' }, valid.length);
    const r = endpoint.reply(delivery, { events: valid, ignored: outcome.ignored, rejected: outcome.rejected });
    deliveries.inc({ vendor: endpoint.vendor, status: String(r.status) });
    for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v);
    return reply.code(r.status).send(r.body ?? '');
  }
}
