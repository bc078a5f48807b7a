import { Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, passed to whoever records; no prom-client global state. */
export function createMetricsRegistry(prefix = 'switchboard_'): Registry {
  const registry = new Registry();
  // the event-loop-delay histogram samples every 100 ms instead of prom-client's 10 ms: a
  // timer waking the process 100 times a second cost ~0.003 cores of an idle single node
  collectDefaultMetrics({ register: registry, prefix, eventLoopMonitoringPrecision: 100 });
  return registry;
}
