// Zendesk Support: ticket audits, ticket metric events and satisfaction ratings (exports,
// for the backfill CLI) and event-subscription webhooks (live, POST /v1/adapters/zendesk).
import type { RecordFormat, VendorEndpoint } from '../common';
import { auditFormat } from './audit';
import { zendeskWebhookEndpoint } from './endpoint';
import { metricEventFormat } from './metric-event';
import { satisfactionRatingFormat } from './satisfaction';
import { webhookFormat } from './webhook';

export const zendeskFormats: RecordFormat[] = [auditFormat, metricEventFormat, satisfactionRatingFormat, webhookFormat];
export const zendeskEndpoint: VendorEndpoint = zendeskWebhookEndpoint;
