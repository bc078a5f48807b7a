// Single-node: the composition root that runs ingest, aggregator, query and alerter in one
// process (started by main.ts). Nothing outside this service imports it, so it exports nothing;
// its tests import from './node' directly.
export {};
