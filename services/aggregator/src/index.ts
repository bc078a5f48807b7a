// The aggregator service's public surface: the component a process runs and its config.
export { Aggregator, type AggregatorConfig, type AggregatorDeps } from './aggregator';
export { aggregatorConfig, aggregatorEnvSchema } from './config';
