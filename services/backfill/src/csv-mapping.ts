import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { JSON_EVENT_FIELDS } from '@switchboard/events';

const NUMERIC = new Set(['wait_ms', 'response_ms', 'talk_ms', 'hold_ms', 'acw_ms', 'handle_ms', 'resolution_ms', 'score', 'scale_min', 'scale_max', 'max_score', 'previous_state_ms', 'amount_minor']);
const BOOLEAN = new Set(['first_response']);
const MAPPABLE = JSON_EVENT_FIELDS.filter((f) => f !== 'attributes' && f !== 'tenant_id');

const column = z.union([
  z.string().min(1),
  z.strictObject({
    column: z.string().min(1),
    /** multiply a number by this (seconds → ms: 1000) */
    scale: z.number().positive().optional(),
    /** replace a CSV value by a normalized one (vendor codes → event types or channels) */
    values: z.record(z.string(), z.string()).optional(),
  }),
]);

export const csvMappingSchema = z.strictObject({
  /** normalized field → the CSV column it comes from */
  fields: z.record(z.string(), column).superRefine((fields, ctx) => {
    for (const f of Object.keys(fields)) if (!MAPPABLE.includes(f)) ctx.addIssue({ code: 'custom', path: [f], message: `not a field of the contact event (one of ${MAPPABLE.join(', ')})` });
    for (const f of ['contact_id', 'type', 'occurred_at']) if (!(f in fields)) ctx.addIssue({ code: 'custom', path: [f], message: 'must be mapped' });
  }),
  /** values for fields the file does not carry (e.g. channel: voice) */
  defaults: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /** CSV columns copied into the event's attributes under their own names */
  attributes: z.array(z.string()).optional(),
  delimiter: z.string().length(1).optional(),
});
export type CsvMapping = z.infer<typeof csvMappingSchema>;

export function loadCsvMapping(path: string): CsvMapping {
  const text = readFileSync(path, 'utf8');
  const raw: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  const parsed = csvMappingSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`invalid CSV mapping ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export class CsvRowError extends Error {}

/**
 * One CSV row (header → value) → the flat JSON event of docs/api.md, "POST /v1/events", which then goes through the
 * same validation as POST /v1/events. Empty cells are absent values. Without an event_id
 * column the id is a hash of the tenant and the row, so loading the file twice, or a file that
 * overlaps an earlier one, gives the same ids.
 */
export function csvRowToEvent(row: Record<string, string>, mapping: CsvMapping, tenant: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...mapping.defaults };
  for (const [field, spec] of Object.entries(mapping.fields)) {
    const col = typeof spec === 'string' ? spec : spec.column;
    if (!(col in row)) throw new CsvRowError(`column "${col}" (mapped to ${field}) is not in the file`);
    let v: string = row[col]!.trim();
    if (v === '') continue;
    if (typeof spec !== 'string' && spec.values) v = spec.values[v] ?? v;
    if (NUMERIC.has(field) || (field === 'occurred_at' && /^\d+(\.\d+)?$/.test(v))) {
      const n = Number(v) * (typeof spec !== 'string' && spec.scale ? spec.scale : 1);
      if (!Number.isFinite(n)) throw new CsvRowError(`${field}: "${row[col]}" in column "${col}" is not a number`);
      out[field] = field.endsWith('_ms') || field === 'occurred_at' || field === 'amount_minor' ? Math.round(n) : n;
    } else if (BOOLEAN.has(field)) {
      out[field] = /^(true|1|yes|y)$/i.test(v);
    } else out[field] = v;
  }
  if (mapping.attributes) {
    const attrs: Record<string, string> = {};
    for (const a of mapping.attributes) if (row[a] !== undefined && row[a] !== '') attrs[a] = row[a]!;
    out.attributes = attrs;
  }
  if (out.event_id === undefined) {
    const h = createHash('sha256').update(tenant);
    for (const k of Object.keys(row).sort()) h.update(`\u0000${k}\u0001${row[k]}`);
    out.event_id = `csv:${h.digest('hex').slice(0, 32)}`;
  }
  out.source ??= 'csv';
  return out;
}
