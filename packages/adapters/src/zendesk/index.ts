// Placeholder until the zendesk adapter lands: no formats, no endpoint.
import type { RecordFormat, VendorEndpoint } from '../common';

export const zendeskFormats: RecordFormat[] = [];
export const zendeskEndpoint: VendorEndpoint | null = null;
