import { z } from 'zod';

/** Variables of the standalone simulator (`tsx services/simulator/src/main.ts`), beside the common ones. */
export const simulatorEnvSchema = z.object({
  SIMULATOR_SINK: z.enum(['http', 'kafka']).default('http').describe('http: POST to ingest at SIMULATOR_TARGET; kafka: publish straight to contact-events.v1'),
  SIMULATOR_TARGET: z.string().url().default('http://127.0.0.1:8080').describe('the ingest service the http sink posts to'),
  SIMULATOR_EPS: z.coerce.number().positive().default(500).describe('events per second'),
  SIMULATOR_SEED: z.string().optional().describe('seed of the deterministic generator'),
  SIMULATOR_QUEUES: z.coerce.number().int().min(1).max(500).default(5).describe('queues to generate traffic for'),
  /** stop by itself after this many seconds (0 = run until SIGTERM) */
  SIMULATOR_DURATION_S: z.coerce.number().nonnegative().default(0).describe('stop by itself after this many seconds; 0 runs until SIGTERM'),
  SIMULATOR_BATCH: z.coerce.number().int().min(1).default(500).describe('at most this many events per ingest request or Kafka send'),
  SIMULATOR_PRIORITIES: z.enum(['0', '1']).default('0').describe('1: tickets (every channel but voice) carry a priority, low/normal/high/urgent (docs/sla.md)'),
});
