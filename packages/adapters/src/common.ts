// The contract every vendor adapter implements. An adapter is a pure mapping from one vendor
// record to normalized contact events (docs/api.md, "POST /v1/events"); what little memory a vendor's feed forces on
// us (Amazon Connect's CTR versions, Twilio's task timeline) goes through an AdapterState
// passed in, so the mapping stays testable and the HTTP route and the backfill share it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { makeEvent, type ContactEvent, type ContactEventInit } from '@switchboard/events';

export const VENDORS = ['amazon-connect', 'twilio', 'genesys', 'zendesk'] as const;
export type Vendor = (typeof VENDORS)[number];

/** A record the adapter cannot map; `reason` is shown to the operator and counted. */
export class RecordError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'RecordError';
  }
}

/**
 * Small, bounded key-value memory for adapters whose vendor spreads one fact over several
 * deliveries. Entries expire after `ttlMs` and the oldest go first past `maxEntries`, so a
 * feed that never sends the closing event cannot grow it without bound.
 */
export interface AdapterState {
  get<T>(key: string): T | undefined;
  set<T>(key: string, value: T): void;
  delete(key: string): void;
}

export class MemoryState implements AdapterState {
  private readonly entries = new Map<string, { value: unknown; at: number }>();
  constructor(
    private readonly opts: { maxEntries: number; ttlMs: number; now?: () => number } = { maxEntries: 200_000, ttlMs: 7 * 24 * 3600_000 },
  ) {}
  private now(): number {
    return this.opts.now ? this.opts.now() : Date.now();
  }
  get<T>(key: string): T | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.now() - e.at > this.opts.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value as T;
  }
  set<T>(key: string, value: T): void {
    // Map keeps insertion order: re-inserting moves the key to the young end.
    this.entries.delete(key);
    this.entries.set(key, { value, at: this.now() });
    while (this.entries.size > this.opts.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
  delete(key: string): void {
    this.entries.delete(key);
  }
  get size(): number {
    return this.entries.size;
  }
}

export interface MapContext {
  /** the tenant the delivery belongs to (from the endpoint's credentials, or the CLI's --tenant) */
  tenant: string;
  state: AdapterState;
  /** vendor-specific options (attribute names for surveys, topic fields…), parsed by the adapter */
  options?: Record<string, unknown>;
}

export interface MapResult {
  events: ContactEvent[];
  /** records (or parts of one) skipped on purpose: heartbeats, unrelated event types, an older CTR version */
  ignored: number;
}

/** One vendor record format, as the backfill CLI and the HTTP routes name it. */
export interface RecordFormat {
  /** e.g. `amazon-connect-ctr`, `twilio-taskrouter`, `genesys-conversation`, `zendesk-audit` */
  name: string;
  vendor: Vendor;
  source: string;
  description: string;
  /** throws RecordError for a record missing what it needs; ignores unknown fields */
  map(record: unknown, ctx: MapContext): MapResult;
}

/** What the HTTP route hands an adapter: the request as the vendor sent it. */
export interface HttpDelivery {
  /** the full URL the vendor called (scheme, host, path and query), as signatures cover it */
  url: string;
  method: string;
  headers: Record<string, string | undefined>;
  /** the body exactly as received, for signature checks */
  rawBody: string;
  /** lower-cased media type without parameters */
  contentType: string;
  /** receiver's clock, for replay windows of signed timestamps */
  now: number;
}

export interface DeliveryOutcome {
  events: ContactEvent[];
  ignored: number;
  /** records of the delivery that could not be mapped, with their position and reason */
  rejected: { index: number; reason: string }[];
}

export interface HttpReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** A vendor's webhook or push endpoint: POST /v1/adapters/{vendor}. */
export interface VendorEndpoint {
  vendor: Vendor;
  source: string;
  /** media types the vendor sends; anything else is a 415 */
  contentTypes: string[];
  /**
   * Checks that the delivery comes from the vendor account holding `secret` (Twilio auth
   * token, Zendesk signing secret, Firehose access key, Genesys shared token); null when it
   * does, else the reason (the route answers 401 with it).
   */
  verify(delivery: HttpDelivery, secret: string): string | null;
  /**
   * Request headers (lower case) one of which every delivery carrying the vendor's credential
   * has: a delivery with none of them is refused before its body is read or inflated.
   */
  credentialHeaders: readonly string[];
  /** Parses the body and maps every record; a body that cannot be parsed at all throws RecordError (400). */
  handle(delivery: HttpDelivery, ctx: MapContext): DeliveryOutcome;
  /** The success answer the vendor expects (Twilio 204, Firehose's {requestId, timestamp}, …). */
  reply(delivery: HttpDelivery, outcome: DeliveryOutcome): HttpReply;
  /** The answer when the delivery could not be accepted (e.g. Firehose wants its JSON error shape). */
  errorReply?(delivery: HttpDelivery, status: number, message: string): HttpReply;
}

/** Runs a format's mapper over many records, collecting rejections instead of throwing. */
export function mapRecords(format: RecordFormat, records: unknown[], ctx: MapContext): DeliveryOutcome {
  const out: DeliveryOutcome = { events: [], ignored: 0, rejected: [] };
  records.forEach((r, index) => {
    try {
      const m = format.map(r, ctx);
      out.events.push(...m.events);
      out.ignored += m.ignored;
    } catch (err) {
      if (err instanceof RecordError) out.rejected.push({ index, reason: err.reason });
      else throw err;
    }
  });
  return out;
}

/**
 * Event ids are the vendor's own ids joined with ':' after the source's prefix, so a
 * redelivery, a CTR update or a backfill of the same day gives the same id (the aggregator
 * counts each id once). Parts are escaped so that ids from different parts cannot collide.
 */
export function eventId(prefix: string, ...parts: (string | number)[]): string {
  return [prefix, ...parts.map((p) => String(p).replaceAll('%', '%25').replaceAll(':', '%3A'))].join(':');
}

/**
 * Customer keys are pseudonymous (docs/adapters.md, "Customers are pseudonymous"): a phone number or e-mail address is hashed with
 * the tenant, so the same caller gets the same key and the address is never stored.
 */
export function pseudonymize(tenant: string, raw: string): string {
  const normalized = raw.trim().toLowerCase();
  return 'c_' + createHash('sha256').update(`${tenant}\u0000${normalized}`).digest('hex').slice(0, 24);
}

/**
 * Vendor timestamp → epoch ms (UTC). Accepts ISO-8601 with an offset or Z, and epoch
 * seconds/milliseconds told apart by size; a local time without an offset is refused, since
 * guessing its zone would move events between windows.
 */
export function toEpochMs(value: unknown, field: string): number {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  }
  if (typeof value === 'string' && value.trim() !== '') {
    const s = value.trim();
    if (/^\d+(\.\d+)?$/.test(s)) return toEpochMs(Number(s), field);
    if (!/(Z|[+-]\d{2}:?\d{2})$/i.test(s)) throw new RecordError(`${field}: timestamp "${s}" has no UTC offset`);
    const ms = Date.parse(s);
    if (Number.isFinite(ms)) return ms;
  }
  throw new RecordError(`${field}: missing or not a timestamp`);
}

/** Optional timestamp: null/undefined/'' stays null; anything else must parse. */
export function optEpochMs(value: unknown, field: string): number | null {
  if (value === undefined || value === null || value === '') return null;
  return toEpochMs(value, field);
}

export function requireString(value: unknown, field: string): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new RecordError(`${field}: required`);
}

export function optString(value: unknown): string | null {
  if (typeof value === 'string' && value.trim() !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

export function asObject(value: unknown, field: string): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new RecordError(`${field}: must be an object`);
}

/** Completes an adapter's event; the caller gives tenant, ids, type, time and what it knows. */
export function adapterEvent(init: ContactEventInit): ContactEvent {
  return makeEvent(init);
}

/** Whole seconds (vendor durations) → ms, rounding away float noise; null stays null. */
export function secondsToMs(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) && n >= 0 ? Math.round(n * 1000) : null;
}

/**
 * Constant-time comparison of two signatures or tokens. Both sides are hashed first, so the
 * compare runs over equal-length digests whatever was sent: an early return on a length
 * mismatch would tell an attacker the secret's length.
 */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a, 'utf8').digest();
  const y = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(x, y);
}
