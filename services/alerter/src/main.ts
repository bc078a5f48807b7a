// Standalone alerter (scaled mode): rules over ClickHouse KPIs → alerts.v1, alert_events,
// webhooks. Replicas elect one evaluator through a Kafka consumer group. `tsx services/alerter/src/main.ts`
import { createKafka, ensureTopics, topicNames } from '@switchboard/kafka';
import { HttpServer, Lifecycle, commonEnvSchema, createLogger, createMetricsRegistry, parseEnv, tenantResolverFromEnv } from '@switchboard/service-kit';
import { StoreComponent, businessConfigEnvSchema, loadBusinessConfigFiles, storeTargetFromEnv } from '@switchboard/warehouse';
import { alerterConfig, alerterEnvSchema } from './config';
import { createAlerter } from './service';

const env = parseEnv(commonEnvSchema.merge(alerterEnvSchema).merge(businessConfigEnvSchema));
const log = createLogger('alerter', env.LOG_LEVEL);
const metrics = createMetricsRegistry();
const topics = topicNames(env.KAFKA_TOPIC_PREFIX);
const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'switchboard-alerter' }, log);
const http = new HttpServer({ corsOrigins: env.CORS_ORIGINS, title: 'Switchboard alerter service', host: env.HOST, port: env.PORT, log, metrics, accessLogSampleRate: env.ACCESS_LOG_SAMPLE_RATE });
const lifecycle = new Lifecycle(log, () => http.drain());
lifecycle.handleSignals();
const storeComponent = new StoreComponent(storeTargetFromEnv(env, env.SWITCHBOARD_STATE), log);
await lifecycle.start([
  storeComponent,
  { name: 'kafka-topics', start: () => ensureTopics(kafka, topics, { eventPartitions: env.KAFKA_EVENT_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR }), stop: async () => undefined },
]);
const host = env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST;
const alerter = createAlerter({
  kafka, store: storeComponent.store, http, log, metrics, tenantOf: tenantResolverFromEnv(env),
  config: alerterConfig(env, topics.alerts, `http://${host}:${env.PORT}`),
  businessConfig: { files: loadBusinessConfigFiles(env, env.DEFAULT_TENANT) },
});
await lifecycle.start([...alerter.components(), { name: 'http', start: () => http.start(), stop: () => http.stop() }]);
log.info({ url: http.url }, 'alerter running');
