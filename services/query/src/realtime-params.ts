import { z } from 'zod';
import { DEFAULT_LOOKBACK_H, MAX_LOOKBACK_H, REALTIME_DIMENSIONS, type RealtimeDimension, type RealtimeQuery } from '@switchboard/warehouse';
import { BadQuery, joinRepeatedLists, type ParamProblem } from './params';
import type { StaffingOptions } from './realtime-staffing';

/**
 * The scalar parameters of GET /v1/realtime (filters are `filter.<dimension>`, handled beside
 * it). Also the source of the OpenAPI document's parameters.
 */
export const realtimeParamsSchema = z.object({
  group_by: z
    .string()
    .describe(`comma-separated dimensions (${REALTIME_DIMENSIONS.join(', ')}); default queue_id; empty for one total over the tenant`)
    .optional(),
  lookback_h: z.coerce
    .number()
    .int('must be a whole number of hours')
    .min(1)
    .max(MAX_LOOKBACK_H)
    .describe('contacts, tickets and agents whose last state change is older than this many hours are not reported (a lost end event must not keep a contact queued forever)')
    .default(DEFAULT_LOOKBACK_H),
  sl_threshold_s: z.coerce.number().int('must be a whole number of seconds').min(1).max(3600).default(20)
    .describe('staffing: T of the service-level target (answered within T seconds)'),
  sl_target: z.coerce.number().gt(0).lt(1).default(0.8).describe('staffing: the share to answer within sl_threshold_s (e.g. 0.8)'),
  max_occupancy: z.coerce.number().gt(0).max(1).default(0.85).describe('staffing: the most a busy agent may be occupied'),
  shrinkage: z.coerce.number().min(0).lt(1).default(0).describe('staffing: share of paid time not on the phones (agents_required_scheduled)'),
});


/** Turns /v1/realtime query parameters into a typed query, or every problem found with them (BadQuery → 400). */
export function parseRealtimeQuery(input: Record<string, unknown>, now: number): RealtimeQuery & { staffing: StaffingOptions } {
  const problems: ParamProblem[] = [];
  const raw = joinRepeatedLists(input, ['group_by']);
  const scalar: Record<string, unknown> = {};
  const filters: RealtimeQuery['filters'] = {};
  for (const [k, v] of Object.entries(raw)) {
    if (Array.isArray(v)) {
      problems.push({ param: k, reason: 'given more than once' });
      continue;
    }
    if (k.startsWith('filter.')) {
      const d = k.slice(7);
      if (!(REALTIME_DIMENSIONS as readonly string[]).includes(d)) problems.push({ param: k, reason: `unknown dimension; one of ${REALTIME_DIMENSIONS.join(', ')}` });
      else filters[d as RealtimeDimension] = String(v).split(',').map((x) => (x === 'null' ? '' : x));
    } else if (k in realtimeParamsSchema.shape) scalar[k] = v;
    else problems.push({ param: k, reason: 'unknown parameter' });
  }
  const parsed = realtimeParamsSchema.safeParse(scalar);
  if (!parsed.success) for (const i of parsed.error.issues) problems.push({ param: i.path.join('.'), reason: i.message });

  const groupBy: RealtimeDimension[] = [];
  const gb = typeof scalar.group_by === 'string' ? scalar.group_by : undefined;
  for (const d of gb === undefined ? ['queue_id'] : gb.split(',').map((x) => x.trim()).filter(Boolean)) {
    if (!(REALTIME_DIMENSIONS as readonly string[]).includes(d)) problems.push({ param: 'group_by', reason: `unknown dimension "${d}"; one of ${REALTIME_DIMENSIONS.join(', ')}` });
    else if (!groupBy.includes(d as RealtimeDimension)) groupBy.push(d as RealtimeDimension);
  }

  if (problems.length > 0) throw new BadQuery(problems);
  const p = parsed.data!;
  return { at: now, lookbackH: p.lookback_h, groupBy, filters, staffing: { slThresholdS: p.sl_threshold_s, slTarget: p.sl_target, maxOccupancy: p.max_occupancy, shrinkage: p.shrinkage } };
}
