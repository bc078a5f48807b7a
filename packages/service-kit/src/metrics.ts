import { Registry, collectDefaultMetrics, type Metric } from 'prom-client';

/**
 * One registry per process, passed to whoever records; no prom-client global state. Node's
 * process metrics (CPU, memory, handles, GC, event-loop delay) keep their standard names
 * (`process_*`, `nodejs_*`), so the dashboards and alerts written for any Node service apply;
 * Switchboard's own metrics are named `switchboard_*` (docs/operations.md).
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  // the event-loop-delay histogram samples every 100 ms instead of prom-client's 10 ms: a
  // timer waking the process 100 times a second cost ~0.003 cores of an idle single node
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  return registry;
}

/**
 * The metric of that name in the registry, or the one `create` registers: components that
 * share a registry (two HTTP servers of a test, the ingest and aggregator DLQ publishers of
 * one node) count into one series instead of failing on a duplicate name.
 */
export function sharedMetric<M extends Metric>(registry: Registry, name: string, create: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? create();
}
