// The aggregator service's public surface: the component a process runs, its config, and the
// dead-letter tools the CLI and the single-node composition use.
export { Aggregator, type AggregatorConfig, type AggregatorDeps } from './aggregator';
export { aggregatorConfig, aggregatorEnvSchema } from './config';
export { readDlq, replayDlq, type DeadLetterRecord } from './dlq-tools';
