import { z } from 'zod';
import { DEFAULT_LOOKBACK_H, MAX_LOOKBACK_H, REALTIME_DIMENSIONS, type RealtimeDimension, type RealtimeQuery } from '@switchboard/warehouse';
import { BadQuery, joinRepeatedLists, type ParamProblem } from './params';

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
});


/** Turns /v1/realtime query parameters into a typed query, or every problem found with them (BadQuery → 400). */
export function parseRealtimeQuery(input: Record<string, unknown>, now: number): RealtimeQuery {
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
  return { at: now, lookbackH: parsed.data!.lookback_h, groupBy, filters };
}
