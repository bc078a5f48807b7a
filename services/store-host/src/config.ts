import { join } from 'node:path';
import { z } from 'zod';
import { portSchema, stateDirSchema } from '@switchboard/service-kit';

/** 127.0.0.0/8, ::1 and `localhost`: only processes on this machine can connect. */
export const isLoopbackHost = (host: string): boolean => host === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(host) || host === '::1' || host === '[::1]';

export const storeHostEnvSchema = z.object({
  HOST: z.string().default('127.0.0.1').describe('listener address; beyond loopback STORE_HOST_PASSWORD is required'),
  /** ClickHouse's own HTTP port, so CLICKHOUSE_URL=http://127.0.0.1:8123 reads as it would for a server */
  PORT: portSchema(8123).describe('listener port: ClickHouse’s own HTTP port'),
  SWITCHBOARD_STATE: stateDirSchema.describe('state directory; the data directory defaults to <SWITCHBOARD_STATE>/chdb'),
  /** the embedded engine's data directory; default <SWITCHBOARD_STATE>/chdb, the one embedded mode uses */
  STORE_HOST_DATA_DIR: z.string().min(1).optional().describe('the engine’s data directory; default <SWITCHBOARD_STATE>/chdb, the one embedded mode uses'),
  /** statements the engine runs at once; more wait their turn (a 2-core machine gains nothing past a few) */
  STORE_HOST_MAX_RUNNING: z.coerce.number().int().min(1).max(256).default(8).describe('statements run at once; the rest wait their turn'),
  /** request body limit (INSERT data is held in memory: the engine takes it as one buffer) */
  STORE_HOST_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(256 * 1024 * 1024).describe('request body limit (INSERT data is held in memory)'),
  /** the one user clients authenticate as (ClickHouse's `default`, no password, unless set) */
  STORE_HOST_USER: z.string().min(1).default('default').describe('the one user clients authenticate as'),
  STORE_HOST_PASSWORD: z.string().default('').describe('its password; may be empty only while HOST is a loopback address'),
  /** every statement is a request here (each write and read of the services behind it): errors only by default */
  ACCESS_LOG_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0).describe('share of 1xx–3xx answers written to the access log (each statement is one request); 4xx and 5xx are always logged'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino level'),
}).superRefine((env, ctx) => {
  // the store's SQL interface open to a network with no password would give that network every tenant's data
  if (!isLoopbackHost(env.HOST) && !env.STORE_HOST_PASSWORD) {
    ctx.addIssue({ code: 'custom', path: ['STORE_HOST_PASSWORD'], message: `required when HOST (${env.HOST}) is not a loopback address` });
  }
});
export type StoreHostEnv = z.infer<typeof storeHostEnvSchema>;


export interface StoreHostConfig {
  host: string;
  port: number;
  dataDir: string;
  maxRunning: number;
  maxBodyBytes: number;
  user: string;
  password: string;
  /** ACCESS_LOG_SAMPLE_RATE (0 when absent) */
  accessLogSampleRate?: number;
}

export function storeHostConfig(env: StoreHostEnv): StoreHostConfig {
  return {
    host: env.HOST,
    port: env.PORT,
    dataDir: env.STORE_HOST_DATA_DIR ?? join(env.SWITCHBOARD_STATE, 'chdb'),
    maxRunning: env.STORE_HOST_MAX_RUNNING,
    maxBodyBytes: env.STORE_HOST_MAX_BODY_BYTES,
    user: env.STORE_HOST_USER,
    password: env.STORE_HOST_PASSWORD,
    accessLogSampleRate: env.ACCESS_LOG_SAMPLE_RATE,
  };
}
