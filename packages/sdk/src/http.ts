import { validateEvents, type EventInput } from './validation.js';

export interface HttpClientOptions {
  /** the ingest service, e.g. http://127.0.0.1:8080 (POST /v1/events is appended) */
  url: string;
  /** an API key (AUTH_MODE=api_key), sent as `authorization: Bearer <key>` */
  apiKey?: string;
  /** X-Tenant-Id, for a server with auth off */
  tenantId?: string;
  /** tries after the first on 429, 503 and network errors (default 5) */
  retries?: number;
  /** first backoff (default 200 ms), doubled per try up to maxBackoffMs (default 5 s); a Retry-After header sets the wait instead (capped the same) */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** per request (default 30 s) */
  timeoutMs?: number;
  /** told before each retry (for a log line or a metric) */
  onRetry?: (info: { attempt: number; status: number | null; waitMs: number; error?: unknown }) => void;
}

/** What the server answered when it refused the events: its status, `error` and `details` (docs/api.md). */
export class IngestHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; details?: unknown; errors?: unknown; [k: string]: unknown } | null,
  ) {
    const detail = body?.errors ?? body?.details;
    super(`POST /v1/events answered ${status}: ${body?.error ?? '(no error text)'}${detail ? ` ${JSON.stringify(detail).slice(0, 500)}` : ''}`);
    this.name = 'IngestHttpError';
  }
}

export interface SendResult {
  accepted: number;
  rejected: number;
  /** requests it took (1 when the first was accepted) */
  attempts: number;
}

/**
 * Sends events to POST /v1/events: validated here first with the server's rules (an
 * EventValidationError names each bad field before anything is sent), retried with
 * exponential backoff on 429 and 503 (resending the whole request is safe: the aggregator
 * counts each event_id once), other 4xx answers thrown as IngestHttpError with the server's
 * details. The server applies its own tenant and lateness horizon.
 */
export class HttpEventClient {
  private readonly endpoint: string;

  constructor(private readonly opts: HttpClientOptions) {
    this.endpoint = `${opts.url.replace(/\/+$/, '')}/v1/events`;
  }

  async send(events: EventInput | readonly EventInput[]): Promise<SendResult> {
    const list = Array.isArray(events) ? events : [events as EventInput];
    // the tenant is the server's to decide (the key's, or X-Tenant-Id): only the fields are checked here
    validateEvents(list, { tenantId: this.opts.tenantId ?? 'server-assigned' });
    const body = JSON.stringify(list);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.opts.apiKey) headers.authorization = `Bearer ${this.opts.apiKey}`;
    if (this.opts.tenantId) headers['x-tenant-id'] = this.opts.tenantId;
    const retries = this.opts.retries ?? 5;
    let backoff = this.opts.initialBackoffMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      let res: Response | null = null;
      let failure: unknown = null;
      try {
        res = await fetch(this.endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000) });
      } catch (err) {
        failure = err;
      }
      if (res && res.ok) {
        const r = (await res.json().catch(() => ({}))) as { accepted?: number; rejected?: number };
        return { accepted: r.accepted ?? list.length, rejected: r.rejected ?? 0, attempts: attempt };
      }
      const retriable = !res || res.status === 429 || res.status === 503;
      if (!retriable || attempt > retries) {
        if (!res) throw failure;
        throw new IngestHttpError(res.status, (await res.json().catch(() => null)) as IngestHttpError['body']);
      }
      const retryAfter = Number(res?.headers.get('retry-after'));
      await res?.body?.cancel().catch(() => undefined);
      const wait = Math.min(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : backoff, this.opts.maxBackoffMs ?? 5000);
      this.opts.onRetry?.({ attempt, status: res?.status ?? null, waitMs: wait, ...(failure ? { error: failure } : {}) });
      await new Promise((r) => setTimeout(r, wait));
      backoff = Math.min(backoff * 2, this.opts.maxBackoffMs ?? 5000);
    }
  }
}
