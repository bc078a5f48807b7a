import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { OutboundRefused, createOutboundClient, maskUrl, type Cidr, type OutboundClient } from '@switchboard/service-kit';
import { Counter, type Registry } from 'prom-client';
import { formatValue, scopeText, summary, type AlertEvent } from './events';
import type { Webhook } from './rules';
import type { AlertStore, DeliveryRecord } from './store';

export const SIGNATURE_HEADER = 'x-switchboard-signature';
export const TIMESTAMP_HEADER = 'x-switchboard-timestamp';
export const DELIVERY_HEADER = 'x-switchboard-delivery';
export const EVENT_HEADER = 'x-switchboard-event';

/** `sha256=` + hex HMAC-SHA256 of `${timestamp}.${body}` under the webhook's secret. */
export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

const EMOJI = { firing: ':rotating_light:', renotify: ':rotating_light:', resolved: ':white_check_mark:', pending: ':hourglass:', cancelled: ':heavy_minus_sign:' } as const;

/** Slack incoming-webhook body: `text` (also the notification preview) and Block Kit blocks. */
export function slackBody(e: AlertEvent): Record<string, unknown> {
  const text = `${EMOJI[e.kind]} ${summary(e)}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${text}*` } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*KPI*\n${e.kpi}` },
          { type: 'mrkdwn', text: `*Value*\n${formatValue(e.kpi, e.value)}` },
          { type: 'mrkdwn', text: `*Threshold*\n${e.comparison} ${formatValue(e.kpi, e.threshold)} (recovers at ${formatValue(e.kpi, e.recovery_threshold)})` },
          { type: 'mrkdwn', text: `*Scope*\n${scopeText(e.scope)}` },
          { type: 'mrkdwn', text: `*Window*\n${e.window.from} – ${e.window.to}` },
          { type: 'mrkdwn', text: `*Sample*\n${e.sample} ${e.sample_kpi}` },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `<${e.link}|KPI query> · alert ${e.alert_id} #${e.seq}` }] },
    ],
  };
}

/** Generic JSON body: the alert event itself plus a one-line summary. */
export function jsonBody(e: AlertEvent): Record<string, unknown> {
  return { type: `alert.${e.kind}`, summary: summary(e), alert: e };
}

export interface NotifierOptions {
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  timeoutMs: number;
  /** signs webhooks that have no secret of their own */
  defaultSecret?: string;
  /** private ranges webhooks may reach (on-premises receivers); every other non-public address is refused */
  allow?: readonly Cidr[];
  now?: () => number;
}

/** 408, 429 and 5xx are worth retrying; any other 4xx will not get better. */
const retryable = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Sends webhook notifications: one per notifying transition and webhook, in transition order
 * per alert, retried with capped exponential backoff. A sent (or given-up) notification is
 * recorded in alert_deliveries before the next one of the same alert goes; at start the
 * outbox resends what has no record, and a record found before sending skips it, so a restart
 * neither drops nor repeats one. (A crash between the receiver's 2xx and the record can still
 * repeat it: `X-Switchboard-Delivery` is then the same, for the receiver to drop.)
 */
export class Notifier {
  private readonly chains = new Map<string, Promise<void>>();
  private stopped = false;
  /** bumped by halt(): deliveries queued before it are abandoned (the next leader's outbox sends them) */
  private epoch = 0;
  private readonly sent: Counter<'outcome'>;
  private readonly now: () => number;
  private readonly wake = new Set<() => void>();
  private readonly http: OutboundClient;

  constructor(private readonly store: AlertStore, private readonly opts: NotifierOptions, private readonly log: Logger, metrics: Registry) {
    this.now = opts.now ?? Date.now;
    this.http = createOutboundClient({ allow: opts.allow });
    this.sent = new Counter({ name: 'switchboard_alerter_notifications_total', help: 'Webhook notifications, by outcome', labelNames: ['outcome'], registers: [metrics] });
  }

  /** Queues the notifications of a transition; `done` lists webhook indexes already handled. */
  enqueue(e: AlertEvent, webhooks: Webhook[], done: readonly number[] = []): Promise<void> {
    const key = `${e.tenant_id}/${e.alert_id}`;
    const prev = this.chains.get(key) ?? Promise.resolve();
    const epoch = this.epoch;
    const next = prev.then(async () => {
      for (const [i, w] of webhooks.entries()) {
        if (done.includes(i) || this.abandoned(epoch)) continue;
        await this.deliver(e, w, i, epoch).catch((err) => this.log.error({ err, alert: e.alert_id, seq: e.seq }, 'notification not recorded'));
      }
    });
    this.chains.set(key, next);
    void next.then(() => { if (this.chains.get(key) === next) this.chains.delete(key); });
    return next;
  }

  /** Resolves once everything queued so far is sent or given up. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  /** Abandons retries: what is not recorded as sent goes out from the outbox at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.wake) w();
    await this.idle();
    await this.http.close();
  }

  /**
   * Leadership lost: abandons what is queued or waiting for a retry, without recording it, so
   * the new leader's outbox sends it and this replica does not send it too. A POST already in
   * flight completes and is recorded.
   */
  halt(): void {
    this.epoch++;
    for (const w of this.wake) w();
  }

  private abandoned(epoch: number): boolean {
    return this.stopped || epoch !== this.epoch;
  }

  private async deliver(e: AlertEvent, w: Webhook, target: number, epoch: number): Promise<void> {
    if (await this.store.isDelivered(e.tenant_id, e.alert_id, e.seq, target)) return;
    const body = JSON.stringify(w.format === 'slack' ? slackBody(e) : jsonBody(e));
    const secret = w.secret ?? this.opts.defaultSecret;
    const record: DeliveryRecord = { tenant_id: e.tenant_id, alert_id: e.alert_id, seq: e.seq, target, url: maskUrl(w.url), status: 'failed', attempts: 0, http_status: 0, error: '' };
    for (let attempt = 1, delay = this.opts.initialBackoffMs; attempt <= this.opts.maxAttempts; attempt++, delay = Math.min(delay * 2, this.opts.maxBackoffMs)) {
      if (this.abandoned(epoch)) return;
      record.attempts = attempt;
      const ts = String(Math.floor(this.now() / 1000));
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'switchboard-alerter',
        [DELIVERY_HEADER]: e.event_id,
        [EVENT_HEADER]: e.kind,
        [TIMESTAMP_HEADER]: ts,
      };
      if (secret) headers[SIGNATURE_HEADER] = sign(secret, ts, body);
      try {
        // redirects are answers, not followed: a 3xx is a failure that is not retried
        const r = await this.http.fetch(w.url, { method: 'POST', body, headers, signal: AbortSignal.timeout(this.opts.timeoutMs) });
        await r.arrayBuffer().catch(() => undefined);
        record.http_status = r.status;
        if (r.ok) {
          record.status = 'delivered';
          record.error = '';
          break;
        }
        record.error = `HTTP ${r.status}`;
        if (!retryable(r.status)) break;
      } catch (err) {
        record.http_status = 0;
        record.error = (err as Error).message;
        // an address that may not be reached will not become one that may
        if (err instanceof OutboundRefused) break;
      }
      if (attempt < this.opts.maxAttempts) {
        // checked in the same synchronous step that registers the wake-up, so a stop() or halt()
        // landing between the failed attempt and the backoff is not missed
        if (this.abandoned(epoch)) return;
        this.log.warn({ alert: e.alert_id, seq: e.seq, url: maskUrl(w.url), attempt, error: record.error, retryInMs: delay }, 'webhook failed; retrying');
        await this.sleep(delay);
      }
    }
    if (this.abandoned(epoch) && record.status !== 'delivered') return;
    await this.store.recordDelivery(record);
    this.sent.inc({ outcome: record.status });
    if (record.status === 'delivered') this.log.info({ alert: e.alert_id, seq: e.seq, kind: e.kind, url: maskUrl(w.url), attempts: record.attempts }, 'notification sent');
    else this.log.error({ alert: e.alert_id, seq: e.seq, url: maskUrl(w.url), attempts: record.attempts, error: record.error }, 'notification given up');
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); this.wake.delete(done); resolve(); };
      const t = setTimeout(done, ms);
      this.wake.add(done);
    });
  }
}
