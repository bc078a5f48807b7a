import { z } from 'zod';
import { brokersSchema, portSchema, stateDirSchema } from './config';

/** Variables every service reads, with the same names in docker-compose and single-node mode. */
export const commonEnvSchema = z.object({
  KAFKA_BROKERS: brokersSchema,
  KAFKA_EVENT_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(6),
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/).default(''),
  KAFKA_REPLICATION_FACTOR: z.coerce.number().int().min(1).max(5).default(1),
  CLICKHOUSE_URL: z.string().url().optional(),
  CLICKHOUSE_USER: z.string().optional(),
  CLICKHOUSE_PASSWORD: z.string().optional(),
  CLICKHOUSE_DATABASE: z.string().optional(),
  SWITCHBOARD_STATE: stateDirSchema,
  HOST: z.string().default('127.0.0.1'),
  PORT: portSchema(8080),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(5 * 1024 * 1024),
  DEFAULT_TENANT: z.string().default('demo'),
  /** off: X-Tenant-Id names the tenant (local single-node); api_key: keys bound to one tenant */
  AUTH_MODE: z.enum(['off', 'api_key']).default('off'),
  API_KEYS_FILE: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type CommonEnv = z.infer<typeof commonEnvSchema>;
