import type { FieldError } from '@switchboard/events';

/** What a request body holds before validation: raw items, plus lines that were not JSON at all. */
export interface ParsedBody {
  items: unknown[];
  errors: FieldError[];
  /** more lines than the limit given: nothing past it was parsed */
  tooMany?: boolean;
}

/** application/json: an array of events, or one event object. */
export function parseJsonBody(text: string): ParsedBody {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { items: [], errors: [{ index: 0, field: '', reason: `body is not valid JSON: ${(err as Error).message}` }] };
  }
  if (Array.isArray(v)) return { items: v, errors: [] };
  if (v !== null && typeof v === 'object') return { items: [v], errors: [] };
  return { items: [], errors: [{ index: 0, field: '', reason: 'body must be a JSON array of events or one event object' }] };
}

/** application/x-ndjson: one event per line; blank lines are skipped, indexes count events. */
export function parseNdjsonBody(text: string, maxItems = Infinity): ParsedBody {
  const items: unknown[] = [];
  const errors: FieldError[] = [];
  let index = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (index >= maxItems) return { items, errors, tooMany: true };
    try {
      items.push(JSON.parse(line));
    } catch (err) {
      errors.push({ index, field: '', reason: `line is not valid JSON: ${(err as Error).message}` });
      items.push(undefined);
    }
    index++;
  }
  return { items, errors };
}
