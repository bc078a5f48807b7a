// The ingest service's public surface: the service single-node runs (event and adapter routes
// publishing to Kafka) and its config.

// the service and its config
export { createIngest, ingestConfig, ingestEnvSchema } from './service';
export { ingestOpenApi } from './openapi';
