import { z } from 'zod';
import { parseCidrList } from '@switchboard/service-kit';
import type { AlerterConfig } from './alerter';

export const alerterEnvSchema = z.object({
  /** consumer group on alerts.v1 whose partition owner is the leading replica; default `<KAFKA_TOPIC_PREFIX>switchboard-alerter` */
  ALERTER_GROUP_ID: z.string().min(1).optional().describe('consumer group on alerts.v1 whose partition owner is the leading replica; default <KAFKA_TOPIC_PREFIX>switchboard-alerter'),
  /** how soon a crashed leader is replaced */
  ALERTER_SESSION_TIMEOUT_MS: z.coerce.number().int().min(3000).max(300_000).default(10_000).describe('how soon a crashed leader is replaced'),
  /** a minute is evaluated this long after it closes (the aggregator writes every AGGREGATOR_FLUSH_MS) */
  ALERTER_FRESHNESS_S: z.coerce.number().min(0).max(600).default(10).describe('a minute is evaluated this long after it closes (covers the aggregator’s flush interval)'),
  /** YAML or JSON list of alert rules; read-only over HTTP */
  ALERT_RULES_FILE: z.string().optional().describe('YAML or JSON list of alert rules (or {rules: [...]}); read-only over HTTP'),
  /** signs webhooks without a secret of their own (HMAC-SHA256) */
  ALERTER_WEBHOOK_SECRET: z.string().min(1).optional().describe('HMAC-SHA256 key for webhooks without a secret of their own'),
  /** base URL of the /v1/kpis links in notifications; default the service's own address */
  ALERTER_LINK_BASE_URL: z.url().optional().describe('base URL of the /v1/kpis links in notifications; default the node’s own address (set it to the query service in scaled mode)'),
  /** private addresses webhooks may reach, comma-separated CIDRs (on-premises receivers); loopback, private, link-local and other non-public addresses are refused otherwise */
  ALERTER_WEBHOOK_ALLOW: z.string().default('').transform((s, ctx) => {
    try {
      return parseCidrList(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }).describe('private ranges webhooks may reach, comma-separated CIDRs or addresses (on-premises receivers); other non-public addresses are refused'),
  ALERTER_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8).describe('attempts per notification before it is given up'),
  ALERTER_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000).describe('timeout of one webhook attempt'),
  ALERTER_WEBHOOK_BACKOFF_MS: z.coerce.number().int().min(10).max(60_000).default(1000).describe('first retry delay, doubled per attempt'),
  ALERTER_WEBHOOK_MAX_BACKOFF_MS: z.coerce.number().int().min(10).max(3_600_000).default(60_000).describe('retry delay cap'),
  /** undelivered notifications younger than this are sent when a replica takes over */
  ALERTER_OUTBOX_HOURS: z.coerce.number().positive().max(168).default(6).describe('undelivered notifications younger than this are sent when a replica takes over'),
});
export type AlerterEnv = z.infer<typeof alerterEnvSchema>;

/** `linkBaseUrl`: where /v1/kpis is served, unless ALERTER_LINK_BASE_URL says; a function when known only once HTTP listens. */
export function alerterConfig(
  env: AlerterEnv & { DEFAULT_TENANT: string; KAFKA_TOPIC_PREFIX: string },
  alertsTopic: string,
  linkBaseUrl: string | (() => string),
): AlerterConfig {
  return {
    alertsTopic,
    groupId: env.ALERTER_GROUP_ID ?? `${env.KAFKA_TOPIC_PREFIX}switchboard-alerter`,
    sessionTimeoutMs: env.ALERTER_SESSION_TIMEOUT_MS,
    freshnessMs: env.ALERTER_FRESHNESS_S * 1000,
    linkBaseUrl: env.ALERTER_LINK_BASE_URL ?? linkBaseUrl,
    rulesFile: env.ALERT_RULES_FILE,
    defaultTenant: env.DEFAULT_TENANT,
    outboxMs: env.ALERTER_OUTBOX_HOURS * 3_600_000,
    notifier: {
      maxAttempts: env.ALERTER_WEBHOOK_MAX_ATTEMPTS,
      timeoutMs: env.ALERTER_WEBHOOK_TIMEOUT_MS,
      initialBackoffMs: env.ALERTER_WEBHOOK_BACKOFF_MS,
      maxBackoffMs: env.ALERTER_WEBHOOK_MAX_BACKOFF_MS,
      defaultSecret: env.ALERTER_WEBHOOK_SECRET,
      allow: env.ALERTER_WEBHOOK_ALLOW,
    },
  };
}
