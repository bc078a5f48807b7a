import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Aggregator, aggregatorConfig, aggregatorEnvSchema } from '@switchboard/aggregator';
import { alerterConfig, alerterEnvSchema, createAlerter, type Alerter } from '@switchboard/alerter';
import { createIngest, ingestConfig, ingestEnvSchema } from '@switchboard/ingest';
import { createKafka, ensureTopics, schemaRegistryFromEnv, topicNames } from '@switchboard/kafka';
import { createQuery, queryConfig, queryEnvSchema } from '@switchboard/query';
import { HttpServer, Lifecycle, commonEnvSchema, createMetricsRegistry, tenantResolverFromEnv, type Component } from '@switchboard/service-kit';
import { BiListener, biConfig, biEnvSchema, type BiConfig, type BiEnv } from '@switchboard/store-host';
import { StoreComponent, businessConfigEnvSchema, loadBusinessConfigFiles, storeTargetFromEnv, type Store } from '@switchboard/warehouse';
import type { z } from 'zod';

export const singleNodeEnvSchema = commonEnvSchema.merge(aggregatorEnvSchema).merge(alerterEnvSchema).merge(businessConfigEnvSchema).merge(ingestEnvSchema).merge(queryEnvSchema);
export type SingleNodeEnv = z.infer<typeof singleNodeEnvSchema>;
/** The node's variables with its BI listener's (docs/bi.md); main.ts adds its extras and refineBiEnv. */
export const singleNodeBiEnvSchema = singleNodeEnvSchema.extend(biEnvSchema.shape);

export interface SingleNode {
  http: HttpServer;
  store: Store;
  aggregator: Aggregator;
  alerter: Alerter;
  metrics: Registry;
  lifecycle: Lifecycle;
  stop(): Promise<void>;
}

/**
 * Ingest, aggregator, query and alerter in one process over one store: the default of `npm start`,
 * and the shape the integration tests drive. Start order is store → Kafka topics → writers →
 * consumers → HTTP; the lifecycle stops in reverse, so HTTP intake closes first and the store
 * closes last, after every writer has flushed.
 */
export async function startSingleNode(env: SingleNodeEnv, log: Logger, extra: Component[] = []): Promise<SingleNode> {
  const tenantOf = tenantResolverFromEnv(env);
  const metrics = createMetricsRegistry();
  const http = new HttpServer({ corsOrigins: env.CORS_ORIGINS, title: 'Switchboard (single node: ingest, query, aggregator, alerter)', host: env.HOST, port: env.PORT, log, metrics, bodyLimitBytes: env.MAX_BODY_BYTES, accessLogSampleRate: env.ACCESS_LOG_SAMPLE_RATE });
  const lifecycle = new Lifecycle(log, () => http.drain());
  const topics = topicNames(env.KAFKA_TOPIC_PREFIX);
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'switchboard-node' }, log);
  const registry = schemaRegistryFromEnv(env);
  const storeComponent = new StoreComponent(storeTargetFromEnv(env, env.SWITCHBOARD_STATE), log);
  await lifecycle.start([
    storeComponent,
    { name: 'kafka-topics', start: () => ensureTopics(kafka, topics, { eventPartitions: env.KAFKA_EVENT_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR }), stop: async () => undefined },
  ]);
  const ingest = createIngest({ kafka, http, log, metrics, tenantOf, topics, config: ingestConfig(env), registry });
  // calendars and SLA policies of the files (a bad file stops the start, naming every problem);
  // the aggregator's book serves the API and /v1/realtime too, so a change over HTTP reaches
  // the next flush
  const files = loadBusinessConfigFiles(env, env.DEFAULT_TENANT);
  const aggregator = new Aggregator({ kafka, store: storeComponent.store, log, metrics, config: aggregatorConfig(env, topics), registry, businessConfig: { files, refreshMs: env.BUSINESS_CONFIG_REFRESH_MS } });
  createQuery({ store: storeComponent.store, http, metrics, tenantOf, config: queryConfig(env), businessConfig: { book: aggregator.book } });
  http.addReadinessCheck({ name: 'aggregator', check: () => (aggregator.consumer.isRunning ? null : 'consumer not running') });
  // alert links point at this node's own /v1/kpis
  const alerter = createAlerter({ kafka, store: storeComponent.store, http, log, metrics, tenantOf, config: alerterConfig(env, topics.alerts, () => http.url), businessConfig: { book: aggregator.book } });
  await lifecycle.start([
    ...ingest.components,
    ...aggregator.components(),
    ...alerter.components(),
    { name: 'http', start: () => http.start(), stop: () => http.stop() },
    ...extra,
  ]);
  return { http, store: storeComponent.store, aggregator, alerter, metrics, lifecycle, stop: () => lifecycle.stop() };
}

export interface NodeBi {
  listener: BiListener;
  config: BiConfig;
  component: Component;
}

/**
 * The read-only ClickHouse HTTP listener for BI tools over the node's own embedded store
 * (docs/bi.md), or null: turned off, or the store is a ClickHouse server (BI tools connect to
 * that server, with the per-tenant users of `npm run bi-user`). Started after the node (pass
 * `component` as an extra), so BI statements never hold up the pipeline's start.
 */
export function createNodeBi(env: SingleNodeEnv & BiEnv, log: Logger): NodeBi | null {
  const target = storeTargetFromEnv(env, env.SWITCHBOARD_STATE);
  if (env.BI_ENABLED !== '1' || target.kind !== 'embedded') return null;
  const config = biConfig(env, env.SWITCHBOARD_STATE, target.path);
  const listener = new BiListener(config, log);
  return { listener, config, component: { name: 'bi', start: () => listener.start(), stop: () => listener.stop() } };
}
