// Standalone simulator: live contact-center traffic into ingest (SIMULATOR_TARGET) or straight
// into Kafka (SIMULATOR_SINK=kafka). `tsx services/simulator/src/main.ts`
import { EventPublisher, createKafka, ensureTopics, schemaRegistryFromEnv, topicNames } from '@switchboard/kafka';
import { HttpServer, Lifecycle, commonEnvSchema, createLogger, createMetricsRegistry, parseEnv, type Component } from '@switchboard/service-kit';
import { simulatorEnvSchema } from './env';
import { createSimulator } from './pace';
import { httpSink, kafkaSink } from './sinks';

const env = parseEnv(commonEnvSchema.extend(simulatorEnvSchema.shape));
const log = createLogger('simulator', env.LOG_LEVEL);
const metrics = createMetricsRegistry();
const http = new HttpServer({ corsOrigins: env.CORS_ORIGINS, title: 'Switchboard simulator service', host: env.HOST, port: env.PORT, log, metrics, accessLogSampleRate: env.ACCESS_LOG_SAMPLE_RATE });
const lifecycle = new Lifecycle(log, () => http.drain());
const components: Component[] = [];
let sink;
if (env.SIMULATOR_SINK === 'kafka') {
  const topics = topicNames(env.KAFKA_TOPIC_PREFIX);
  const kafka = createKafka({ brokers: env.KAFKA_BROKERS, clientId: 'switchboard-simulator' }, log);
  const publisher = new EventPublisher(kafka, log, topics.events, 10_000, schemaRegistryFromEnv(env));
  components.push(
    { name: 'kafka-topics', start: () => ensureTopics(kafka, topics, { eventPartitions: env.KAFKA_EVENT_PARTITIONS, replicationFactor: env.KAFKA_REPLICATION_FACTOR }), stop: async () => undefined },
    { name: 'producer', start: () => publisher.start(), stop: () => publisher.stop() },
  );
  sink = kafkaSink(publisher);
} else {
  sink = httpSink(env.SIMULATOR_TARGET, env.DEFAULT_TENANT);
}
const sim = createSimulator(
  {
    seed: env.SIMULATOR_SEED,
    tenantId: env.DEFAULT_TENANT,
    eventsPerSecond: env.SIMULATOR_EPS,
    queueCount: env.SIMULATOR_QUEUES,
    priorities: env.SIMULATOR_PRIORITIES === '1',
    batchSize: env.SIMULATOR_BATCH,
    onError: (err, info) => log.warn({ err, ...info }, 'sink failed'),
  },
  sink,
);
http.addReadinessCheck({ name: 'simulator', check: () => (sim.stats().state === 'running' ? null : sim.stats().state) });
lifecycle.handleSignals((code) => {
  console.log(JSON.stringify({ simulator: sim.stats() }));
  process.exit(code);
});
await lifecycle.start([...components, { name: 'http', start: () => http.start(), stop: () => http.stop() }, { name: 'simulator', start: () => sim.start(), stop: () => sim.stop() }]);
log.info({ url: http.url, target: env.SIMULATOR_SINK === 'kafka' ? 'kafka' : env.SIMULATOR_TARGET, eps: env.SIMULATOR_EPS }, 'simulator running');
if (env.SIMULATOR_DURATION_S > 0) {
  setTimeout(async () => {
    await lifecycle.stop();
    console.log(JSON.stringify({ simulator: sim.stats() }));
    process.exit(0);
  }, env.SIMULATOR_DURATION_S * 1000);
}
