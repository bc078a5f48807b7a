// Standalone query service (scaled mode): ClickHouse → HTTP. `tsx services/query/src/main.ts`
import { HttpServer, Lifecycle, commonEnvSchema, createLogger, createMetricsRegistry, parseEnv, tenantResolverFromEnv } from '@switchboard/service-kit';
import { StoreComponent, businessConfigEnvSchema, loadBusinessConfigFiles, storeTargetFromEnv } from '@switchboard/warehouse';
import { createQuery } from './service';
import { queryConfig, queryEnvSchema } from './config';

const env = parseEnv(commonEnvSchema.merge(queryEnvSchema).merge(businessConfigEnvSchema));
const log = createLogger('query', env.LOG_LEVEL);
const metrics = createMetricsRegistry();
const http = new HttpServer({ corsOrigins: env.CORS_ORIGINS, title: 'Switchboard query service', host: env.HOST, port: env.PORT, log, metrics, accessLogSampleRate: env.ACCESS_LOG_SAMPLE_RATE });
const lifecycle = new Lifecycle(log, () => http.drain());
lifecycle.handleSignals();
const storeComponent = new StoreComponent(storeTargetFromEnv(env, env.SWITCHBOARD_STATE), log);
await lifecycle.start([storeComponent]);
createQuery({
  store: storeComponent.store, http, metrics, tenantOf: tenantResolverFromEnv(env), config: queryConfig(env),
  businessConfig: { files: loadBusinessConfigFiles(env, env.DEFAULT_TENANT), refreshMs: env.BUSINESS_CONFIG_REFRESH_MS },
});
await lifecycle.start([{ name: 'http', start: () => http.start(), stop: () => http.stop() }]);
log.info({ url: http.url }, 'query listening');
