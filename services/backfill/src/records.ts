import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** One record read from a file, with how far into the file it ends (for the progress bar). */
export interface SourceRecord {
  index: number;
  value: unknown;
  /** bytes of the file consumed once this record is read */
  bytes: number;
  /** a record that is not valid JSON: kept so it can be reported and dead-lettered */
  error?: string;
  raw?: string;
}

/** Arrays a vendor export wraps its records in (Genesys jobs, Zendesk exports, Firehose envelopes). */
const WRAPPER_KEYS = ['conversations', 'audits', 'ticket_metric_events', 'satisfaction_ratings', 'records', 'events', 'data', 'items'];

/**
 * Splits a line holding several concatenated JSON values (Firehose writes CTRs to S3 back to
 * back, `}{`, unless told to add newlines) at the top-level boundaries; strings are skipped
 * so a brace inside one does not count.
 */
export function splitConcatenatedJson(line: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0 && start >= 0) {
        out.push(line.slice(start, i + 1));
        start = -1;
      }
    }
  }
  return out.length > 0 && depth === 0 ? out : [line];
}

function unwrap(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') {
    for (const k of WRAPPER_KEYS) {
      const inner = (value as Record<string, unknown>)[k];
      if (Array.isArray(inner)) return inner;
    }
  }
  return [value];
}

/**
 * Reads JSON records: a `.json` file as one document (an array, or an object wrapping one),
 * anything else as lines, each line one record, a JSON array of records, or concatenated values.
 */
export async function* readJsonRecords(path: string): AsyncGenerator<SourceRecord> {
  let index = 0;
  if (path.endsWith('.json')) {
    const text = readFileSync(path, 'utf8');
    const size = statSync(path).size;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      yield { index: 0, value: null, bytes: size, error: `not valid JSON: ${(err as Error).message}`, raw: text.slice(0, 10_000) };
      return;
    }
    const all = unwrap(doc);
    for (const value of all) yield { index: index++, value, bytes: Math.round((size * index) / all.length) };
    return;
  }
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let bytes = 0;
  for await (const line of lines) {
    bytes += Buffer.byteLength(line, 'utf8') + 1;
    const trimmed = line.trim();
    if (trimmed === '') continue;
    for (const piece of splitConcatenatedJson(trimmed)) {
      let value: unknown;
      try {
        value = JSON.parse(piece);
      } catch (err) {
        yield { index: index++, value: null, bytes, error: `not valid JSON: ${(err as Error).message}`, raw: piece };
        continue;
      }
      for (const v of Array.isArray(value) ? value : [value]) yield { index: index++, value: v, bytes };
    }
  }
}
