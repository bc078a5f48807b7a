// Standalone aggregator (scaled mode): Kafka → ClickHouse, one replica per process; replicas
// share the partitions through the consumer group. `tsx services/aggregator/src/main.ts`
import { createKafka, ensureTopics, schemaRegistryFromEnv, topicNames } from '@switchboard/kafka';
import { HttpServer, Lifecycle, commonEnvSchema, createLogger, createMetricsRegistry, parseEnv } from '@switchboard/service-kit';
import { StoreComponent, businessConfigEnvSchema, loadBusinessConfigFiles, storeTargetFromEnv } from '@switchboard/warehouse';
import { Aggregator } from './aggregator';
import { aggregatorConfig, aggregatorEnvSchema } from './config';

const env = parseEnv(commonEnvSchema.merge(aggregatorEnvSchema).merge(businessConfigEnvSchema));
// calendars and SLA policies of the files: a bad file stops the start, naming every problem
const files = loadBusinessConfigFiles(env, env.DEFAULT_TENANT);
const log = createLogger('aggregator', env.LOG_LEVEL);
const metrics = createMetricsRegistry();
const topics = topicNames(env.KAFKA_TOPIC_PREFIX);
const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'switchboard-aggregator' }, log);
const http = new HttpServer({ corsOrigins: env.CORS_ORIGINS, title: 'Switchboard aggregator service', host: env.HOST, port: env.PORT, log, metrics, accessLogSampleRate: env.ACCESS_LOG_SAMPLE_RATE });
const lifecycle = new Lifecycle(log, () => http.drain());
lifecycle.handleSignals();
const storeComponent = new StoreComponent(storeTargetFromEnv(env, env.SWITCHBOARD_STATE), log);
await lifecycle.start([
  storeComponent,
  { name: 'kafka-topics', start: () => ensureTopics(kafka, topics, { eventPartitions: env.KAFKA_EVENT_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR }), stop: async () => undefined },
]);
const aggregator = new Aggregator({ kafka, store: storeComponent.store, log, metrics, config: aggregatorConfig(env, topics), registry: schemaRegistryFromEnv(env), businessConfig: { files, refreshMs: env.BUSINESS_CONFIG_REFRESH_MS } });
http.addReadinessCheck({ name: 'consumer', check: () => (aggregator.consumer.isRunning ? null : 'consumer not running') });
// HTTP (health, metrics) first so the orchestrator sees the process; stopping reverses it.
await lifecycle.start([{ name: 'http', start: () => http.start(), stop: () => http.stop() }, ...aggregator.components()]);
log.info({ url: http.url }, 'aggregator running');
