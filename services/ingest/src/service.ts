import type { Kafka } from 'kafkajs';
import type { Topics } from '@switchboard/kafka';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { EventPublisher } from '@switchboard/kafka';
import type { Component, HttpServer, TenantResolver } from '@switchboard/service-kit';
import { registerIngestRoutes } from './routes';

export interface IngestDeps {
  kafka: Kafka;
  http: HttpServer;
  log: Logger;
  metrics: Registry;
  tenantOf: TenantResolver;
  topics: Topics;
}

/** Mounts /v1/events on the given server; the publisher is a component so it connects before traffic and flushes on stop. */
export function createIngest(deps: IngestDeps): { publisher: EventPublisher; components: Component[] } {
  const publisher = new EventPublisher(deps.kafka, deps.log.child({ component: 'ingest' }), deps.topics.events);
  registerIngestRoutes(deps.http.app, { publisher, metrics: deps.metrics, tenantOf: deps.tenantOf });
  deps.http.addReadinessCheck({ name: 'kafka-producer', check: () => (publisher.isConnected ? null : 'producer not connected to Kafka') });
  return { publisher, components: [{ name: 'ingest-producer', start: () => publisher.start(), stop: () => publisher.stop() }] };
}
