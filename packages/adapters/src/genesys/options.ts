// Genesys identifies queues and wrap-up codes by UUID in both feeds; only the detail record
// carries a queue's name (as the acd participant's participantName), the detail events never
// do. Using the id in both keeps one queue one dimension value whichever feed a fact came
// from; a tenant that wants readable names maps them here, and the map applies to both feeds.
import type { MapContext } from '../common';

export interface GenesysOptions {
  /** queueId → readable queue name, for queue_id */
  queueNames: ReadonlyMap<string, string>;
  /** wrap-up code id → readable code, for resolution_code */
  wrapupCodeNames: ReadonlyMap<string, string>;
}

function stringMap(value: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (typeof v === 'string' && v.trim() !== '') out.set(k, v);
  }
  return out;
}

const cache = new WeakMap<object, GenesysOptions>();
const NONE: GenesysOptions = { queueNames: new Map(), wrapupCodeNames: new Map() };

export function genesysOptions(ctx: MapContext): GenesysOptions {
  const o = ctx.options;
  if (!o) return NONE;
  let parsed = cache.get(o);
  if (!parsed) {
    parsed = { queueNames: stringMap(o.queueNames), wrapupCodeNames: stringMap(o.wrapupCodeNames) };
    cache.set(o, parsed);
  }
  return parsed;
}

export function queueName(opts: GenesysOptions, queueId: string | null): string | null {
  return queueId === null ? null : opts.queueNames.get(queueId) ?? queueId;
}

export function wrapupName(opts: GenesysOptions, code: string | null): string | null {
  return code === null ? null : opts.wrapupCodeNames.get(code) ?? code;
}
