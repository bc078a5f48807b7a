// Standalone ingest (scaled mode): HTTP → Kafka. `tsx services/ingest/src/main.ts`
import { createKafka, ensureTopics, schemaRegistryFromEnv, topicNames } from '@switchboard/kafka';
import { HttpServer, Lifecycle, commonEnvSchema, createLogger, createMetricsRegistry, parseEnv, tenantResolverFromEnv } from '@switchboard/service-kit';
import { createIngest, ingestConfig, ingestEnvSchema } from './service';

const env = parseEnv(commonEnvSchema.merge(ingestEnvSchema));
const log = createLogger('ingest', env.LOG_LEVEL);
const metrics = createMetricsRegistry();
const topics = topicNames(env.KAFKA_TOPIC_PREFIX);
const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'switchboard-ingest' }, log);
const http = new HttpServer({ corsOrigins: env.CORS_ORIGINS, title: 'Switchboard ingest service', host: env.HOST, port: env.PORT, log, metrics, bodyLimitBytes: env.MAX_BODY_BYTES, accessLogSampleRate: env.ACCESS_LOG_SAMPLE_RATE });
const lifecycle = new Lifecycle(log, () => http.drain());
lifecycle.handleSignals();
const ingest = createIngest({ kafka, http, log, metrics, tenantOf: tenantResolverFromEnv(env), topics, config: ingestConfig(env), registry: schemaRegistryFromEnv(env) });
await lifecycle.start([
  { name: 'kafka-topics', start: () => ensureTopics(kafka, topics, { eventPartitions: env.KAFKA_EVENT_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR }), stop: async () => undefined },
  ...ingest.components,
  { name: 'http', start: () => http.start(), stop: () => http.stop() },
]);
log.info({ url: http.url }, 'ingest listening');
