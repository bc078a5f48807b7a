import { Counter, type Registry } from 'prom-client';

/**
 * The counter of that name in the registry, or a new one: publishers that share a process's
 * registry (the ingest and the aggregator DLQ publishers of one node) count into one series.
 */
export function sharedCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  return (registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

/** Sends to Kafka that failed (no acknowledgement in time, or refused), by topic. */
export const publishErrors = (registry: Registry) =>
  sharedCounter(registry, 'switchboard_kafka_publish_errors_total', 'Kafka sends that failed (refused, or not acknowledged in time), by topic', ['topic']);
