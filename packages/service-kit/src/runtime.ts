import { z } from 'zod';
import { brokersSchema, portSchema, stateDirSchema } from './config';

/** Variables every service reads, with the same names in docker-compose and single-node mode. */
export const commonEnvSchema = z.object({
  KAFKA_BROKERS: brokersSchema.describe('comma-separated bootstrap servers'),
  KAFKA_EVENT_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(6).describe('partitions of contact-events.v1 when the topic is created (partitions are the unit of aggregator parallelism)'),
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/).default('').describe('prefix of every topic name, so environments and test runs can share a cluster'),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(5).default(1).describe('replication factor of the topics when created'),
  CLICKHOUSE_URL: z.string().url().optional().describe('ClickHouse server (or the store host) over HTTP; unset: embedded chDB under <SWITCHBOARD_STATE>/chdb'),
  CLICKHOUSE_USER: z.string().optional().describe('user for CLICKHOUSE_URL'),
  CLICKHOUSE_PASSWORD: z.string().optional().describe('password for CLICKHOUSE_URL'),
  CLICKHOUSE_DATABASE: z.string().optional().describe('database for CLICKHOUSE_URL'),
  SWITCHBOARD_STATE: stateDirSchema.describe('broker data, embedded ClickHouse data, logs, backfill checkpoints'),
  HOST: z.string().default('127.0.0.1').describe('HTTP listener address'),
  PORT: portSchema(8080).describe('HTTP listener port (single node: ingest, query and alerter share it)'),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024).describe('request body limit; POST /v1/events answers 413 above it'),
  DEFAULT_TENANT: z.string().default('demo').describe('tenant when no X-Tenant-Id is sent (auth off), and of file alert rules without one'),
  /** off: X-Tenant-Id names the tenant (local single-node); api_key: keys bound to one tenant */
  AUTH_MODE: z.enum(['off', 'api_key']).default('off').describe('off: X-Tenant-Id names the tenant; api_key: every request needs an API key bound to one tenant'),
  API_KEYS_FILE: z.string().optional().describe('JSON list of {tenant, sha256, name}, read again within a second of a change (revocation); `npm run api-key -- --tenant acme` adds one'),
  CORS_ORIGINS: z.string().default('').transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .refine((list) => list.every((o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o)), 'each must be an origin (scheme://host[:port], no path) or *')
    .describe('comma-separated origins whose web pages may call the API (e.g. https://bi.example.com), or * for any; empty: no CORS headers'),
  ACCESS_LOG_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(1).describe('share of 1xx–3xx HTTP answers written to the access log (one line each: method, route, status, ms); 4xx and 5xx are always logged'),
  SCHEMA_REGISTRY_URL: z.string().url().optional().describe('Confluent-compatible schema registry API (e.g. Apicurio’s http://host:8080/apis/ccompat/v7): producers register the event schema under <topic>-value and write the Confluent wire format; consumers look up unknown schema ids there. Unset: Avro single-object encoding (docs/events.md)'),
  SCHEMA_REGISTRY_USERNAME: z.string().optional().describe('basic-auth user for SCHEMA_REGISTRY_URL'),
  SCHEMA_REGISTRY_PASSWORD: z.string().optional().describe('basic-auth password for SCHEMA_REGISTRY_URL'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino level'),
});
export type CommonEnv = z.infer<typeof commonEnvSchema>;
