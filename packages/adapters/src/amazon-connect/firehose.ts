// Amazon Data Firehose's HTTP endpoint delivery: a JSON envelope whose records carry the
// source records base64-encoded. A Firehose record usually holds one Connect record (one
// Kinesis record), but record aggregation or a newline-delimiting processor can put several
// JSON documents in one, so each is split into its documents.
import { RecordError, optString } from '../common';
import { obj } from './dimensions';

export interface FirehoseRecord {
  /** position in `records` */
  index: number;
  /** the decoded JSON documents, or the reason the record could not be read */
  documents: unknown[];
  error?: string;
}

export interface FirehoseEnvelope {
  requestId: string | null;
  timestamp: number | null;
  records: FirehoseRecord[];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseEnvelope(rawBody: string, contentEncoding: string | undefined): FirehoseEnvelope {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    const gz = contentEncoding?.toLowerCase().includes('gzip');
    throw new RecordError(gz
      ? 'body is GZIP-compressed: turn off content encoding on the Firehose HTTP endpoint destination (or decompress in front of Switchboard)'
      : 'body is not JSON (expected the Firehose envelope {requestId, timestamp, records})');
  }
  const b = obj(body);
  if (b === null || !Array.isArray(b.records)) throw new RecordError('records: required (the Firehose envelope {requestId, timestamp, records})');
  return {
    requestId: optString(b.requestId),
    timestamp: typeof b.timestamp === 'number' ? b.timestamp : null,
    records: b.records.map((r, index) => decodeRecord(r, index)),
  };
}

function decodeRecord(r: unknown, index: number): FirehoseRecord {
  const data = obj(r)?.data;
  if (typeof data !== 'string') return { index, documents: [], error: `records[${index}].data: required (base64 string)` };
  const compact = data.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.length % 4 === 1) return { index, documents: [], error: `records[${index}].data: not base64` };
  const text = Buffer.from(compact, 'base64').toString('utf8');
  try {
    return { index, documents: splitJsonDocuments(text) };
  } catch (err) {
    return { index, documents: [], error: `records[${index}].data: ${(err as Error).message}` };
  }
}

/**
 * The JSON documents in `text`, whether newline-separated or simply concatenated ("}{"), as
 * Firehose and the Kinesis Producer Library both produce. Top-level arrays are flattened.
 */
export function splitJsonDocuments(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === '\\') escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      if (depth === 0) throw new Error(`unexpected text at offset ${i}`);
      inString = true;
    } else if (ch === '{' || ch === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth < 0) throw new Error(`unbalanced "${ch}" at offset ${i}`);
      if (depth === 0) {
        const doc: unknown = JSON.parse(text.slice(start, i + 1));
        if (Array.isArray(doc)) out.push(...doc);
        else out.push(doc);
      }
    } else if (depth === 0 && !/\s/.test(ch)) {
      throw new Error(`unexpected text at offset ${i}`);
    }
  }
  if (depth !== 0 || inString) throw new Error('truncated JSON document');
  return out;
}
