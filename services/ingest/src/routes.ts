import type { FastifyInstance } from 'fastify';
import type { TenantResolver } from '@switchboard/service-kit';
import { Counter, type Registry } from 'prom-client';
import { validateEvent, type ContactEvent, type FieldError } from '@switchboard/events';
import { BrokerUnavailableError, type EventPublisher } from '@switchboard/kafka';
import { parseJsonBody, parseNdjsonBody } from './body';

export interface IngestRouteDeps {
  publisher: EventPublisher;
  metrics: Registry;
  tenantOf: TenantResolver;
  /** events per Kafka request: keeps each partition's record batch under the broker's size limit */
  chunkSize?: number;
  /** seconds a client should wait before retrying while Kafka is unreachable */
  retryAfterS?: number;
  maxErrorsReported?: number;
  /** events one request may carry (INGEST_MAX_EVENTS) */
  maxEvents?: number;
  /** events older than this are refused (LATE_HORIZON_HOURS) */
  lateHorizonMs?: number;
}

const JSON_TYPES = new Set(['application/json']);
const NDJSON_TYPES = new Set(['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/jsonlines']);

/**
 * POST /v1/events. Atomic by default: if any event is invalid, none is published and the
 * 400 lists every problem (index, field, reason), so a client fixes and resends the batch.
 * `?partial=true` publishes the valid ones and reports the rest in a 202. Re-sending is
 * always safe: event_id is the idempotency key downstream.
 */
export function registerIngestRoutes(app: FastifyInstance, deps: IngestRouteDeps): void {
  const chunkSize = deps.chunkSize ?? 1000;
  const retryAfter = String(deps.retryAfterS ?? 5);
  const maxErrors = deps.maxErrorsReported ?? 100;
  const maxEvents = deps.maxEvents ?? 20_000;
  const accepted = new Counter({ name: 'switchboard_ingest_events_accepted_total', help: 'Events published to Kafka', registers: [deps.metrics] });
  const rejected = new Counter({ name: 'switchboard_ingest_events_rejected_total', help: 'Events refused by validation', registers: [deps.metrics] });

  const tenants = new WeakMap<object, ReturnType<TenantResolver>>();
  app.register(async (scope) => {
    // Bodies are parsed here, not by fastify, so that NDJSON and JSON errors have one shape.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    // the caller is known before a byte of the body is read (onRequest runs before parsing):
    // an unauthenticated request costs its headers only
    scope.addHook('onRequest', async (req) => {
      tenants.set(req, deps.tenantOf(req));
    });

    scope.post('/v1/events', async (req, reply) => {
      const { tenant, bound } = tenants.get(req) ?? deps.tenantOf(req);
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      const isNd = NDJSON_TYPES.has(type);
      if (!isNd && !JSON_TYPES.has(type)) {
        return reply.code(415).send({ error: `unsupported content type "${type || '(none)'}"; send application/json (an array of events) or application/x-ndjson` });
      }
      const text = typeof req.body === 'string' ? req.body : '';
      const parsed = isNd ? parseNdjsonBody(text, maxEvents) : parseJsonBody(text);
      if (parsed.items.length > maxEvents || parsed.tooMany) {
        return reply.code(413).send({ error: `more than ${maxEvents} events in one request (INGEST_MAX_EVENTS); split the batch` });
      }
      if (parsed.items.length === 0 && parsed.errors.length === 0) {
        return reply.code(400).send({ error: 'no events in the body' });
      }
      const now = Date.now();
      // in index order, a line's parse error or its validation; only the first maxErrors are
      // kept (a body of thousands of bad events must not become a million error objects)
      const errors: FieldError[] = [];
      const valid: ContactEvent[] = [];
      const badLines = new Map(parsed.errors.map((e) => [e.index, e]));
      let invalidCount = 0;
      let errorCount = 0;
      if (parsed.items.length === 0) {
        // the body as a whole could not be read (not JSON, or not an array or object)
        errors.push(...parsed.errors);
        invalidCount = 1;
        errorCount = errors.length;
      }
      parsed.items.forEach((item, i) => {
        const bad = badLines.get(i);
        const r = bad ? undefined : validateEvent(item, i, { defaultTenant: tenant, now, ...(deps.lateHorizonMs ? { lateHorizonMs: deps.lateHorizonMs } : {}), ...(bound ? { requiredTenant: tenant } : {}) });
        if (r?.ok) {
          valid.push(r.event);
          return;
        }
        invalidCount++;
        for (const e of bad ? [bad] : r!.ok ? [] : r!.errors) {
          if (errors.length < maxErrors) errors.push(e);
          errorCount++;
        }
      });
      rejected.inc(invalidCount);
      const partial = (req.query as Record<string, string>).partial === 'true';
      if (invalidCount > 0 && !partial) {
        return reply.code(400).send({
          error: `${invalidCount} of ${parsed.items.length} events are invalid; nothing was published`,
          accepted: 0,
          rejected: invalidCount,
          errors,
          errors_truncated: errorCount > errors.length,
        });
      }
      let published = 0;
      try {
        for (let i = 0; i < valid.length; i += chunkSize) {
          const chunk = valid.slice(i, i + chunkSize);
          await deps.publisher.publish(chunk);
          published += chunk.length;
          accepted.inc(chunk.length);
        }
      } catch (err) {
        if (!(err instanceof BrokerUnavailableError)) throw err;
        reply.header('retry-after', retryAfter);
        return reply.code(503).send({
          error: `${err.what} is unreachable; retry the whole request later (event_id makes the retry safe)`,
          accepted: published,
          not_published: valid.length - published,
        });
      }
      return reply.code(202).send({ accepted: published, rejected: invalidCount, ...(invalidCount > 0 ? { errors, errors_truncated: errorCount > errors.length } : {}) });
    });
  });
}
