/**
 * Headers under which the ingest edge and the backfill dead-letter vendor deliveries and file
 * records, so the replay can map them again with the adapter that failed them: a vendor
 * delivery by `vendor` (HTTP), a file record by `format`.
 */
export const ADAPTER_LETTER_HEADERS = {
  vendor: 'dlq.adapter.vendor',
  format: 'dlq.adapter.format',
  tenant: 'dlq.adapter.tenant',
  contentType: 'dlq.adapter.content_type',
  url: 'dlq.adapter.url',
} as const;
