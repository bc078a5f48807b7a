import { z } from 'zod';

/** Variables `npm start`'s process reads beyond those of the services it runs: the built-in simulator and the live table. */
export const nodeExtrasEnvSchema = z.object({
  /** events/s the built-in simulator sends; 0 runs without it */
  SIMULATOR_EPS: z.coerce.number().nonnegative().default(300).describe('events/s the built-in simulator sends; 0 turns it off'),
  SIMULATOR_QUEUES: z.coerce.number().int().min(1).max(500).default(5).describe('queues the built-in simulator generates traffic for'),
  /** the simulator sends what came due this often, one ingest request each; its own default,
   *  every 50 ms, cost the node ~0.14 cores at 300 events/s (events now reach ingest ≤ 1 s late) */
  SIMULATOR_FLUSH_MS: z.coerce.number().int().min(10).max(60_000).default(1000).describe('the built-in simulator sends what came due this often, one ingest request each (every 50 ms cost the node ~0.14 cores at 300 events/s)'),
  SIMULATOR_BUSINESS: z.enum(['0', '1']).default('1').describe("1: the built-in simulator's tickets carry priorities and its queues keep business hours (the tenant's default calendar; a demo calendar and SLA policy are written when the tenant has none), docs/business-hours.md"),
  LIVE_TABLE: z.enum(['0', '1']).default('0').describe('1: the terminal shows a live per-queue KPI table and the JSON logs go to <SWITCHBOARD_STATE>/logs/single-node.log (npm start sets 1)'),
  LIVE_TABLE_INTERVAL_S: z.coerce.number().positive().default(5).describe('how often the live table is redrawn'),
});
