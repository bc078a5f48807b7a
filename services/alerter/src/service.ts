import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { HttpServer, TenantResolver } from '@switchboard/service-kit';
import { BusinessConfigBook, BusinessConfigStore, type BusinessConfigFiles, type Store } from '@switchboard/warehouse';
import { Alerter, type AlerterConfig } from './alerter';
import { registerBusinessRoutes } from './business-routes';
import { registerAlerterRoutes } from './routes';
import { registerTargetRoutes } from './targets';
import { alerterOpenApi } from './openapi';

export interface CreateAlerterDeps {
  kafka: Kafka;
  store: Store;
  http: HttpServer;
  log: Logger;
  metrics: Registry;
  tenantOf: TenantResolver;
  config: AlerterConfig;
  now?: () => number;
  schedule?: boolean;
  /**
   * calendars and SLA policies (/v1/calendars, /v1/sla-policies): the book to serve and keep
   * current — the aggregator's, when both run in one process, so a change reaches its next
   * flush — or the files to build one from
   */
  businessConfig?: { book: BusinessConfigBook } | { files: BusinessConfigFiles };
}

/**
 * The alerter on a process's HTTP server: routes (/v1/alert-rules, /v1/alerts, /v1/targets,
 * /v1/goals, /v1/calendars, /v1/sla-policies) and a readiness check. The caller starts `alerter.components()` in its lifecycle,
 * after the store and before HTTP.
 */
export function createAlerter(deps: CreateAlerterDeps): Alerter {
  const alerter = new Alerter({ kafka: deps.kafka, store: deps.store, log: deps.log, metrics: deps.metrics, config: deps.config, now: deps.now, schedule: deps.schedule });
  deps.http.describe(alerterOpenApi());
  registerAlerterRoutes(deps.http.app, { alerter, tenantOf: deps.tenantOf });
  registerTargetRoutes(deps.http.app, { client: deps.store.client, alerts: alerter.alerts, tenantOf: deps.tenantOf, now: deps.now });
  const bc = deps.businessConfig;
  const book = bc && 'book' in bc ? bc.book : new BusinessConfigBook({ client: deps.store.client, files: bc?.files, minIntervalMs: 0 });
  registerBusinessRoutes(deps.http.app, { book, store: new BusinessConfigStore(deps.store.client), tenantOf: deps.tenantOf, now: deps.now });
  // a standby replica (not the leader) is ready too: it serves the API
  deps.http.addReadinessCheck({ name: 'alerter', check: () => (alerter.leadership.isRunning ? null : 'alerter group not joined') });
  return alerter;
}
