import { ADAPTER_LETTER_HEADERS, MemoryState, RecordError, VENDOR_ENDPOINTS, describeInvalid, validateAdapterEvents, type Vendor } from '@switchboard/adapters';
import type { ContactEvent } from '@switchboard/events';
import type { CsvMapping } from './csv-mapping';
import { mapRecord } from './backfill';

export type RemapResult =
  /** not a vendor record or row: replayed byte for byte as before */
  | { kind: 'event' }
  | { kind: 'mapped'; events: ContactEvent[]; stillFailing: string[] };

export interface RemapOptions {
  csvMapping?: CsvMapping;
  adapterOptions?: Record<string, unknown>;
  now?: () => number;
}

/**
 * A dead-lettered vendor delivery or backfill record, mapped again by today's adapter (the
 * replay after a fix). The delivery was verified when it arrived, so it is not verified again;
 * the tenant is the one it was accepted for. Records that still fail are reported, not lost:
 * they stay in the DLQ at their offset.
 */
export function remapDeadLetter(headers: Record<string, string>, value: Buffer, opts: RemapOptions = {}): RemapResult {
  const tenant = headers[ADAPTER_LETTER_HEADERS.tenant];
  const vendor = headers[ADAPTER_LETTER_HEADERS.vendor];
  const format = headers[ADAPTER_LETTER_HEADERS.format];
  if (!tenant || (!vendor && !format)) return { kind: 'event' };
  const now = opts.now ?? Date.now;
  const state = new MemoryState();
  if (vendor) {
    const endpoint = VENDOR_ENDPOINTS.get(vendor as Vendor);
    if (!endpoint) return { kind: 'mapped', events: [], stillFailing: [`no adapter for vendor ${vendor}`] };
    const contentType = headers[ADAPTER_LETTER_HEADERS.contentType] ?? 'application/json';
    try {
      const outcome = endpoint.handle(
        { url: headers[ADAPTER_LETTER_HEADERS.url] ?? '', method: 'POST', headers: { 'content-type': contentType }, rawBody: value.toString('utf8'), contentType, now: now() },
        { tenant, state, ...(opts.adapterOptions ? { options: opts.adapterOptions } : {}) },
      );
      const { valid, invalid } = validateAdapterEvents(outcome.events, tenant, endpoint.source, now());
      return { kind: 'mapped', events: valid, stillFailing: [...outcome.rejected.map((r) => `record ${r.index}: ${r.reason}`), ...invalid.map(describeInvalid)] };
    } catch (err) {
      if (err instanceof RecordError) return { kind: 'mapped', events: [], stillFailing: [err.reason] };
      throw err;
    }
  }
  let record: unknown;
  const text = value.toString('utf8');
  try {
    record = JSON.parse(text);
  } catch {
    return { kind: 'mapped', events: [], stillFailing: ['not valid JSON'] };
  }
  try {
    const m = mapRecord({ format: format!, tenant, state, ...(opts.csvMapping ? { csvMapping: opts.csvMapping } : {}), ...(opts.adapterOptions ? { adapterOptions: opts.adapterOptions } : {}), now }, record);
    return { kind: 'mapped', events: m.events, stillFailing: [] };
  } catch (err) {
    if (err instanceof RecordError) return { kind: 'mapped', events: [], stillFailing: [err.reason] };
    throw err;
  }
}
