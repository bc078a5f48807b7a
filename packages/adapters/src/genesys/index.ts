// Placeholder until the genesys adapter lands: no formats, no endpoint.
import type { RecordFormat, VendorEndpoint } from '../common';

export const genesysFormats: RecordFormat[] = [];
export const genesysEndpoint: VendorEndpoint | null = null;
