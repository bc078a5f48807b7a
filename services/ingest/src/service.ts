import type { Kafka } from 'kafkajs';
import type { Topics } from '@switchboard/kafka';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import { DeadLetterPublisher, EventPublisher } from '@switchboard/kafka';
import { DEFAULT_LATE_HORIZON_HOURS, type SchemaRegistryClient } from '@switchboard/events';
import type { Component, HttpServer, TenantResolver } from '@switchboard/service-kit';
import { registerIngestRoutes } from './routes';
import { registerAdapterRoutes } from './adapter-routes';
import { ingestOpenApi } from './openapi';
import { loadAdapterCredentials, type AdapterCredential } from './adapter-credentials';

/** Variables of the vendor webhook endpoints, beside the common ones. */
export const ingestEnvSchema = z.object({
  /** JSON or YAML list of {tenant, vendor, secret, options?}: the vendor accounts whose deliveries are accepted */
  ADAPTER_CREDENTIALS_FILE: z.string().optional().describe('YAML/JSON list of {tenant, vendor, secret, options?}: vendor accounts whose webhook deliveries are accepted'),
  /** scheme and host vendors call, for signatures over the URL behind a TLS-terminating proxy */
  ADAPTER_PUBLIC_BASE_URL: z.string().url().optional().describe('scheme and host the vendors call, for signatures over the URL behind a TLS-terminating proxy'),
  /** entries of each (tenant, vendor) adapter memory (CTR versions, Twilio task timelines) */
  ADAPTER_STATE_MAX_ENTRIES: z.coerce.number().int().min(100).default(200_000).describe('entries of each (tenant, vendor) adapter memory (7-day expiry)'),
  /** events one POST /v1/events may carry; more is a 413 (a client splits its batch) */
  INGEST_MAX_EVENTS: z.coerce.number().int().min(1).max(1_000_000).default(20_000).describe('events one POST /v1/events may carry; more is a 413'),
  /** the aggregator's lateness horizon: older events are refused here rather than accepted and dead-lettered */
  LATE_HORIZON_HOURS: z.coerce.number().positive().default(DEFAULT_LATE_HORIZON_HOURS).describe('the aggregator’s lateness horizon: older events are refused at ingest'),
});
export type IngestEnv = z.infer<typeof ingestEnvSchema>;

export interface IngestConfig {
  credentials: AdapterCredential[];
  publicBaseUrl?: string;
  stateMaxEntries: number;
  /** INGEST_MAX_EVENTS (20,000 when absent) */
  maxEvents?: number;
  /** LATE_HORIZON_HOURS in ms (7 days when absent) */
  lateHorizonMs?: number;
}

export function ingestConfig(env: IngestEnv): IngestConfig {
  return {
    credentials: env.ADAPTER_CREDENTIALS_FILE ? loadAdapterCredentials(env.ADAPTER_CREDENTIALS_FILE) : [],
    ...(env.ADAPTER_PUBLIC_BASE_URL ? { publicBaseUrl: env.ADAPTER_PUBLIC_BASE_URL } : {}),
    stateMaxEntries: env.ADAPTER_STATE_MAX_ENTRIES,
    maxEvents: env.INGEST_MAX_EVENTS,
    lateHorizonMs: env.LATE_HORIZON_HOURS * 3_600_000,
  };
}

export interface IngestDeps {
  kafka: Kafka;
  http: HttpServer;
  log: Logger;
  metrics: Registry;
  tenantOf: TenantResolver;
  topics: Topics;
  config?: IngestConfig;
  /** SCHEMA_REGISTRY_URL's client: events are then written in the Confluent wire format */
  registry?: SchemaRegistryClient | null;
}

/**
 * Mounts /v1/events and /v1/adapters/{vendor} on the given server; the publishers are
 * components so they connect before traffic and flush on stop.
 */
export function createIngest(deps: IngestDeps): { publisher: EventPublisher; components: Component[] } {
  const log = deps.log.child({ component: 'ingest' });
  const config = deps.config ?? { credentials: [], stateMaxEntries: 200_000, maxEvents: 20_000 };
  const publisher = new EventPublisher(deps.kafka, log, deps.topics.events, 10_000, deps.registry ?? null, deps.metrics);
  const deadLetters = new DeadLetterPublisher(deps.kafka, deps.topics.dlq, { log, metrics: deps.metrics, source: 'ingest' });
  deps.http.describe(ingestOpenApi());
  registerIngestRoutes(deps.http.app, { publisher, metrics: deps.metrics, tenantOf: deps.tenantOf, ...(config.maxEvents ? { maxEvents: config.maxEvents } : {}), lateHorizonMs: config.lateHorizonMs ?? DEFAULT_LATE_HORIZON_HOURS * 3_600_000 });
  registerAdapterRoutes(deps.http.app, {
    publisher, deadLetters, metrics: deps.metrics, tenantOf: deps.tenantOf, log, credentials: config.credentials,
    ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
    stateLimits: { maxEntries: config.stateMaxEntries, ttlMs: 7 * 24 * 3600_000 },
  });
  deps.http.addReadinessCheck({ name: 'kafka-producer', check: () => (publisher.isConnected ? null : 'producer not connected to Kafka') });
  return {
    publisher,
    components: [
      { name: 'ingest-producer', start: () => publisher.start(), stop: () => publisher.stop() },
      { name: 'ingest-dead-letters', start: () => deadLetters.start(), stop: () => deadLetters.stop() },
    ],
  };
}
