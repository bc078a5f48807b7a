import { SchemaRegistryClient } from '@switchboard/events';

/** The SCHEMA_REGISTRY_* variables every producing or consuming process reads (docs/configuration.md). */
export interface SchemaRegistryEnv {
  SCHEMA_REGISTRY_URL?: string | undefined;
  SCHEMA_REGISTRY_USERNAME?: string | undefined;
  SCHEMA_REGISTRY_PASSWORD?: string | undefined;
}

/** The registry client when SCHEMA_REGISTRY_URL is set; null means Avro single-object encoding (docs/events.md). */
export function schemaRegistryFromEnv(env: SchemaRegistryEnv): SchemaRegistryClient | null {
  if (!env.SCHEMA_REGISTRY_URL) return null;
  return new SchemaRegistryClient({
    url: env.SCHEMA_REGISTRY_URL,
    ...(env.SCHEMA_REGISTRY_USERNAME !== undefined ? { username: env.SCHEMA_REGISTRY_USERNAME } : {}),
    ...(env.SCHEMA_REGISTRY_PASSWORD !== undefined ? { password: env.SCHEMA_REGISTRY_PASSWORD } : {}),
  });
}
