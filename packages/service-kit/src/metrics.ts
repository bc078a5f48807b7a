import { Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, passed to whoever records; no prom-client global state. */
export function createMetricsRegistry(prefix = 'switchboard_'): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return registry;
}
